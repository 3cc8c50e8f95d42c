"""/check and its JSON API over HTTP: which places are due, what one volunteer is no longer asked, a mapping
event's area, "still correct", "can't tell", bad input, and peer checks that never offer one's own change."""

import json
from datetime import timedelta

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from sqlalchemy import func, select

from app.models import CheckSkip, MappingEvent, Place, Revision, Submission
from app.models.base import utcnow
from app.services import moderation
from app.services.places import apply_change, get_place
from app.services.submissions import Submitter, submit_status
from tests.factories import make_place, make_user

HERE = (9.52, 47.14)
NEAR = f"near={HERE[0]},{HERE[1]}"


def _post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def _due_ids(client, query: str = NEAR) -> list[int]:
    response = client.get(f"/api/check?{query}&limit=50")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [f["id"] for f in response.get_json(force=True)["features"]]


def _place(session, wheelchair: str, years: float | None, **values) -> Place:
    """A place near HERE whose status was last checked `years` ago (None: never)."""
    place = make_place(session, wheelchair=wheelchair, lon=HERE[0] + 0.0002, lat=HERE[1], **values)
    place.last_verified_at = None if years is None else utcnow() - timedelta(days=365 * years)
    return place


def _add_event(session, slug: str = "vaduz-centre", name: str = "Vaduz centre") -> MappingEvent:
    area = MultiPolygon([box(9.515, 47.135, 9.525, 47.145)])
    event = MappingEvent(slug=slug, name=name, area=from_shape(area, srid=4326), starts_at=utcnow(),
                         ends_at=utcnow() + timedelta(days=1))
    session.add(event)
    session.commit()
    return event


# --- which places are due ----------------------------------------------------------------------------------

def test_check_offers_the_places_due_by_the_freshness_rule(client, session):
    due = [_place(session, "unknown", 0.01), _place(session, "unknown", None), _place(session, "yes", None),
           _place(session, "yes", 5), _place(session, "limited", 3), _place(session, "no", 3)]
    fresh = [_place(session, "yes", 1), _place(session, "yes", 3), _place(session, "limited", 1),
             _place(session, "no", 1)]
    hidden, gone = _place(session, "unknown", None), _place(session, "yes", 5)
    apply_change(session, get_place(session, hidden.id, for_update=True), {"hidden": True},
                 revision_source="moderation")
    apply_change(session, get_place(session, gone.id, for_update=True), {"gone": True}, revision_source="import")
    session.commit()

    offered = _due_ids(client)
    assert set(offered) == {p.id for p in due}
    assert not set(offered) & {p.id for p in [*fresh, hidden, gone]}


def test_check_features_say_what_the_card_shows(client, session):
    place = _place(session, "limited", 3, name="Café <Rosa>", category="food")
    session.commit()
    [feature] = client.get(f"/api/check?{NEAR}").get_json(force=True)["features"]
    p = feature["properties"]
    assert (p["name"], p["category_label"], p["wheelchair_label"], p["version"]) == (
        "Café <Rosa>", "Food and drink", "Partly accessible", place.version)
    assert p["last_verified_at"].startswith(str(place.last_verified_at.year))
    assert 10 <= p["distance_m"] <= 20  # 0.0002° of longitude at 47° N is about 15 m


def test_check_comes_nearest_first_within_the_limit(client, session):
    places = [make_place(session, lon=HERE[0] + d, lat=HERE[1]) for d in (0.003, 0.0001, 0.001)]
    session.commit()
    features = client.get(f"/api/check?{NEAR}&limit=2").get_json(force=True)["features"]
    assert [f["id"] for f in features] == [places[1].id, places[2].id]


# --- what one volunteer is no longer asked -----------------------------------------------------------------

def test_a_skipped_place_is_not_offered_again_to_that_device_only(app, client, session):
    skipped, kept = _place(session, "unknown", None), _place(session, "unknown", None)
    session.commit()
    assert {skipped.id, kept.id} <= set(_due_ids(client))

    response = _post(client, f"/api/places/{skipped.id}/skip", {})
    assert response.status_code == 204 and response.get_data() == b""
    assert _post(client, f"/api/places/{skipped.id}/skip", {}).status_code == 204  # again: no second row
    rows = session.scalars(select(CheckSkip).where(CheckSkip.place_id == skipped.id)).all()
    assert len(rows) == 1 and rows[0].device_hash is not None and rows[0].user_id is None
    assert session.scalar(select(func.count()).select_from(Submission)) == 0

    assert skipped.id not in _due_ids(client) and kept.id in _due_ids(client)
    assert skipped.id in _due_ids(app.test_client())  # another device is still asked


