"""The map's JSON API: places in a view, clusters, one place, search, and the submission endpoints."""

import json

import pytest
from sqlalchemy import func, select

from app.models import Revision, Submission
from app.policy import ModerationPolicy
from app.services import moderation
from app.services.submissions import Submitter, submit_status
from tests.factories import make_place, make_user

VADUZ = "9.50,47.13,9.54,47.15"


def _post(client, path, body, **kwargs):
    return client.post(path, data=json.dumps(body), content_type="application/json", **kwargs)


def _count(session, *where):
    return session.scalar(select(func.count()).select_from(Submission).where(*where))


# ---- reading ---------------------------------------------------------------------------------
def test_places_in_view_are_rfc7946_features_of_published_places(client, session):
    shown = make_place(session, name="Café <Rosa>", lon=9.52, lat=47.14, wheelchair="yes")
    hidden = make_place(session, lon=9.521, lat=47.14)
    outside = make_place(session, lon=9.60, lat=47.14)
    moderator = make_user(session, role="moderator")
    from app.services.places import apply_change
    apply_change(session, hidden, {"hidden": True}, revision_source="moderation", actor=moderator)
    session.commit()
    data = client.get(f"/api/places?bbox={VADUZ}").get_json(force=True)
    assert data["type"] == "FeatureCollection" and data["clustered"] is False
    ids = {f["id"] for f in data["features"]}
    assert shown.id in ids and hidden.id not in ids and outside.id not in ids
    feature = next(f for f in data["features"] if f["id"] == shown.id)
    assert feature["geometry"] == {"type": "Point", "coordinates": [9.52, 47.14]}  # longitude first
    assert feature["properties"]["name"] == "Café <Rosa>"
    assert feature["properties"]["wheelchair"] == "yes"


def test_places_filters_by_status_and_category(client, session):
    yes_food = make_place(session, wheelchair="yes", category="food")
    no_food = make_place(session, wheelchair="no", category="food")
    yes_health = make_place(session, wheelchair="yes", category="health")
    session.commit()
    def ids(q):
        return {f["id"] for f in client.get(f"/api/places?bbox={VADUZ}&{q}").get_json(force=True)["features"]}
    assert ids("wheelchair=yes") == {yes_food.id, yes_health.id}
    assert ids("wheelchair=yes,no&category=food") == {yes_food.id, no_food.id}
    assert ids("wheelchair=yes&wheelchair=no&category=health") == {yes_health.id}


def test_places_answer_clusters_for_wide_views_and_when_over_the_limit(client, session):
    for i in range(12):
        make_place(session, lon=9.51 + i * 0.001, lat=47.14, wheelchair="yes" if i % 2 else "no")
    session.commit()
    wide = client.get("/api/places?bbox=9.0,46.8,10.3,47.6").get_json(force=True)
    assert wide["clustered"] is True
    assert sum(f["properties"]["count"] for f in wide["features"]) == 12
    assert all(f["properties"]["cluster"] is True for f in wide["features"])
    first = wide["features"][0]["properties"]
    assert first["yes"] + first["no"] + first["limited"] + first["unknown"] == first["count"]
    capped = client.get(f"/api/places?bbox={VADUZ}&limit=5").get_json(force=True)
    assert capped["clustered"] is True and len(capped["features"]) <= 5
    assert sum(f["properties"]["count"] for f in capped["features"]) == 12


def test_places_never_exceed_the_limit(client, session):
    for i in range(30):
        make_place(session, lon=9.5 + i * 0.0013, lat=47.131 + i * 0.0006)
    session.commit()
    for limit in (4, 7, 29, 30):
        data = client.get(f"/api/places?bbox={VADUZ}&limit={limit}").get_json(force=True)
        assert len(data["features"]) <= limit


