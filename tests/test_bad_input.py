"""Hostile and malformed input answers a 4xx naming the field, never a 500, and stores nothing (invariant 5).

Each case below answered 500 before: small map limits, NUL characters, unpaired surrogates, overflowing
numbers, ids past PostgreSQL's integer, deeply nested JSON and unbounded bodies.
"""

import json

import pytest
from sqlalchemy import func, select

from app.models import Submission
from tests.conftest import csrf_token_from
from tests.factories import make_place, make_user

VADUZ = "9.50,47.13,9.53,47.15"
HUGE = "99999999999999999999"


def _error(response, status=400):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    return response.get_json(force=True)["error"]


def _post_json(client, path, body: str):
    return client.post(path, data=body, content_type="application/json")


def _submissions(session) -> int:
    return session.scalar(select(func.count()).select_from(Submission))


@pytest.fixture
def places(session):
    found = [make_place(session, lon=9.51 + i * 0.001, lat=47.14) for i in range(12)]
    session.commit()
    return found


@pytest.mark.parametrize("limit", ["1", "2", "3", "4"])
def test_bad_input_small_map_limits_answer_clusters_within_the_limit(client, places, limit):
    response = client.get(f"/api/places?bbox={VADUZ}&limit={limit}")
    assert response.status_code == 200
    data = response.get_json(force=True)
    assert data["clustered"] is True and 1 <= len(data["features"]) <= int(limit)
    assert sum(f["properties"]["count"] for f in data["features"]) == len(places)


@pytest.mark.parametrize("raw", ["٣", "３", "1.5", "1e3", "+", " ", "0x10", HUGE])
def test_bad_input_limit_other_than_ascii_digits_is_refused(client, raw):
    assert _error(client.get(f"/api/places?bbox={VADUZ}&limit={raw}"))["field"] == "limit"


@pytest.mark.parametrize("path, field", [
    ("/api/places/search?q=ab%00cd", "q"),
    ("/api/places?bbox=9.5,47.1,9.6,47.2%00", "bbox"),
    ("/export/places.geojson?category=food%00", "category"),
    ("/ogc/collections/places/items?bbox=%00", "bbox"),
])
def test_bad_input_nul_in_a_query_names_the_parameter(client, path, field):
    assert _error(client.get(path))["field"] == field


def test_bad_input_nul_in_admin_search_names_the_parameter(client, auth):
    auth.login_as("admin")
    response = client.get("/admin/users?q=ann%00", headers={"Accept": "application/json"})
    assert _error(response)["field"] == "q"


@pytest.mark.parametrize("text", ["\u0000", "ab\u0000", "\ud800", "x\udfffy"])
@pytest.mark.parametrize("kind, field, body", [
    ("status", "description", {"wheelchair": "yes"}),
    ("new_place", "name", {"category": "food", "wheelchair": "yes", "lon": 9.52, "lat": 47.14}),
    ("report", "note", {"problem": "other"}),
    ("correction", "name", {}),
])
def test_bad_input_unstorable_characters_in_json_text(client, session, places, text, kind, field, body):
    path = {"status": f"/api/places/{places[0].id}/status", "new_place": "/api/places",
            "report": f"/api/places/{places[0].id}/reports",
            "correction": f"/api/places/{places[0].id}/corrections"}[kind]
    # json.dumps writes \\u0000 and \\ud800 as escapes, exactly as a hostile client would send them.
    response = _post_json(client, path, json.dumps({**body, field: text}))
    assert _error(response)["field"] == field
    assert _submissions(session) == 0


@pytest.mark.parametrize("raw", ["1e309", "-1e309", "Infinity", "-Infinity", "NaN", "1.5", "true",
                                 '"٣"', HUGE, "-1", "0"])
def test_bad_input_base_version_must_be_a_small_whole_number(client, session, places, raw):
    body = f'{{"wheelchair": "yes", "base_version": {raw}}}'
    error = _error(_post_json(client, f"/api/places/{places[0].id}/status", body))
    assert error["field"] in ("base_version", "body")
    assert _submissions(session) == 0


@pytest.mark.parametrize("raw", ["1e400", "-1e309", "1" + "0" * 400])
def test_bad_input_coordinates_that_overflow(client, session, raw):
    body = f'{{"name": "X", "category": "food", "wheelchair": "yes", "lon": {raw}, "lat": 47.1}}'
    assert _error(_post_json(client, "/api/places", body))["field"] == "lon"