def test_a_place_with_my_pending_answer_is_not_offered_to_me(app, client, session):
    answered, other = _place(session, "unknown", None), _place(session, "unknown", None)
    session.commit()
    response = _post(client, f"/api/places/{answered.id}/status", {"wheelchair": "yes", "base_version": 1})
    assert response.status_code == 201 and response.get_json()["state"] == "pending"

    assert answered.id not in _due_ids(client) and other.id in _due_ids(client)
    assert answered.id in _due_ids(app.test_client())


def test_a_signed_in_volunteers_skip_follows_the_account(app, client, session, auth):
    place = _place(session, "unknown", None)
    session.commit()
    volunteer = auth.login_as("volunteer")
    assert _post(client, f"/api/places/{place.id}/skip", {}).status_code == 204
    skip = session.scalars(select(CheckSkip).where(CheckSkip.place_id == place.id)).one()
    assert (skip.user_id, skip.device_hash) == (volunteer.id, None)
    assert place.id not in _due_ids(client)


def test_skip_of_a_missing_place_is_404_naming_it(client):
    response = _post(client, "/api/places/999999/skip", {})
    assert response.status_code == 404
    assert response.get_json()["error"]["field"] == "place_id"


# --- a mapping event's area --------------------------------------------------------------------------------

def test_check_keeps_to_the_events_area(client, session):
    inside = make_place(session, lon=9.521, lat=47.141)
    outside = make_place(session, lon=9.53, lat=47.141)
    _add_event(session)

    assert {inside.id, outside.id} <= set(_due_ids(client))
    assert _due_ids(client, f"{NEAR}&event=vaduz-centre") == [inside.id]
    response = client.get(f"/api/check?{NEAR}&event=no-such-event")
    assert response.status_code == 404 and response.get_json()["error"]["field"] == "event"


# --- "still correct" ---------------------------------------------------------------------------------------

def test_still_correct_moves_only_the_check_date(client, session, auth):
    place = _place(session, "limited", 3, description="Ramp at the back", toilets_wheelchair="yes")
    session.commit()
    before = (place.snapshot(), place.version, place.updated_at)
    revisions = session.scalar(select(func.count()).select_from(Revision).where(Revision.place_id == place.id))
    moderator = auth.login_as("moderator")  # trusted: applied at once

    response = _post(client, f"/api/places/{place.id}/still-correct", {"base_version": place.version})

    assert response.status_code == 201, response.get_data(as_text=True)
    assert (response.get_json()["kind"], response.get_json()["state"]) == ("still_correct", "approved")
    submission = session.get(Submission, response.get_json()["id"])
    assert (submission.kind, submission.author_id, submission.proposed) == ("still_correct", moderator.id, {})
    session.refresh(place)
    assert place.last_verified_at > utcnow() - timedelta(minutes=1)
    assert (place.snapshot(), place.version, place.updated_at) == before
    assert session.scalar(select(func.count()).select_from(Revision).where(
        Revision.place_id == place.id)) == revisions
    assert place.id not in _due_ids(client)


def test_still_correct_from_an_anonymous_device_waits_for_review(client, session):
    place = _place(session, "yes", 5)
    session.commit()
    checked = place.last_verified_at
    response = _post(client, f"/api/places/{place.id}/still-correct", {"base_version": place.version})
    assert response.status_code == 201 and response.get_json()["state"] == "pending"
    session.refresh(place)
    assert place.last_verified_at == checked
    assert place.id not in _due_ids(client)  # answered, awaiting review


def test_still_correct_on_a_changed_place_is_409(client, session):
    place = _place(session, "yes", 5)
    apply_change(session, get_place(session, place.id, for_update=True), {"wheelchair": "no"},
                 revision_source="moderation")
    session.commit()
    response = _post(client, f"/api/places/{place.id}/still-correct", {"base_version": 1})
    assert response.status_code == 409 and response.get_json()["error"]["field"] == "base_version"
    assert session.scalar(select(func.count()).select_from(Submission)) == 0


