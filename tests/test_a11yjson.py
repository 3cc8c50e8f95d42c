"""The export's A11yJSON profile: each feature's properties.accessibility checked against a JSON Schema of
A11yJSON's field names and types (sozialhelden/a11yjson: Accessibility, Entrance, Stairs, Door, Restroom,
Parking, Quantity). additionalProperties is false at every level, so a misspelt field fails."""

import json

import jsonschema
import pytest

from geo.a11yjson import accessibility, centimetres
from tests.factories import make_place

LENGTH = {"type": "object", "required": ["value", "unit"], "additionalProperties": False,
          "properties": {"value": {"type": "number"}, "unit": {"type": "string"}}}
DOOR = {"type": "object", "additionalProperties": False,
        "properties": {"width": LENGTH, "isAutomatic": {"type": "boolean"}}}
ENTRANCE = {
    "type": "object", "required": ["isMainEntrance"], "additionalProperties": False,
    "properties": {
        "isMainEntrance": {"type": "boolean"}, "isLevel": {"type": "boolean"},
        "hasFixedRamp": {"type": "boolean"}, "hasRemovableRamp": {"type": "boolean"},
        "name": {"type": "object", "additionalProperties": {"type": "string"}},
        "stairs": {"type": "object", "additionalProperties": False,
                   "properties": {"count": {"type": "integer", "minimum": 0}, "stepHeight": LENGTH}},
        "door": DOOR,
    },
}
RESTROOM = {
    "type": "object", "additionalProperties": False,
    "properties": {"hasSupportRails": {"type": "boolean"}, "turningSpaceInside": LENGTH,
                   "entrance": {"type": "object", "additionalProperties": False, "properties": {"door": DOOR}}},
}
ACCESSIBILITY = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "wheelchairAccessibilityGrade": {"enum": ["fully", "partially", "not"]},
        "entrances": {"type": "array", "items": ENTRANCE},
        "restrooms": {"type": "array", "items": RESTROOM},
        "parking": {"type": "object", "additionalProperties": False, "properties": {
            "forWheelchairUsers": {"oneOf": [{"type": "null"}, {
                "type": "object", "additionalProperties": False, "required": ["count"],
                "properties": {"count": {"type": "integer", "minimum": 0}}}]}}},
        "hasInductionLoop": {"type": "boolean"},
    },
}
FEATURE_PROPERTIES = {"type": "object", "required": ["name", "category", "accessibility"],
                      "additionalProperties": False,
                      "properties": {"name": {"type": "string"}, "category": {"type": "string"},
                                     "accessibility": ACCESSIBILITY}}


def _everything(session):
    return make_place(session, name="All known", wheelchair="limited", step_count=1, step_height=7,
                      ramp="portable", door_width=90, automatic_door="yes", step_free_entrance="yes",
                      step_free_entrance_where="round the back", toilets_grab_rails="yes",
                      toilets_turning_space="yes", toilets_door_width=85, parking_disabled="no",
                      hearing_loop="limited")


@pytest.fixture
def places(session):
    made = [
        _everything(session),
        make_place(session, name="Nothing known"),
        make_place(session, name="Level", wheelchair="yes", step_count=0, ramp="yes", parking_disabled="yes",
                   hearing_loop="no", toilets_turning_space="no"),
        make_place(session, name="Stairs", wheelchair="no", step_count=4, ramp="no", step_free_entrance="yes"),
    ]
    session.commit()
    return made


def _features(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    if path.split("?")[0].endswith(".geojsonl"):
        return [json.loads(line) for line in text.splitlines()]
    return json.loads(text)["features"]


@pytest.mark.parametrize("path", ["/export/places.geojson?profile=a11yjson",
                                  "/export/places.geojsonl?profile=a11yjson"])
def test_a11yjson_export_validates_against_the_schema(client, places, path):
    features = _features(client, path)
    assert {f["id"] for f in features} == {p.id for p in places}
    for feature in features:
        jsonschema.validate(feature["properties"], FEATURE_PROPERTIES)


def test_a11yjson_export_maps_the_details(client, places):
    by_name = {f["properties"]["name"]: f["properties"]["accessibility"]
               for f in _features(client, "/export/places.geojson?profile=a11yjson")}
    assert by_name["Nothing known"] == {}
    assert by_name["All known"] == {
        "wheelchairAccessibilityGrade": "partially",
        "entrances": [
            {"isMainEntrance": True, "isLevel": False, "hasFixedRamp": False, "hasRemovableRamp": True,
             "stairs": {"count": 1, "stepHeight": {"value": 7, "unit": "cm"}},
             "door": {"width": {"value": 90, "unit": "cm"}, "isAutomatic": True}},
            {"isMainEntrance": False, "isLevel": True, "name": {"en": "round the back"}}],
        "restrooms": [{"hasSupportRails": True, "turningSpaceInside": {"value": 150, "unit": "cm"},
                       "entrance": {"door": {"width": {"value": 85, "unit": "cm"}}}}],
        "parking": {"forWheelchairUsers": None},
        "hasInductionLoop": True,
    }
    level = by_name["Level"]
    assert level["wheelchairAccessibilityGrade"] == "fully"
    assert level["entrances"] == [{"isMainEntrance": True, "isLevel": True, "hasFixedRamp": True,
                                   "stairs": {"count": 0}}]
    assert level["parking"] == {"forWheelchairUsers": {"count": 1}} and level["hasInductionLoop"] is False
    assert by_name["Stairs"]["entrances"][0]["hasRemovableRamp"] is False


def test_a11yjson_a_misspelt_field_fails_the_schema():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"entrances": [{"isMainEntrance": True, "isLevell": True}]}, ACCESSIBILITY)


def test_a11yjson_default_profile_is_unchanged_and_a_bad_profile_is_refused(client, places):
    feature = _features(client, "/export/places.geojson")[0]
    assert "accessibility" not in feature["properties"] and "step_count" in feature["properties"]
    response = client.get("/export/places.geojson?profile=wheelmap")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "profile"


def test_a11yjson_profile_has_its_own_etag(client, places):
    osm = client.get("/export/places.geojson").headers["ETag"]
    assert client.get("/export/places.geojson?profile=a11yjson").headers["ETag"] != osm


def test_a11yjson_from_the_command_line(runner, places, tmp_path):
    target = tmp_path / "a11y.geojson"
    result = runner.invoke(args=["export", "geojson", str(target), "--profile", "a11yjson"])
    assert result.exit_code == 0, result.output
    for feature in json.loads(target.read_text())["features"]:
        jsonschema.validate(feature["properties"], FEATURE_PROPERTIES)


@pytest.mark.parametrize("metres, cm", [("0.9", 90), ("0.07", 7), ("1", 100), (None, None), ("x", None)])
def test_a11yjson_reads_lengths_in_metres(metres, cm):
    assert centimetres(metres) == cm


def test_a11yjson_unknown_is_left_out_never_null():
    assert accessibility({"wheelchair": "unknown"}) == {}
