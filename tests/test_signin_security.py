"""Sign-in that survives the open internet: throttling, equal timing, sessions that really end, proxies."""

import json
import statistics
import time

import pytest

from app import create_app
from app.extensions import limiter
from app.services.accounts import ban_user
from app.services.bans import Author, ban
from tests.conftest import TEST_PASSWORD, csrf_token_from, make_test_config
from tests.factories import make_place, make_user


def _login(client, email, password, **kwargs):
    token = csrf_token_from(client.get("/account/login", **kwargs).get_data(as_text=True))
    return client.post("/account/login", data={"email": email, "password": password, "csrf_token": token},
                       **kwargs)


def _signed_in(client) -> bool:
    return client.get("/account/").status_code == 200


def test_signin_throttled_per_account_after_failures(client, session):
    user = make_user(session, password=TEST_PASSWORD)
    session.commit()
    statuses = [_login(client, user.email, f"wrong password {n}").status_code for n in range(60)]
    assert statuses[:10] == [400] * 10
    assert set(statuses[10:]) == {429}
    right = _login(client, user.email, TEST_PASSWORD)
    assert right.status_code == 429 and "Retry-After" in right.headers
    assert not _signed_in(client)


def test_signin_throttle_counts_only_failures(client, session):
    user = make_user(session, password=TEST_PASSWORD)
    session.commit()
    for _ in range(15):
        assert _login(client, user.email, TEST_PASSWORD).status_code == 302
        client.post("/account/logout", data={"csrf_token": csrf_token_from(client.get("/").get_data(as_text=True))})


def test_signin_throttled_per_address_across_accounts(client, session):
    users = [make_user(session, password=TEST_PASSWORD) for _ in range(4)]
    session.commit()
    for n in range(30):
        assert _login(client, users[n % 3].email, "wrong password").status_code == 400
    assert _login(client, users[3].email, TEST_PASSWORD).status_code == 429
    # Another address is not held up by this one's failures.
    other = {"environ_base": {"REMOTE_ADDR": "192.0.2.77"}}
    assert _login(client, users[3].email, TEST_PASSWORD, **other).status_code == 302


def _login_cost(client, email) -> float:
    # CPU time of this thread, which runs the app in the test client: a password check is CPU-bound work,
    # and unlike wall time this does not move with whatever else the machine is doing.
    start = time.thread_time()
    assert _login(client, email, "not the password").status_code == 400
    return time.thread_time() - start


def test_signin_takes_as_long_for_unknown_emails(client, session):
    user = make_user(session, password=TEST_PASSWORD)
    session.commit()
    _login(client, "warm-up@example.org", "x")  # the unknown-account hash is made once per process
    rounds = [(_login_cost(client, user.email), _login_cost(client, "nobody@example.org")) for _ in range(7)]
    known = statistics.median(k for k, _ in rounds)
    unknown = statistics.median(u for _, u in rounds)
    # Before, an unknown email cost two scrypt runs (about twice as long): timing told which emails exist.
    assert 0.7 < unknown / known < 1.4, (known, unknown)
    assert "The email or the password is wrong." in _login(client, "nobody@example.org", "x").get_data(as_text=True)


def test_signout_ends_the_session_cookie_everywhere(app, client, session):
    user = make_user(session, password=TEST_PASSWORD)
    session.commit()
    assert _login(client, user.email, TEST_PASSWORD).status_code == 302
    stolen = client.get_cookie("session").value
    other_device = app.test_client()
    assert _login(other_device, user.email, TEST_PASSWORD).status_code == 302
    client.post("/account/logout", data={"csrf_token": csrf_token_from(client.get("/").get_data(as_text=True))})
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert not _signed_in(replay)
    assert not _signed_in(other_device)


def test_signin_password_change_ends_other_sessions_only(app, client, session):
    user = make_user(session, password=TEST_PASSWORD)
    session.commit()
    other_device = app.test_client()
    assert _login(other_device, user.email, TEST_PASSWORD).status_code == 302
    assert _login(client, user.email, TEST_PASSWORD).status_code == 302
    token = csrf_token_from(client.get("/account/").get_data(as_text=True))
    wrong = client.post("/account/password", data={"csrf_token": token, "current_password": "nope",
                                                   "new_password": "a new long password"})
    assert wrong.status_code == 400 and "current password is wrong" in wrong.get_data(as_text=True)
    assert _signed_in(other_device)
    changed = client.post("/account/password", data={"csrf_token": token, "current_password": TEST_PASSWORD,
                                                     "new_password": "a new long password"})
    assert changed.status_code == 302
    assert _signed_in(client)
    assert not _signed_in(other_device)
    assert _login(app.test_client(), user.email, "a new long password").status_code == 302


def test_signin_ban_ends_the_sessions(app, client, session):
    user = make_user(session, password=TEST_PASSWORD)
    admin = make_user(session, role="admin")
    session.commit()
    assert _login(client, user.email, TEST_PASSWORD).status_code == 302
    ban_user(session, admin, user, "spam")
    session.commit()
    assert not _signed_in(client)


def test_signin_cookie_flags_follow_the_configuration(database_url, connection):
    app = create_app(make_test_config(database_url, SESSION_COOKIE_SECURE=True))
    app.extensions["stepfree_db"].bind_to(connection, join_transaction_mode="create_savepoint")
    client = app.test_client()
    response = client.get("/account/login")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    app.extensions["stepfree_db"].engine.dispose()


def _status(client, place_id, **kwargs):
    return client.post(f"/api/places/{place_id}/status", data=json.dumps({"wheelchair": "yes"}),
                       content_type="application/json", **kwargs)


def test_signin_banned_device_cannot_return_by_dropping_its_cookie(app, client, session):
    place = make_place(session)
    moderator = make_user(session, role="moderator")
    volunteer = make_user(session, password=TEST_PASSWORD)
    session.commit()
    assert _status(client, place.id).status_code == 201
    device = client.get_cookie("stepfree_device").value
    from app.services.submissions import hash_device_token
    ban(session, moderator, Author(device_hash=hash_device_token(device)), "spam")
    session.commit()
    assert _status(client, place.id).get_json()["error"]["code"] == "banned"
    fresh = app.test_client()  # the same phone with its cookies cleared
    refused = _status(fresh, place.id)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "network_paused"
    # People on that network can still sign in and send; another network is not affected.
    assert _login(fresh, volunteer.email, TEST_PASSWORD).status_code == 302
    assert _status(fresh, place.id).status_code == 201
    elsewhere = app.test_client()
    assert _status(elsewhere, place.id, environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 201


@pytest.mark.parametrize("proxies, expected", [(0, [201, 201, 429]), (1, [201, 201, 201])])
def test_signin_forwarded_for_trusted_only_behind_configured_proxies(database_url, connection, session,
                                                                        proxies, expected):
    app = create_app(make_test_config(database_url, TRUSTED_PROXY_COUNT=proxies,
                                      RATELIMIT_SUBMISSIONS_ADDRESS="2 per minute"))
    app.extensions["stepfree_db"].bind_to(connection, join_transaction_mode="create_savepoint")
    with app.app_context():
        limiter.reset()
    place = make_place(session)
    session.commit()
    statuses = []
    for n in range(3):
        # Three visitors behind one proxy: each a new device, each from its own address per X-Forwarded-For.
        visitor = app.test_client()
        statuses.append(_status(visitor, place.id, headers={"X-Forwarded-For": f"203.0.113.{n + 1}"}).status_code)
    assert statuses == expected
    app.extensions["stepfree_db"].engine.dispose()