# --- bad input ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, field", [
    ("/api/check", "near"),
    ("/api/check?near=", "near"),
    ("/api/check?near=9.52", "near"),
    ("/api/check?near=9.52,47.14,3", "near"),
    ("/api/check?near=east,north", "near"),
    ("/api/check?near=200,47", "near"),
    ("/api/check?near=9.52,-91", "near"),
    ("/api/check?near=nan,47", "near"),
    ("/api/check?near=9.52,47.14&limit=0", "limit"),
    ("/api/check?near=9.52,47.14&limit=51", "limit"),
    ("/api/check?near=9.52,47.14&limit=many", "limit"),
    ("/api/peer-checks?near=9.52", "near"),
    ("/check?near=9.52;47.14", "near"),
])
def test_bad_near_and_limit_are_400_naming_the_field(client, path, field):
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"]["field"] == field


def test_skip_must_be_json(client, session):
    place = _place(session, "unknown", None)
    session.commit()
    response = client.post(f"/api/places/{place.id}/skip", data="{}", content_type="text/plain")
    assert response.status_code == 415
    assert session.scalar(select(func.count()).select_from(CheckSkip)) == 0


# --- the page ----------------------------------------------------------------------------------------------

def test_check_page_passes_position_centre_and_event_to_its_script(app, client, session):
    _add_event(session, name="Vaduz <centre>")
    html = client.get("/check?near=9.5,47.1&event=vaduz-centre").get_data(as_text=True)
    config = json.loads(html.split("data-config='", 1)[1].split("'", 1)[0])
    assert config["near"] == [9.5, 47.1] and config["event"] == "vaduz-centre"
    assert config["centre"] == [app.config["MAP_CENTER_LON"], app.config["MAP_CENTER_LAT"]]
    assert 'Limited to the area of <a href="/events/vaduz-centre">Vaduz &lt;centre&gt;</a>' in html


def test_check_page_of_an_unknown_event_is_404_naming_it(client):
    response = client.get("/check?event=no-such-event", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.get_json()["error"]["field"] == "event"


def test_check_page_offers_anonymous_visitors_a_sign_in_link_for_peer_checks(client, auth):
    html = client.get("/check").get_data(as_text=True)
    assert 'href="/account/login?next=/check' in html and 'id="peer-list"' not in html
    auth.login_as("volunteer")
    html = client.get("/check").get_data(as_text=True)
    assert 'id="peer-list"' in html


# --- peer checks -------------------------------------------------------------------------------------------

def _approved_change(session, author, wheelchair="no"):
    place = make_place(session, lon=HERE[0], lat=HERE[1])
    submission = submit_status(session, Submitter(user=author), place.id, {"wheelchair": wheelchair})
    moderation.approve(session, submission.id, make_user(session, role="moderator"))
    session.commit()
    return place, session.scalar(select(Revision).where(Revision.submission_id == submission.id))


def test_peer_checks_never_offer_my_own_change(client, session, auth):
    me = auth.login_as("volunteer")
    neighbour = make_user(session, display_name="Nina Neighbour")
    neighbour.public_name = True
    mine_place, mine = _approved_change(session, me)
    theirs_place, theirs = _approved_change(session, neighbour, wheelchair="limited")

    changes = client.get(f"/api/peer-checks?{NEAR}").get_json()["changes"]
    assert [c["revision_id"] for c in changes] == [theirs.id]
    [change] = changes
    assert (change["place_id"], change["author"]) == (theirs_place.id, "Nina Neighbour")
    assert (change["before"]["wheelchair"], change["after"]["wheelchair"]) == ("unknown", "limited")
    # Voting on it takes it off the list; voting on my own is refused.
    assert _post(client, f"/api/revisions/{theirs.id}/votes", {"vote": "agree"}).status_code == 201
    assert client.get(f"/api/peer-checks?{NEAR}").get_json()["changes"] == []
    refused = _post(client, f"/api/revisions/{mine.id}/votes", {"vote": "agree"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "own_change"
    assert mine_place.id != theirs_place.id


def test_peer_checks_name_only_authors_who_opted_in(client, session, auth):
    _, revision = _approved_change(session, make_user(session, display_name="Private Person"))
    auth.login_as("volunteer")
    [change] = client.get(f"/api/peer-checks?{NEAR}").get_json()["changes"]
    assert change["revision_id"] == revision.id and change["author"] is None
    assert "Private Person" not in json.dumps(change)


def test_peer_checks_ask_anonymous_visitors_to_sign_in(client, session):
    _approved_change(session, make_user(session))
    assert client.get(f"/api/peer-checks?{NEAR}").get_json() == {"changes": [], "sign_in_required": True}