@pytest.mark.parametrize("query, field", [
    ("", "bbox"),
    ("bbox=1,2,3", "bbox"),
    ("bbox=a,b,c,d", "bbox"),
    ("bbox=9.6,47.1,9.5,47.2", "bbox"),
    ("bbox=0,-95,20,20", "bbox"),
    ("bbox=-200,0,1,1", "bbox"),
    (f"bbox={VADUZ}&wheelchair=designated", "wheelchair"),
    (f"bbox={VADUZ}&category=spaceport", "category"),
    (f"bbox={VADUZ}&limit=0", "limit"),
    (f"bbox={VADUZ}&limit=100000", "limit"),
    (f"bbox={VADUZ}&limit=many", "limit"),
])
def test_places_bad_parameters_name_the_field(client, query, field):
    response = client.get(f"/api/places?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field


def test_place_detail_and_the_visitors_own_pending_submission(client, session):
    place = make_place(session, name="Bakery", description="Bell at the door")
    session.commit()
    data = client.get(f"/api/places/{place.id}").get_json(force=True)
    assert data["properties"]["description"] == "Bell at the door"
    assert data["properties"]["your_pending"] == []
    assert _post(client, f"/api/places/{place.id}/status", {"wheelchair": "limited"}).status_code == 201
    data = client.get(f"/api/places/{place.id}").get_json(force=True)
    assert [p["kind"] for p in data["properties"]["your_pending"]] == ["status"]
    # Another device sees nothing pending.
    other = client.application.test_client()
    assert other.get(f"/api/places/{place.id}").get_json(force=True)["properties"]["your_pending"] == []


def test_place_detail_404_for_unknown_or_hidden(client, session):
    assert client.get("/api/places/999999").status_code == 404
    assert client.get("/api/places/999999").get_json()["error"]["code"] == "not_found"


def test_search_finds_places_by_name_nearest_first(client, session):
    far = make_place(session, name="Rosa Café", lon=9.53, lat=47.14)
    near = make_place(session, name="Café Rosa", lon=9.52, lat=47.14)
    make_place(session, name="Bakery")
    session.commit()
    data = client.get("/api/places/search?q=rosa&near=9.52,47.14").get_json(force=True)
    assert [f["id"] for f in data["features"]] == [near.id, far.id]
    assert client.get("/api/places/search?q=r").status_code == 400
    assert client.get("/api/places/search?q=rosa&near=x").get_json()["error"]["field"] == "near"
    # LIKE wildcards are plain characters.
    assert client.get("/api/places/search?q=%25%25").get_json(force=True)["features"] == []


# ---- submitting ------------------------------------------------------------------------------
def test_status_submission_answers_201_pending_and_sets_a_device_cookie(client, session):
    place = make_place(session)
    session.commit()
    response = _post(client, f"/api/places/{place.id}/status", {"wheelchair": "limited", "base_version": 1})
    assert response.status_code == 201
    body = response.get_json()
    assert body["state"] == "pending" and "review" in body["message"]
    assert "stepfree_device" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    stored = session.get(Submission, body["id"])
    assert stored.device_hash is not None and stored.author_id is None
    assert body["updated"] is False
    # The same device keeps its token: its second answer about the place, while the first still waits,
    # updates the first instead of adding another queue item.
    again = _post(client, f"/api/places/{place.id}/status", {"toilets_wheelchair": "yes"}).get_json()
    assert (again["id"], again["updated"]) == (body["id"], True) and "earlier answer" in again["message"]
    assert _count(session, Submission.device_hash == stored.device_hash) == 1
    session.refresh(stored)
    assert stored.proposed == {"wheelchair": "limited", "toilets_wheelchair": "yes"}
    # About another place, it is another submission, from the same device.
    other = make_place(session)
    session.commit()
    _post(client, f"/api/places/{other.id}/status", {"wheelchair": "yes"})
    assert _count(session, Submission.device_hash == stored.device_hash) == 2


@pytest.mark.parametrize("body, field, status", [
    ({"wheelchair": "maybe"}, "wheelchair", 400),
    ({"toilets_wheelchair": "limited"}, "toilets_wheelchair", 400),
    ({"description": "x" * 256}, "description", 400),
    ({}, "wheelchair", 400),
    ({"wheelchair": "yes", "base_version": "two"}, "base_version", 400),
    ({"wheelchair": "yes", "base_version": 99}, "base_version", 409),
    (["yes"], "body", 400),
])
def test_status_submission_errors_name_the_field(client, session, body, field, status):
    place = make_place(session)
    session.commit()
    response = _post(client, f"/api/places/{place.id}/status", body)
    assert response.status_code == status
    assert response.get_json()["error"]["field"] == field
    assert _count(session) == 0


def test_submission_refuses_wrong_content_type_and_cross_site_origin(client, session):
    place = make_place(session)
    session.commit()
    form = client.post(f"/api/places/{place.id}/status", data={"wheelchair": "yes"})
    assert form.status_code == 415 and form.get_json()["error"]["field"] == "Content-Type"
    broken = client.post(f"/api/places/{place.id}/status", data="{not json", content_type="application/json")
    assert broken.status_code == 400
    cross = _post(client, f"/api/places/{place.id}/status", {"wheelchair": "yes"},
                  headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert _count(session) == 0


def test_unknown_place_submission_is_404(client):
    response = _post(client, "/api/places/424242/status", {"wheelchair": "yes"})
    assert response.status_code == 404 and response.get_json()["error"]["field"] == "place_id"


@pytest.mark.parametrize("change, field", [
    ({"lon": 181}, "lon"), ({"lat": -90.5}, "lat"), ({"lat": None}, "lat"), ({"lon": "x"}, "lon"),
    ({"category": "spaceport"}, "category"), ({"name": "  "}, "name"), ({"wheelchair": "designated"}, "wheelchair"),
    ({"description": "é" * 256}, "description"), ({"name": "n" * 201}, "name"),
])
def test_new_place_errors_name_the_field(client, session, change, field):
    body = {"name": "Corner café", "category": "food", "lon": 9.52, "lat": 47.14, "wheelchair": "yes", **change}
    response = _post(client, "/api/places", body)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field


def test_new_place_and_report_answer_201(client, session):
    place = make_place(session)
    session.commit()
    created = _post(client, "/api/places", {"name": "Corner café", "category": "food", "lon": 9.52, "lat": 47.14,
                                            "wheelchair": "yes", "description": "Wide door"})
    assert created.status_code == 201 and created.get_json()["state"] == "pending"
    report = _post(client, f"/api/places/{place.id}/reports", {"problem": "closed", "note": "Shop is empty"})
    assert report.status_code == 201 and report.get_json()["state"] == "pending"
    bad = _post(client, f"/api/places/{place.id}/reports", {"problem": "ugly"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "problem"


def test_trusted_volunteer_is_saved_at_once_with_a_revision(client, session, auth, app):
    app.extensions["moderation_policy"] = ModerationPolicy(trust_min_approved=1)
    volunteer = auth.login_as("volunteer")
    moderator = make_user(session, role="moderator")
    first = make_place(session)
    session.commit()
    pending = _post(client, f"/api/places/{first.id}/status", {"wheelchair": "yes"}).get_json()
    assert pending["state"] == "pending"
    with app.app_context():
        moderation.approve(session, pending["id"], moderator)
    session.commit()
    place = make_place(session, wheelchair="unknown")
    session.commit()
    saved = _post(client, f"/api/places/{place.id}/status", {"wheelchair": "no"})
    assert saved.status_code == 201 and saved.get_json()["state"] == "approved"
    assert "Saved" in saved.get_json()["message"]
    revision = session.scalars(select(Revision).where(Revision.submission_id == saved.get_json()["id"])).one()
    assert revision.source == "auto_approval" and revision.actor_id == volunteer.id
    assert client.get(f"/api/places/{place.id}").get_json(force=True)["properties"]["wheelchair"] == "no"


def test_banned_user_gets_a_clear_refusal(client, session, auth):
    user = auth.login_as("volunteer")
    admin = make_user(session, role="admin")
    place = make_place(session)
    from app.services.accounts import ban_user
    ban_user(session, admin, user, "spam")
    session.commit()
    response = _post(client, f"/api/places/{place.id}/status", {"wheelchair": "yes"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "banned"
    assert "banned" in response.get_json()["error"]["message"]
    assert _count(session) == 0


def test_banned_account_still_signed_in_is_refused(session, app):
    with app.app_context():
        admin = make_user(session, role="admin")
        user = make_user(session)
        from app.errors import Forbidden
        from app.services.accounts import ban_user
        ban_user(session, admin, user, "spam")
        place = make_place(session)
        with pytest.raises(Forbidden) as caught:
            submit_status(session, Submitter(user=user), place.id, {"wheelchair": "yes"})
        assert caught.value.code == "banned"


def test_submissions_are_rate_limited_per_device_with_a_clear_429(client, session, app):
    app.config["RATELIMIT_SUBMISSIONS"] = "3 per minute"
    places = [make_place(session) for _ in range(5)]
    session.commit()
    statuses = [_post(client, f"/api/places/{p.id}/status", {"wheelchair": "yes"}).status_code for p in places[:4]]
    assert statuses == [201, 201, 201, 429]
    refused = _post(client, f"/api/places/{places[4].id}/status", {"wheelchair": "yes"})
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert "wait" in refused.get_json()["error"]["message"]
    assert "Retry-After" in refused.headers
    assert _count(session) == 3


def test_rate_limit_counts_per_ip_across_devices(client, session, app):
    app.config["RATELIMIT_SUBMISSIONS_ADDRESS"] = "3 per minute"
    place = make_place(session)
    session.commit()
    statuses = []
    for _ in range(4):
        fresh = app.test_client()  # a new device token each time, same IP address
        statuses.append(_post(fresh, f"/api/places/{place.id}/status", {"wheelchair": "yes"}).status_code)
    assert statuses == [201, 201, 201, 429]


def test_api_output_has_no_personal_data(client, session, auth):
    auth.login_as("volunteer", email="private.person@example.org", display_name="Private Person")
    place = make_place(session, name="Shop")
    session.commit()
    _post(client, f"/api/places/{place.id}/status", {"wheelchair": "yes"})
    anonymous = client.application.test_client()
    texts = [anonymous.get(f"/api/places?bbox={VADUZ}").get_data(as_text=True),
             anonymous.get(f"/api/places/{place.id}").get_data(as_text=True),
             anonymous.get("/api/places/search?q=shop").get_data(as_text=True),
             client.get(f"/api/places/{place.id}").get_data(as_text=True)]
    device_hashes = session.scalars(select(Submission.device_hash).where(Submission.device_hash.is_not(None))).all()
    for text in texts:
        assert "private.person@example.org" not in text and "Private Person" not in text
        assert '"author' not in text and "user_id" not in text and "127.0.0.1" not in text
        for digest in device_hashes:
            assert digest not in text


def test_clusters_count_exactly_the_filtered_places(client, session):
    for i in range(40):
        make_place(session, lon=9.0 + i * 0.02, lat=47.0 + (i % 5) * 0.05, wheelchair=("yes", "no")[i % 2],
                   category=("food", "health")[i % 4 // 2])
    session.commit()
    def totals(q):
        return sum(f["properties"]["count"] for f in
                               client.get(f"/api/places?bbox=8.9,46.9,9.9,47.3&{q}").get_json(force=True)["features"])
    assert totals("") == 40
    assert totals("wheelchair=yes") == 20
    assert totals("category=health") == 20
    assert totals("wheelchair=no&category=food") == 10
