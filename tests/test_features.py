"""One feature shape: the map API, one place, the search, the exports and the OGC API say the same of a place.

Before, /api/places said `toilets_wheelchair` where /export and /ogc said `toilets:wheelchair`.
"""

import json

import pytest

from app.services.places import apply_change
from geo.fields import BASE_PROPERTIES, DEPRECATED_ALIASES, FEATURE_PROPERTIES, FIELDS, MAP_PROPERTIES, PUBLIC_FIELDS
from tests.factories import make_place, make_user

BOX = "9.50,47.13,9.54,47.15"


@pytest.fixture
def place(session):
    moderator = make_user(session, role="moderator")
    found = make_place(session, name="Café «Rosa» \"x\"", lon=9.521, lat=47.141, wheelchair="limited",
                       toilets_wheelchair="yes", description="Ramp at the side door", osm_type="node", osm_id=42)
    apply_change(session, found, {"wheelchair": "yes"}, revision_source="moderation", actor=moderator)
    session.commit()
    return found


def _one(features, place_id):
    return next(f for f in features if f["id"] == place_id)


def test_features_agree_across_map_api_search_export_and_ogc(client, place):
    light = _one(client.get(f"/api/places?bbox={BOX}").get_json(force=True)["features"], place.id)
    found = _one(client.get("/api/places/search?q=Rosa").get_json(force=True)["features"], place.id)
    detail = client.get(f"/api/places/{place.id}").get_json(force=True)
    exported = _one(json.loads(client.get("/export/places.geojson").get_data(as_text=True))["features"], place.id)
    lines = client.get("/export/places.geojsonl").get_data(as_text=True).splitlines()
    line = _one([json.loads(text) for text in lines], place.id)
    ogc_item = client.get(f"/ogc/collections/places/items/{place.id}").get_json(force=True)
    ogc_page = _one(client.get("/ogc/collections/places/items").get_json(force=True)["features"], place.id)

    full = exported["properties"]
    # No detail is known: the details' properties are left out, not a dozen nulls.
    assert tuple(full) == BASE_PROPERTIES
    for other in (line, ogc_item, ogc_page):
        assert other["properties"] == full and other["geometry"] == exported["geometry"]
    assert {k: detail["properties"][k] for k in BASE_PROPERTIES} == full
    for feature in (light, found):
        assert feature["geometry"] == exported["geometry"] == {"type": "Point", "coordinates": [9.521, 47.141]}
        # A light feature holds a subset of the full one's properties, with the same values...
        assert {k: feature["properties"][k] for k in MAP_PROPERTIES} == {k: full[k] for k in MAP_PROPERTIES}
        # ...plus, for one release, the map API's old names beside the new ones.
        assert set(feature["properties"]) - set(MAP_PROPERTIES) <= set(DEPRECATED_ALIASES)
    assert light["properties"]["toilets_wheelchair"] == full["toilets:wheelchair"] == "yes"
    assert detail["properties"]["description"] == full["wheelchair:description"] == "Ramp at the side door"
    assert full["wheelchair"] == "yes" and full["osm_id"] == 42


def test_features_use_osm_keys_where_osm_has_one():
    assert [f.property for f in PUBLIC_FIELDS] == [
        "name", "category", "wheelchair", "toilets:wheelchair", "wheelchair:description", "step_count", "step:height",
        "ramp:wheelchair", "door:width", "automatic_door", "entrance:step_free", "entrance:step_free:description",
        "toilets:grab_rails", "toilets:turning_space", "toilets:door:width", "capacity:disabled", "hearing_loop"]
    assert DEPRECATED_ALIASES == {"toilets_wheelchair": "toilets:wheelchair", "description": "wheelchair:description"}
    assert all(FIELDS[k].property in MAP_PROPERTIES for k in ("name", "category", "wheelchair"))


def test_features_vocabulary_is_documented_on_the_data_page(client):
    html = client.get("/data").get_data(as_text=True)
    for name in (*FEATURE_PROPERTIES, *DEPRECATED_ALIASES):
        assert f"<code>{name}</code>" in html, name