@pytest.mark.parametrize("path, field", [
    (f"/api/places/{HUGE}", "place_id"),
    (f"/places/{HUGE}", "place_id"),
    (f"/ogc/collections/places/items/{HUGE}", "place_id"),
    ("/api/places/2147483648", "place_id"),
])
def test_bad_input_ids_past_the_integer_range_are_not_found(client, path, field):
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 404
    body = response.get_json(force=True)
    assert body["error"]["field"] == field


@pytest.mark.parametrize("path", [f"/api/places/{HUGE}/status", f"/api/places/{HUGE}/reports",
                                  f"/api/places/{HUGE}/corrections"])
def test_bad_input_ids_past_the_integer_range_in_submissions(client, session, path):
    response = _post_json(client, path, '{"wheelchair": "yes", "problem": "other", "name": "x"}')
    assert _error(response, 404)["field"] == "place_id"


@pytest.mark.parametrize("query, field", [
    (f"after={HUGE}", "after"), ("after=-1", "after"), (f"limit={HUGE}", "limit"),
])
def test_bad_input_ogc_cursor_past_the_integer_range(client, query, field):
    assert _error(client.get(f"/ogc/collections/places/items?{query}"))["field"] == field


def test_bad_input_moderation_paths_and_cursors(client, session, auth):
    auth.login_as("moderator")
    json_accept = {"Accept": "application/json"}
    assert client.get(f"/moderate/submissions/{HUGE}", headers=json_accept).status_code == 404
    for query, field in ((f"actor={HUGE}", "actor"), (f"before={HUGE}", "before"), ("page=٣", "page")):
        path = "/moderate/log?" + query if field != "page" else "/moderate?" + query
        assert _error(client.get(path, headers=json_accept))["field"] == field
    token = csrf_token_from(client.get("/moderate").get_data(as_text=True))
    posted = client.post(f"/moderate/submissions/{HUGE}/approve", data={"csrf_token": token}, headers=json_accept)
    assert posted.status_code == 404
    bulk = client.post("/moderate/bulk", data={"csrf_token": token, "ids": HUGE, "action": "approve"},
                       headers=json_accept)
    assert _error(bulk)["field"] == "ids"
    ban = client.get(f"/moderate/ban?user={HUGE}", headers=json_accept)
    assert _error(ban)["field"] == "user"


def test_bad_input_deeply_nested_json(client, session, places):
    body = '{"wheelchair": "yes", "description": ' + "[" * 1000 + "]" * 1000 + "}"
    assert _error(_post_json(client, f"/api/places/{places[0].id}/status", body))["field"] in ("body",
                                                                                                "description")
    flat_nesting = "[" * 100_000 + "]" * 100_000
    assert _error(_post_json(client, "/api/places", flat_nesting))["field"] == "body"
    assert _submissions(session) == 0


@pytest.mark.parametrize("body", ["{", "[1, 2]", '"text"', "\xff\xfe", '{"a": 1}{"b": 2}'])
def test_bad_input_json_that_is_not_an_object(client, places, body):
    response = client.post(f"/api/places/{places[0].id}/status", data=body.encode("latin-1"),
                           content_type="application/json")
    assert _error(response)["field"] == "body"


def test_bad_input_large_bodies_are_refused_before_they_are_read(app, client, session, places):
    limit = app.config["MAX_CONTENT_LENGTH"]
    padding = "x" * (10 * 1024 * 1024)
    response = _post_json(client, f"/api/places/{places[0].id}/status",
                          json.dumps({"wheelchair": "yes", "pad": padding}))
    error = _error(response, 413)
    assert error["field"] == "body" and str(limit // 1024) in error["message"]
    assert _submissions(session) == 0


def test_bad_input_huge_declared_length_answers_at_once(live_server, live_db):
    """A client announcing 100 MB gets 413 from the header alone, without the server waiting for the body."""
    import http.client
    from urllib.parse import urlsplit
    place = make_place(live_db)
    live_db.commit()
    target = urlsplit(live_server)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    connection.putrequest("POST", f"/api/places/{place.id}/status")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(100 * 1024 * 1024))
    connection.endheaders()
    connection.send(b'{"wheelchair": "yes", "pad": "')  # then nothing more: the server must not wait for it
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["error"]["field"] == "body"
    connection.close()


def test_bad_input_form_posts_with_nul(client, session, auth):
    admin = auth.login_as("admin")
    other = make_user(session)
    session.commit()
    token = csrf_token_from(client.get("/admin/users").get_data(as_text=True))
    response = client.post(f"/admin/users/{other.id}/ban", data={"csrf_token": token, "reason": "spam\x00"},
                           headers={"Accept": "application/json"})
    assert _error(response)["field"] == "reason"
    assert admin.id != other.id
