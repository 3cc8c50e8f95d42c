"""Register, sign in and out through the real forms; CSRF; role checks on admin pages; error formats."""

import pytest
from sqlalchemy import select

from app.models import ModerationEvent, User
from tests.conftest import TEST_PASSWORD, csrf_token_from
from tests.factories import make_user


def test_register_signs_the_new_user_in(client, session, auth):
    token = auth.token("/account/register")
    response = client.post("/account/register", data={
        "email": "new@example.org", "display_name": "New <b>Volunteer</b>", "password": "ten chars or more",
        "csrf_token": token})
    assert response.status_code == 302
    page = client.get("/account/").get_data(as_text=True)
    assert "new@example.org" in page
    # User text is escaped wherever it is shown.
    assert "New &lt;b&gt;Volunteer&lt;/b&gt;" in page and "<b>Volunteer</b>" not in page
    stored = session.scalars(select(User).where(User.email == "new@example.org")).one()
    assert stored.password_hash != "ten chars or more"


def test_register_shows_the_field_error_and_keeps_the_input(client, auth):
    response = client.post("/account/register", data={
        "email": "new@example.org", "display_name": "New", "password": "short", "csrf_token": auth.token()})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "at least 10 characters" in page
    assert 'value="new@example.org"' in page
    assert 'aria-invalid="true"' in page


def test_login_and_logout(client, session, auth):
    user = make_user(session, password=TEST_PASSWORD)
    session.commit()
    assert auth.login(user.email, "wrong password").status_code == 400
    assert auth.login(user.email).status_code == 302
    assert user.display_name in client.get("/").get_data(as_text=True)
    assert auth.logout().status_code == 302
    assert client.get("/account/").status_code == 302


def test_banned_user_cannot_sign_in(client, session, auth):
    user = make_user(session, password=TEST_PASSWORD)
    admin = make_user(session, role="admin")
    from app.services.accounts import ban_user
    ban_user(session, admin, user, "spam")
    session.commit()
    response = auth.login(user.email)
    assert response.status_code == 400
    assert "banned" in response.get_data(as_text=True)


def test_login_ignores_an_offsite_next(client, session, auth):
    user = make_user(session, password=TEST_PASSWORD)
    session.commit()
    response = client.post("/account/login?next=https://evil.example/", data={
        "email": user.email, "password": TEST_PASSWORD, "csrf_token": auth.token()})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/%5Cevil.example/x", "/%5C%5Cevil.example", "/%09/evil.example",
                                    "//evil.example", "/%0A/evil.example", "https:evil.example"])
def test_login_ignores_next_that_a_browser_reads_as_another_host(client, session, auth, target):
    user = make_user(session, password=TEST_PASSWORD)
    session.commit()
    response = client.post(f"/account/login?next={target}", data={
        "email": user.email, "password": TEST_PASSWORD, "csrf_token": auth.token()})
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next(client, session, auth):
    user = make_user(session, password=TEST_PASSWORD)
    session.commit()
    response = client.post("/account/login?next=/moderate%3Fkind%3Dstatus", data={
        "email": user.email, "password": TEST_PASSWORD, "csrf_token": auth.token()})
    assert response.headers["Location"] == "/moderate?kind=status"


@pytest.mark.parametrize("path, data", [
    ("/account/login", {"email": "a@example.org", "password": "whatever12"}),
    ("/account/register", {"email": "a@example.org", "display_name": "A", "password": "whatever12"}),
    ("/account/logout", {}),
])
def test_post_without_csrf_token_is_refused(client, path, data):
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)


def test_admin_form_without_csrf_token_is_refused(client, session, auth):
    auth.login_as("admin")
    target = make_user(session)
    session.commit()
    response = client.post(f"/admin/users/{target.id}/role", data={"role": "admin"})
    assert response.status_code == 400
    session.refresh(target)
    assert target.role == "volunteer"


@pytest.mark.parametrize("path", ["/admin/users"])
def test_admin_pages_refuse_anonymous_and_volunteers(client, auth, path):
    response = client.get(path)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    auth.login_as("volunteer")
    assert client.get(path).status_code == 403
    auth.logout()
    auth.login_as("moderator")
    assert client.get(path).status_code == 403


def test_admin_changes_a_role_and_bans_through_the_page(client, session, auth):
    admin = auth.login_as("admin")
    target = make_user(session, display_name="Target <script>")
    session.commit()
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Target &lt;script&gt;" in page
    token = csrf_token_from(page)
    changed = client.post(f"/admin/users/{target.id}/role", data={"role": "moderator", "csrf_token": token})
    assert changed.status_code == 302
    assert client.post(f"/admin/users/{target.id}/ban", data={"reason": "spam", "csrf_token": token}).status_code == 302
    session.refresh(target)
    assert target.role == "moderator" and target.is_banned
    actions = session.scalars(select(ModerationEvent.action).where(ModerationEvent.actor_id == admin.id)
                              .order_by(ModerationEvent.id)).all()
    assert actions == ["role_change", "ban"]


def test_volunteer_cannot_post_admin_actions(client, session, auth):
    auth.login_as("volunteer")
    target = make_user(session)
    session.commit()
    token = auth.token("/")
    assert client.post(f"/admin/users/{target.id}/role", data={"role": "admin", "csrf_token": token}).status_code == 403
    session.refresh(target)
    assert target.role == "volunteer"


def test_api_errors_are_json_in_the_design_shape(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"]["code"] == "not_found"
    assert set(response.get_json()["error"]) >= {"code", "message"}


def test_page_errors_are_html(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Not found" in response.get_data(as_text=True)
