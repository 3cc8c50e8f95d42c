"""The GeoJSON downloads: valid RFC 7946, exactly the published places, no personal data, filters, 304."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.services import moderation
from app.services.places import apply_change, get_place
from app.services.submissions import Submitter, hash_device_token, submit_new_place, submit_status
from geo.fields import BASE_PROPERTIES
from tests.factories import make_place, make_user

DEVICE_TOKEN = "device-token-export"


pytestmark = pytest.mark.usefixtures("app_context")


def _download(client, query: str = "", **kwargs):
    response = client.get(f"/export/places.geojson{query}", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response, json.loads(response.get_data(as_text=True))


def _ids(collection: dict) -> set[int]:
    return {feature["id"] for feature in collection["features"]}


def test_export_geojson_is_an_rfc7946_feature_collection(client, session):
    place = make_place(session, name="Café Löwen", category="food", lon=9.5212345, lat=47.1412345,
                       wheelchair="limited", toilets_wheelchair="yes", description='Ramp "left", 6 % slope',
                       source="osm", osm_type="node", osm_id=4242)
    response, collection = _download(client)
    assert response.mimetype == "application/geo+json"
    assert collection["type"] == "FeatureCollection"
    assert "OpenStreetMap contributors" in collection["attribution"] and collection["license"] == "ODbL-1.0"
    assert datetime.fromisoformat(collection["timeStamp"].replace("Z", "+00:00")).tzinfo is not None
    [feature] = collection["features"]
    assert feature["type"] == "Feature" and feature["id"] == place.id
    # RFC 7946: longitude first, numbers, WGS 84 with no crs member.
    assert feature["geometry"] == {"type": "Point", "coordinates": [9.5212345, 47.1412345]}
    assert "crs" not in collection
    properties = feature["properties"]
    assert tuple(properties) == BASE_PROPERTIES  # no detail known: the details' keys are left out
    assert properties["name"] == "Café Löwen" and properties["wheelchair"] == "limited"
    assert properties["toilets:wheelchair"] == "yes"
    assert properties["wheelchair:description"] == 'Ramp "left", 6 % slope'
    assert (properties["osm_type"], properties["osm_id"]) == ("node", 4242)
    assert datetime.fromisoformat(properties["updated_at"]).utcoffset() == timedelta(0)


def test_export_writes_the_check_date_as_osms_check_date_wheelchair(client, runner, session, tmp_path):
    checked = make_place(session, wheelchair="yes")
    # Late in the evening in UTC is already the next day in Liechtenstein: the date is the UTC one.
    checked.last_verified_at = datetime(2021, 3, 5, 23, 30, tzinfo=UTC)
    never = make_place(session, wheelchair="unknown")
    session.commit()
    expected = {checked.id: ("2021-03-05", "2021-03-05T23:30:00+00:00"), never.id: (None, None)}

    _, collection = _download(client)
    lines = [json.loads(line) for line in client.get("/export/places.geojsonl").get_data(as_text=True).splitlines()]
    target = tmp_path / "places.geojson"
    assert runner.invoke(args=["export", "geojson", str(target)]).exit_code == 0
    for features in (collection["features"], lines, json.loads(target.read_text())["features"]):
        assert {f["id"]: (f["properties"]["check_date:wheelchair"], f["properties"]["last_verified_at"])
                for f in features} == expected


def test_export_is_a_dated_download(client, session):
    make_place(session)
    response, _ = _download(client)
    today = datetime.now(UTC).date().isoformat()
    assert response.headers["Content-Disposition"] == f"attachment; filename=stepfree-places-{today}.geojson"


def test_export_without_osm_places_credits_only_stepfree(client, session):
    make_place(session, source="volunteer")
    _, collection = _download(client)
    assert "OpenStreetMap" not in collection["attribution"]
    assert "StepFree contributors" in collection["attribution"]


def test_export_of_an_empty_map_is_an_empty_collection(client):
    _, collection = _download(client)
    assert collection["features"] == []


def test_export_holds_exactly_the_published_places(client, session):
    volunteer = make_user(session)
    moderator = make_user(session, role="moderator")
    published = make_place(session, wheelchair="unknown")
    hidden = make_place(session)
    apply_change(session, get_place(session, hidden.id, for_update=True), {"hidden": True},
                 revision_source="moderation")
    gone = make_place(session)
    apply_change(session, get_place(session, gone.id, for_update=True), {"gone": True}, revision_source="import")
    rejected_place = make_place(session, wheelchair="no")

    pending = submit_status(session, Submitter(user=volunteer), published.id, {"wheelchair": "yes"})
    rejected = submit_status(session, Submitter(device_hash=hash_device_token(DEVICE_TOKEN)), rejected_place.id,
                             {"wheelchair": "yes", "description": "Rejected text"})
    moderation.reject(session, rejected.id, moderator, "wrong")
    new_place = submit_new_place(session, Submitter(user=volunteer), {
        "name": "Pending new place", "category": "food", "lon": 9.5, "lat": 47.1, "wheelchair": "yes"})
    session.commit()
    assert pending.state == "pending" and new_place.state == "pending"

    _, collection = _download(client)
    by_id = {feature["id"]: feature for feature in collection["features"]}
    assert set(by_id) == {published.id, rejected_place.id}
    assert by_id[published.id]["properties"]["wheelchair"] == "unknown"
    assert by_id[rejected_place.id]["properties"]["wheelchair"] == "no"
    text = json.dumps(collection)
    assert "Rejected text" not in text and "Pending new place" not in text

    moderation.approve(session, pending.id, moderator)
    session.commit()
    _, collection = _download(client)
    by_id = {feature["id"]: feature for feature in collection["features"]}
    assert by_id[published.id]["properties"]["wheelchair"] == "yes"


def test_export_contains_no_personal_data(client, session):
    volunteer = make_user(session, email="volunteer.private@example.org", display_name="Vera Volunteer")
    moderator = make_user(session, role="moderator", email="mod.private@example.org", display_name="Max Mod")
    place = make_place(session, source="osm", osm_type="way", osm_id=77)
    submission = submit_status(session, Submitter(user=volunteer), place.id, {"wheelchair": "yes"})
    moderation.approve(session, submission.id, moderator)
    submit_status(session, Submitter(device_hash=hash_device_token(DEVICE_TOKEN)), place.id, {"wheelchair": "no"})
    session.commit()
    for path in ("/export/places.geojson", "/export/places.geojsonl"):
        response = client.get(path)
        text = response.get_data(as_text=True) + json.dumps(dict(response.headers))
        for secret in ("volunteer.private@example.org", "mod.private@example.org", "Vera Volunteer", "Max Mod",
                       DEVICE_TOKEN, hash_device_token(DEVICE_TOKEN), "@", "author", "device", "email",
                       "actor", "moderator"):
            assert secret not in text, f"{secret!r} appears in {path}"
    _, collection = _download(client)
    assert set(collection["features"][0]["properties"]) == set(BASE_PROPERTIES)


def test_export_geojsonl_has_one_feature_per_line(client, session):
    places = [make_place(session) for _ in range(3)]
    response = client.get("/export/places.geojsonl")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(".geojsonl")
    lines = response.get_data(as_text=True).splitlines()
    features = [json.loads(line) for line in lines]
    assert {f["id"] for f in features} == {p.id for p in places}
    assert all(f["type"] == "Feature" and f["geometry"]["type"] == "Point" for f in features)


@pytest.mark.parametrize("path", ["/export/places.geojson", "/export/places.geojsonl"])
@pytest.mark.parametrize("query, expected", [("", 4), ("?wheelchair=yes", 1), ("?bbox=0,0,1,1", 0)])
def test_export_states_its_feature_count(client, session, path, query, expected):
    """A cut .geojsonl cannot be told from a whole one by its content: the header says how many lines to expect."""
    moderator = make_user(session, role="moderator")
    for value in ("yes", "no", "limited", "unknown"):
        make_place(session, wheelchair=value)
    hidden = make_place(session)
    from app.services.places import apply_change
    apply_change(session, hidden, {"hidden": True}, revision_source="moderation", actor=moderator)
    session.flush()
    response = client.get(path + query)
    assert response.headers["X-Feature-Count"] == str(expected)
    text = response.get_data(as_text=True)
    got = len(text.splitlines()) if path.endswith("l") else len(json.loads(text)["features"])
    assert got == expected


@pytest.fixture
def varied_places(session):
    old = datetime(2020, 1, 1, tzinfo=UTC)
    places = {
        "vaduz_yes_food": make_place(session, lon=9.52, lat=47.14, wheelchair="yes", category="food"),
        "vaduz_limited_health": make_place(session, lon=9.53, lat=47.15, wheelchair="limited", category="health"),
        "zurich_no_food": make_place(session, lon=8.54, lat=47.37, wheelchair="no", category="food"),
        "zurich_unknown_culture": make_place(session, lon=8.55, lat=47.38, wheelchair="unknown", category="culture"),
    }
    for key in ("zurich_no_food", "zurich_unknown_culture"):
        places[key].updated_at = old
    session.flush()
    return places


@pytest.mark.parametrize("query, expected", [
    ("?bbox=9.4,47.0,9.7,47.3", {"vaduz_yes_food", "vaduz_limited_health"}),
    ("?bbox=8.5,47.3,8.6,47.4&wheelchair=no", {"zurich_no_food"}),
    ("?wheelchair=yes,limited", {"vaduz_yes_food", "vaduz_limited_health"}),
    ("?wheelchair=yes&wheelchair=no", {"vaduz_yes_food", "zurich_no_food"}),
    ("?wheelchair=unknown", {"zurich_unknown_culture"}),
    ("?category=food", {"vaduz_yes_food", "zurich_no_food"}),
    ("?category=health,culture", {"vaduz_limited_health", "zurich_unknown_culture"}),
    ("?updated_since=2021-01-01", {"vaduz_yes_food", "vaduz_limited_health"}),
    ("?updated_since=2019-12-31T23:00:00Z&category=culture", {"zurich_unknown_culture"}),
    ("?bbox=0,0,1,1", set()),
])
def test_export_filter_selects_what_it_says(client, varied_places, query, expected):
    _, collection = _download(client, query)
    assert _ids(collection) == {varied_places[key].id for key in expected}
    response = client.get(f"/export/places.geojsonl{query}")
    lines = response.get_data(as_text=True).splitlines()
    assert {json.loads(line)["id"] for line in lines} == {varied_places[key].id for key in expected}


@pytest.mark.parametrize("query, field", [
    ("?bbox=1,2,3", "bbox"),
    ("?bbox=10,0,5,1", "bbox"),
    ("?bbox=a,b,c,d", "bbox"),
    ("?wheelchair=maybe", "wheelchair"),
    ("?wheelchair=yes,perhaps", "wheelchair"),
    ("?category=castles", "category"),
    ("?updated_since=yesterday", "updated_since"),
])
@pytest.mark.parametrize("path", ["/export/places.geojson", "/export/places.geojsonl"])
def test_export_bad_parameter_answers_400_naming_it(client, path, query, field):
    response = client.get(path + query)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field
    assert field in response.get_json()["error"]["message"]


def test_export_bad_parameter_from_a_browser_gets_an_html_page(client):
    response = client.get("/export/places.geojson?bbox=1,2", headers={"Accept": "text/html"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "bbox" in response.get_data(as_text=True)


def test_export_unchanged_data_answers_304(client, session):
    moderator = make_user(session, role="moderator")
    place = make_place(session, wheelchair="unknown")
    session.commit()
    first, _ = _download(client)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get("/export/places.geojson", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    by_date = client.get("/export/places.geojson", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert by_date.status_code == 304

    # Another filter is another representation: the same validator must not match it.
    assert client.get("/export/places.geojson?wheelchair=yes", headers={"If-None-Match": etag}).status_code == 200

    submission = submit_status(session, Submitter(user=moderator), place.id, {"wheelchair": "yes"})
    assert submission.state == "approved"
    session.commit()
    changed = client.get("/export/places.geojson", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_export_verification_without_change_also_changes_the_etag(client, session):
    place = make_place(session, wheelchair="yes")
    session.commit()
    etag = client.get("/export/places.geojson").headers["ETag"]
    apply_change(session, get_place(session, place.id, for_update=True), {"wheelchair": "yes"},
                 revision_source="moderation", verified=True)
    session.commit()
    assert client.get("/export/places.geojson", headers={"If-None-Match": etag}).status_code == 200


def test_data_page_explains_fields_statuses_and_licence(client):
    response = client.get("/data")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in ("toilets:wheelchair", "wheelchair:description", "last_verified_at", "check_date:wheelchair",
                 "Step-free entrance", "ODbL", "OpenStreetMap contributors", 'action="/export/places.geojson"',
                 'href="/data"'):
        assert text in html


def test_export_passes_any_text_through_intact(client, session):
    tricky = 'Line 1\nLine 2\r\t"quoted" back\\slash \x01\x02 ramp ♿ ; , }]'
    place = make_place(session, name="Zoë's \"Ecke\"\nBar", description=tricky)
    _, collection = _download(client)
    [feature] = collection["features"]
    assert feature["id"] == place.id
    assert feature["properties"]["name"] == "Zoë's \"Ecke\"\nBar"
    assert feature["properties"]["wheelchair:description"] == tricky
    lines = client.get("/export/places.geojsonl").get_data(as_text=True).splitlines()
    assert [json.loads(line)["properties"]["wheelchair:description"] for line in lines] == [tricky]


@pytest.mark.parametrize("query", ["", "?wheelchair=yes,no"])
def test_export_of_the_whole_table_joins_id_ranges_without_losing_or_reordering(client, session, monkeypatch,
                                                                                 query):
    monkeypatch.setattr("app.queries.export.IDS_PER_ROW", 2)
    places = [make_place(session, wheelchair="yes" if n % 2 else "no") for n in range(7)]
    # Hide two neighbours so one id range holds no published place at all.
    for place in places[2:4]:
        apply_change(session, get_place(session, place.id, for_update=True), {"hidden": True},
                     revision_source="moderation")
    expected = [p.id for p in places if p not in places[2:4]]
    _, collection = _download(client, query)
    assert [f["id"] for f in collection["features"]] == expected
    lines = client.get(f"/export/places.geojsonl{query}").get_data(as_text=True).split("\n")
    assert lines[-1] == "" and [json.loads(line)["id"] for line in lines[:-1]] == expected
