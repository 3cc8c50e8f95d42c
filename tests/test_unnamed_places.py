"""Places without a name, and places' addresses (issue 15): OpenStreetMap rarely names a toilet, an elevator, a
parking or a platform, yet they matter most to wheelchair users. Pages call them by their category; data keeps
the name null; name search also finds places by street and house number."""

import json

import pytest
from sqlalchemy import select

from app.device import COOKIE
from app.models import Place
from app.services import moderation
from app.services.osm_import import import_file
from app.services.submissions import Submitter, hash_device_token, submit_status
from tests.conftest import csrf_token_from
from tests.factories import make_place, make_user
from tests.test_osm_liechtenstein import extract_path

DEVICE_TOKEN = "unnamed-device-" + "x" * 32


@pytest.fixture
def toilet(session):
    place = make_place(session, name=None, category="toilets", wheelchair="yes", lon=9.5215, lat=47.1395,
                       source="osm", osm_type="node", osm_id=4242)
    place.address = {"street": "Städtle", "housenumber": "35", "postcode": "9490", "city": "Vaduz"}
    session.commit()
    return place


def test_an_unnamed_place_keeps_a_null_name_in_data_and_its_address_as_osm_tags(client, session, toilet):
    named = make_place(session, name="Rathaus", lon=9.5216, lat=47.1396)
    session.commit()
    light = client.get("/api/places?bbox=9.52,47.13,9.53,47.15").get_json()["features"]
    assert {f["id"]: f["properties"]["name"] for f in light} == {toilet.id: None, named.id: "Rathaus"}
    assert all("addr:street" not in f["properties"] for f in light)  # the light features stay light

    detail = client.get(f"/api/places/{toilet.id}").get_json()["properties"]
    assert detail["name"] is None and detail["category_label"] == "Public toilets"
    assert (detail["addr:street"], detail["addr:housenumber"], detail["addr:postcode"], detail["addr:city"]) == (
        "Städtle", "35", "9490", "Vaduz")

    export = client.get("/export/places.geojson").get_data(as_text=True)
    features = {f["id"]: f["properties"] for f in json.loads(export)["features"]}
    keys = list(features[toilet.id])
    # The address comes last, sorted, and only on places that have one.
    assert keys[-4:] == ["addr:city", "addr:housenumber", "addr:postcode", "addr:street"]
    assert not any(key.startswith("addr:") for key in features[named.id])


def test_pages_call_an_unnamed_place_by_its_category(client, session, toilet, auth):
    page = client.get(f"/places/{toilet.id}").get_data(as_text=True)
    assert "<h1>Public toilets</h1>" in page and "None" not in page
    assert "Städtle 35, 9490 Vaduz" in page
    # A volunteer's answer about it, in their list and in the moderation queue and review.
    client.get("/")  # the device cookie
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    answer = client.post(f"/api/places/{toilet.id}/status", json={"wheelchair": "limited"},
                         headers={"X-CSRFToken": token})
    assert answer.status_code == 201
    mine = client.get("/my/submissions").get_data(as_text=True)
    assert "Public toilets" in mine and ">None<" not in mine
    auth.login_as("moderator")
    queue = client.get("/moderate").get_data(as_text=True)
    assert "Public toilets" in queue
    review = client.get(f"/moderate/submissions/{answer.get_json()['id']}").get_data(as_text=True)
    assert "Public toilets" in review and 'value="None"' not in review


def test_an_unnamed_place_in_the_ogc_html_shows_no_python_none(client, toilet):
    page = client.get("/ogc/collections/places/items?f=html").get_data(as_text=True)
    assert "<td>None</td>" not in page


@pytest.mark.parametrize("query", ["Städtle", "städtle 35", "9490 Vaduz", "Rathaus"])
def test_name_search_finds_places_by_street_house_number_and_town(client, session, toilet, query):
    named = make_place(session, name="Rathaus", lon=9.5216, lat=47.1396)
    named.address = {"street": "Städtle", "housenumber": "49", "postcode": "9490", "city": "Vaduz"}
    session.commit()
    found = client.get("/api/places/search", query_string={"q": query, "near": "9.5215,47.1395"}).get_json()
    ids = [f["id"] for f in found["features"]]
    expected = {"Städtle": [toilet.id, named.id], "städtle 35": [toilet.id], "9490 Vaduz": [toilet.id, named.id],
                "Rathaus": [named.id]}[query]
    assert ids == expected


def test_notices_and_impact_name_an_unnamed_place_by_its_category(client, session, toilet):
    device = Submitter(device_hash=hash_device_token(DEVICE_TOKEN))
    answer = submit_status(session, device, toilet.id, {"wheelchair": "no"})
    moderation.reject(session, answer.id, make_user(session, role="moderator"), "wrong", "It has a ramp")
    session.commit()
    client.set_cookie(COOKIE, DEVICE_TOKEN)
    for path in ("/notices", "/me"):
        page = client.get(path).get_data(as_text=True)
        assert "Public toilets" in page, path
        assert "a place no longer on the map" not in page, path


def test_after_importing_liechtenstein_search_finds_a_museum_by_its_street_and_number(client, session):
    import_file(session, extract_path())
    session.commit()
    found = client.get("/api/places/search", query_string={"q": "Städtle 43"}).get_json()["features"]
    assert [f["properties"]["name"] for f in found] == ["Liechtensteinisches Landesmuseum Vaduz"]
    by_street = client.get("/api/places/search", query_string={"q": "Landstrasse", "limit": 50}).get_json()
    on_it = session.scalars(select(Place.id).where(
        Place.address["street"].astext.ilike("%landstrasse%") | Place.name.ilike("%landstrasse%"))).all()
    assert len(on_it) >= 5 and sorted(f["id"] for f in by_street["features"]) == sorted(on_it)


def test_the_a11yjson_profile_leaves_out_the_name_of_an_unnamed_place(client, toilet):
    body = client.get("/export/places.geojson?profile=a11yjson").get_data(as_text=True)
    [feature] = [f for f in json.loads(body)["features"] if f["id"] == toilet.id]
    assert "name" not in feature["properties"] and feature["properties"]["category"] == "toilets"
