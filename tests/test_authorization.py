"""Every moderation and admin route, for every role: the list comes from app.url_map, so no route escapes.

Anonymous visitors are sent to sign in, volunteers get 403, moderators reach the moderator routes (and get
403 on admin ones), admins reach everything. "Reached" means the view ran: any answer but a sign-in
redirect, a 403 or a 500.
"""

import pytest

from app.services.submissions import Submitter, hash_device_token, submit_photo, submit_status
from tests.conftest import csrf_token_from
from tests.factories import camera_jpeg, make_place, make_user

PREFIXES = ("/moderate", "/admin")
RANK = {"anonymous": -1, "volunteer": 0, "organiser": 1, "moderator": 2, "admin": 3}


def _protected_routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIXES):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((rule, method))
    return routes


def _url(app, rule, ids):
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        options = getattr(converter, "items", None)
        values[name] = sorted(options)[0] if options else ids[name]
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **values)


def test_authorization_every_protected_route_declares_its_role(app):
    routes = _protected_routes(app)
    assert len(routes) >= 20
    undeclared = [r.rule for r, _ in routes if getattr(app.view_functions[r.endpoint], "required_role", None)
                  not in ("moderator", "admin")]
    assert undeclared == []


@pytest.mark.parametrize("role", ["anonymous", "volunteer", "organiser", "moderator", "admin"])
def test_authorization_by_role_over_every_route(app, client, session, auth, role):
    with app.app_context():
        place = make_place(session)
        target = make_user(session)
        submission = submit_status(session, Submitter(device_hash=hash_device_token("authz")), place.id,
                                   {"wheelchair": "yes"})
        photo = submit_photo(session, Submitter(device_hash=hash_device_token("authz")), place.id, camera_jpeg(),
                             {"subject": "entrance", "licence": "CC0-1.0"}, app.extensions["photo_store"])
        session.commit()
    ids = {"submission_id": submission.id, "place_id": place.id, "held_place_id": place.id, "user_id": target.id,
           "photo_id": photo.proposed["photo_id"]}
    if role != "anonymous":
        auth.login_as(role)
    token = csrf_token_from(client.get("/account/login").get_data(as_text=True))
    wrong = []
    for rule, method in _protected_routes(app):
        url = _url(app, rule, ids)
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        to_login = response.status_code == 302 and "/account/login" in response.location
        required = app.view_functions[rule.endpoint].required_role
        if role == "anonymous":
            ok = to_login
        elif RANK[role] < RANK[required]:
            ok = response.status_code == 403
        else:
            ok = not to_login and response.status_code not in (401, 403) and response.status_code < 500
        if not ok:
            wrong.append((method, url, response.status_code))
    assert wrong == []
