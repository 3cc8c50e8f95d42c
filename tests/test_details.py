"""Entrance, toilet and parking details (issue 14): validated, moderated like any change, served in full features.

The details are never in the map's light features: they must not slow the light.
"""

import json

import pytest
from sqlalchemy import select

from app.models import ModerationEvent, Revision, Submission
from app.queries import map as map_queries
from app.queries.moderation import review_context
from app.services import moderation
from app.services.submissions import Submitter, hash_device_token, submit_details
from geo.fields import DETAIL_FIELDS, FIELDS, KINDS
from tests.factories import make_place, make_user

DEVICE = Submitter(device_hash=hash_device_token("details-device"))
BOX = "9.50,47.13,9.54,47.15"
DETAILS = {"step_count": 1, "step_height": 7, "ramp": "portable", "door_width": 90, "automatic_door": "no",
           "step_free_entrance": "yes", "step_free_entrance_where": "round the back, by the car park",
           "toilets_grab_rails": "yes", "toilets_turning_space": "no", "toilets_door_width": 85,
           "parking_disabled": "yes", "hearing_loop": "limited"}


def _post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def place(session):
    found = make_place(session, name="Café Details", lon=9.521, lat=47.141, wheelchair="limited")
    session.commit()
    return found


@pytest.mark.parametrize("body, field", [
    ({"step_count": -1}, "step_count"),
    ({"step_count": 51}, "step_count"),
    ({"step_count": 1.5}, "step_count"),
    ({"step_count": True}, "step_count"),
    ({"step_count": "three"}, "step_count"),
    ({"step_height": 101}, "step_height"),
    ({"door_width": "wide"}, "door_width"),
    ({"door_width": 29}, "door_width"),
    ({"toilets_door_width": 301}, "toilets_door_width"),
    ({"ramp": "maybe"}, "ramp"),
    ({"automatic_door": "limited"}, "automatic_door"),
    ({"hearing_loop": 1}, "hearing_loop"),
    ({"parking_disabled": "unknown"}, "parking_disabled"),
    ({"step_free_entrance_where": "x" * 256}, "step_free_entrance_where"),
    ({"toilets_wheelchair": "limited"}, "toilets_wheelchair"),
    ({"unrelated": 1}, "step_count"),  # unknown keys are ignored, and nothing is left: name the first detail
])
def test_details_bad_value_answers_400_naming_the_field(client, session, place, body, field):
    response = _post(client, f"/api/places/{place.id}/details", body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"]["field"] == field
    assert session.scalar(select(Submission.id).where(Submission.kind == "details")) is None


def test_details_unknown_keys_are_ignored(client, session, place):
    response = _post(client, f"/api/places/{place.id}/details", {"step_count": "2", "colour": "red"})
    assert response.status_code == 201
    submission = session.get(Submission, response.get_json()["id"])
    assert submission.proposed == {"step_count": 2}


def test_details_from_an_anonymous_device_wait_and_approval_applies_them(client, session, place):
    response = _post(client, f"/api/places/{place.id}/details", {**DETAILS, "base_version": place.version})
    assert response.status_code == 201
    answer = response.get_json()
    assert answer["kind"] == "details" and answer["state"] == "pending"
    session.refresh(place)
    assert place.step_count is None and place.version == 1

    moderator = make_user(session, role="moderator")
    moderation.approve(session, answer["id"], moderator)
    session.commit()
    session.refresh(place)
    assert {key: getattr(place, key) for key in DETAILS} == DETAILS
    revision = session.scalar(select(Revision).where(Revision.place_id == place.id, Revision.version == 2))
    assert revision.source == "moderation" and revision.after == DETAILS
    assert set(revision.before) == set(DETAILS) and all(v is None for v in revision.before.values())
    event = session.scalar(select(ModerationEvent).where(ModerationEvent.submission_id == answer["id"]))
    assert event.action == "approve" and event.details == {"kind": "details"}


def test_details_of_a_trusted_volunteer_apply_at_once(client, session, auth, place):
    auth.login_as("moderator")
    response = _post(client, f"/api/places/{place.id}/details", {"step_count": 0, "door_width": "80"})
    assert response.status_code == 201 and response.get_json()["state"] == "approved"
    session.refresh(place)
    assert (place.step_count, place.door_width, place.version) == (0, 80, 2)


def test_details_on_a_stale_version_answer_409(client, session, place):
    response = _post(client, f"/api/places/{place.id}/details", {"ramp": "yes", "base_version": place.version + 1})
    assert response.status_code == 409
    assert response.get_json()["error"]["field"] == "base_version"


def test_details_repeated_by_the_same_device_update_the_pending_one(session, place):
    first = submit_details(session, DEVICE, place.id, {"step_count": 2})
    again = submit_details(session, DEVICE, place.id, {"ramp": "no"})
    assert again.id == first.id and again.updated_by_repeat
    assert again.proposed == {"step_count": 2, "ramp": "no"}


def test_details_review_rows_are_labelled_current_against_proposed(client, session, auth, place):
    place.door_width = 75
    session.commit()
    submission = submit_details(session, DEVICE, place.id, {"door_width": 90, "hearing_loop": "yes"})
    session.commit()
    context = review_context(session, submission)
    rows = {row.field: row for row in context.rows}
    assert set(rows) == {"door_width", "hearing_loop"}
    assert (rows["door_width"].label, rows["door_width"].current, rows["door_width"].proposed) == \
        ("Door width", 75, 90)
    assert rows["hearing_loop"].changed and rows["hearing_loop"].current is None
    auth.login_as("moderator")
    page = client.get(f"/moderate/submissions/{submission.id}").get_data(as_text=True)
    assert "Door width" in page and "Hearing loop" in page


def _with_details(session, place):
    for key, value in DETAILS.items():
        setattr(place, key, value)
    session.commit()


def test_details_are_in_the_full_feature_under_their_osm_keys(client, session, place):
    properties = client.get(f"/api/places/{place.id}").get_json(force=True)["properties"]
    # A place with no known detail carries none of their keys (not a dozen nulls)...
    assert not {FIELDS[key].osm_key for key in DETAIL_FIELDS} & set(properties)
    # ...one with any known detail carries them all, null where unknown.
    place.hearing_loop = "yes"
    session.commit()
    properties = client.get(f"/api/places/{place.id}").get_json(force=True)["properties"]
    assert {k: properties[FIELDS[k].osm_key] for k in DETAIL_FIELDS} == {k: "yes" if k == "hearing_loop" else None
                                                                      for k in DETAIL_FIELDS}
    _with_details(session, place)
    properties = client.get(f"/api/places/{place.id}").get_json(force=True)["properties"]
    assert {k: properties[FIELDS[k].osm_key] for k in DETAIL_FIELDS} == {
        **DETAILS, "step_height": "0.07", "door_width": "0.9", "toilets_door_width": "0.85"}
    assert properties["entrance:step_free:description"] == "round the back, by the car park"


def test_details_are_not_in_the_maps_light_features(client, session, place):
    _with_details(session, place)
    [feature] = client.get(f"/api/places?bbox={BOX}").get_json(force=True)["features"]
    detail_names = {FIELDS[k].osm_key for k in DETAIL_FIELDS} | set(DETAIL_FIELDS)
    assert not detail_names & set(feature["properties"])
    # The light query does not even read the detail columns.
    sql = str(map_queries.POINTS_SQL)
    assert not [key for key in DETAIL_FIELDS if f"p.{key}" in sql]


def test_details_are_exported_and_served_by_ogc_with_lengths_in_metres(client, session, place):
    _with_details(session, place)
    place.step_height, place.door_width = 15, 100
    session.commit()
    expected = {"step_count": 1, "step:height": "0.15", "door:width": "1", "toilets:door:width": "0.85",
                "ramp:wheelchair": "portable", "capacity:disabled": "yes", "hearing_loop": "limited"}
    exported = json.loads(client.get("/export/places.geojson").get_data(as_text=True))["features"][0]
    line = json.loads(client.get("/export/places.geojsonl").get_data(as_text=True).splitlines()[0])
    ogc = client.get(f"/ogc/collections/places/items/{place.id}").get_json(force=True)
    for feature in (exported, line, ogc):
        assert {k: feature["properties"][k] for k in expected} == expected


def test_details_kind_carries_every_detail_the_toilet_and_the_wheelchair_value():
    # The details and the wheelchair value they support are decided together (one item in the queue).
    assert set(KINDS["details"].fields) == {*DETAIL_FIELDS, "wheelchair", "toilets_wheelchair"}
    assert all(not FIELDS[key].on_map and FIELDS[key].accessibility for key in DETAIL_FIELDS)


def test_details_with_the_wheelchair_answer_are_one_submission_applied_together(session, app_context):
    place = make_place(session, wheelchair="unknown")
    moderator = make_user(session, role="moderator")
    device = Submitter(device_hash=hash_device_token("details-and-answer"))
    submission = submit_details(session, device, place.id, {"step_count": 1, "step_height": 5, "wheelchair": "limited"})
    moderation.approve(session, submission.id, moderator)
    session.refresh(place)
    assert (place.step_count, place.step_height, place.wheelchair, place.version) == (1, 5, "limited", 2)
