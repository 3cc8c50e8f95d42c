"""The `flask` commands: users, first admin, demo data."""

from sqlalchemy import func, select

from app.models import Place, Revision, User


def test_users_create_admin(runner, session):
    result = runner.invoke(args=["users", "create", "--email", "Boss@Example.org", "--role", "admin",
                                 "--password", "a long enough secret"])
    assert result.exit_code == 0, result.output
    user = session.scalars(select(User).where(User.email == "boss@example.org")).one()
    assert user.role == "admin"


def test_users_create_names_the_bad_field(runner):
    result = runner.invoke(args=["users", "create", "--email", "nope", "--password", "a long enough secret"])
    assert result.exit_code != 0
    assert "email" in result.output


def test_ensure_admin_creates_one_admin_once(runner, session, tmp_path):
    creds = tmp_path / "admin.txt"
    first = runner.invoke(args=["users", "ensure-admin", "--credentials-file", str(creds)])
    assert first.exit_code == 0 and "password:" in first.output
    second = runner.invoke(args=["users", "ensure-admin", "--credentials-file", str(creds)])
    assert second.exit_code == 0 and "password:" not in second.output
    assert session.scalar(select(func.count()).select_from(User).where(User.role == "admin")) == 1
    assert oct(creds.stat().st_mode & 0o777) == "0o600"


def test_demo_load_is_idempotent_and_writes_revisions(runner, session):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    count = session.scalar(select(func.count()).select_from(Place))
    assert count > 20
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert session.scalar(select(func.count()).select_from(Place)) == count
    assert session.scalar(select(func.count()).select_from(Revision)) == count
