"""/moderate/osm, the upstream queue: moderators only, field by field, downloads, holds with a reason (CSRF)."""

import osmium
import pytest
from sqlalchemy import select

from app.models import ModerationEvent, OsmNode, OsmUpstreamHold, Place
from app.services.places import apply_change
from tests.conftest import csrf_token_from
from tests.factories import make_place

OSM_ID = 123_456


@pytest.fixture
def changed_place(session):
    """A café from OSM (wheelchair=no there) that a moderator approved as `yes`; its name is hostile markup."""
    seen = {"name": "<script>alert(1)</script>", "category": "food", "wheelchair": "no",
            "toilets_wheelchair": "unknown", "description": None, "lon": 9.52, "lat": 47.14, "gone": False}
    place = make_place(session, name=seen["name"], wheelchair="no", source="osm", osm_type="node", osm_id=OSM_ID,
                       osm_seen=seen, lon=9.52, lat=47.14)
    session.add(OsmNode(id=OSM_ID, version=7, tags={"amenity": "cafe", "name": seen["name"], "wheelchair": "no",
                                                    "opening_hours": "Mo-Fr 08:00-18:00"},
                        x=95_200_000, y=471_400_000))
    place = session.scalar(select(Place).where(Place.id == place.id).with_for_update())
    apply_change(session, place, {"wheelchair": "yes"}, revision_source="moderation", verified=True)
    session.commit()
    return place


def test_only_moderators_see_the_upstream_queue(client, auth, changed_place):
    assert client.get("/moderate/osm").status_code == 302  # to the sign-in page
    auth.login_as("volunteer")
    assert client.get("/moderate/osm").status_code == 403
    assert client.get("/moderate/osm/stepfree.osc").status_code == 403


def test_the_queue_lists_the_change_field_by_field_with_text_escaped(client, auth, changed_place):
    auth.login_as("moderator")
    html = client.get("/moderate/osm").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<code>wheelchair</code>" in html and "<code>no</code>" in html and "<code>yes</code>" in html
    assert f"https://www.openstreetmap.org/node/{OSM_ID}" in html


def test_the_download_is_an_osmchange_that_keeps_every_other_tag(client, auth, changed_place, tmp_path):
    auth.login_as("moderator")
    response = client.get("/moderate/osm/stepfree.osc")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    path = tmp_path / "download.osc"
    path.write_bytes(response.data)
    [(identity, tags)] = [((n.id, n.version, n.location.lon, n.location.lat), dict(n.tags))
                          for n in osmium.FileProcessor(str(path))]
    assert identity == (OSM_ID, 7, 9.52, 47.14)
    assert tags["wheelchair"] == "yes" and tags["opening_hours"] == "Mo-Fr 08:00-18:00"
    assert "check_date:wheelchair" in tags


def test_a_hold_needs_a_reason_and_csrf_and_keeps_the_place_out_of_the_file(client, auth, session, changed_place):
    auth.login_as("moderator")
    page = client.get("/moderate/osm").get_data(as_text=True)
    token = csrf_token_from(page)
    url = f"/moderate/osm/places/{changed_place.id}/hold"
    assert client.post(url, data={"reason": "ramp being rebuilt"}).status_code == 400  # no CSRF token
    refused = client.post(url, data={"reason": "  ", "csrf_token": token}, headers={"Accept": "application/json"})
    assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "reason"
    assert client.post(url, data={"reason": "ramp being rebuilt", "csrf_token": token}).status_code == 303
    assert session.get(OsmUpstreamHold, changed_place.id).reason == "ramp being rebuilt"
    assert b"<node" not in client.get("/moderate/osm/stepfree.osc").data
    assert "ramp being rebuilt" in client.get("/moderate/osm").get_data(as_text=True)

    release = f"/moderate/osm/places/{changed_place.id}/release"
    assert client.post(release, data={"csrf_token": token}).status_code == 303
    assert b"<node" in client.get("/moderate/osm/stepfree.osc").data
    actions = session.scalars(select(ModerationEvent.action).where(ModerationEvent.place_id == changed_place.id))
    assert {"hold_upstream", "release_upstream"} <= set(actions)


def test_holding_a_place_that_is_not_from_osm_is_a_404(client, auth, session):
    auth.login_as("moderator")
    token = csrf_token_from(client.get("/moderate/osm").get_data(as_text=True))
    place = make_place(session)
    session.commit()
    response = client.post(f"/moderate/osm/places/{place.id}/hold", data={"reason": "x", "csrf_token": token},
                           headers={"Accept": "application/json"})
    assert response.status_code == 404
