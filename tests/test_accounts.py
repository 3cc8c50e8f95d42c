"""Account services: registration rules, password storage, roles and bans (no HTTP)."""

import pytest
from sqlalchemy import select

from app.errors import Conflict, Forbidden, ValidationError
from app.models import ModerationEvent
from app.services import accounts
from tests.factories import make_user


def test_create_user_stores_a_scrypt_hash_not_the_password(session):
    user = accounts.create_user(session, "Ada@Example.org", "a long enough secret", "Ada")
    assert user.email == "ada@example.org"
    assert "a long enough secret" not in user.password_hash
    assert user.password_hash.startswith("scrypt:")
    assert user.role == "volunteer"


@pytest.mark.parametrize("email, password, name, field", [
    ("not-an-email", "a long enough secret", "Ada", "email"),
    ("ada@example.org", "short", "Ada", "password"),
    ("ada@example.org", "a long enough secret", "x" * 81, "display_name"),
])
def test_create_user_names_the_bad_field(session, email, password, name, field):
    with pytest.raises(ValidationError) as caught:
        accounts.create_user(session, email, password, name)
    assert caught.value.field == field


def test_create_user_refuses_a_taken_email_whatever_its_case(session):
    accounts.create_user(session, "ada@example.org", "a long enough secret", "Ada")
    with pytest.raises(Conflict):
        accounts.create_user(session, "ADA@example.org", "another long secret", "Ada 2")


def test_authenticate_checks_the_password(session):
    accounts.create_user(session, "ada@example.org", "a long enough secret", "Ada")
    assert accounts.authenticate(session, "ada@example.org", "a long enough secret") is not None
    assert accounts.authenticate(session, "ada@example.org", "wrong password!!") is None
    assert accounts.authenticate(session, "nobody@example.org", "a long enough secret") is None


def test_set_role_is_audited(session):
    admin = make_user(session, role="admin")
    user = make_user(session)
    accounts.set_role(session, admin, user, "moderator")
    assert user.role == "moderator"
    event = session.scalars(select(ModerationEvent).where(ModerationEvent.target_user_id == user.id)).one()
    assert (event.action, event.actor_id, event.details) == ("role_change", admin.id,
                                                             {"from": "volunteer", "to": "moderator"})


def test_admin_cannot_demote_or_ban_themselves(session):
    admin = make_user(session, role="admin")
    with pytest.raises(Forbidden):
        accounts.set_role(session, admin, admin, "volunteer")
    with pytest.raises(Forbidden):
        accounts.ban_user(session, admin, admin, "oops")


def test_ban_and_unban_are_idempotent_and_audited(session):
    admin = make_user(session, role="admin")
    user = make_user(session)
    accounts.ban_user(session, admin, user, "spam")
    accounts.ban_user(session, admin, user, "spam again")
    assert user.is_banned and user.ban_reason == "spam"
    accounts.unban_user(session, admin, user)
    assert not user.is_banned
    actions = session.scalars(select(ModerationEvent.action).where(ModerationEvent.target_user_id == user.id)
                              .order_by(ModerationEvent.id)).all()
    assert actions == ["ban", "unban"]
