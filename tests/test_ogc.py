"""OGC API – Features Part 1 Core over the published places."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

import jsonschema
import pytest

from app.services.places import apply_change, get_place
from tests.factories import make_place

GEOJSON = "application/geo+json"


def _get(client, url: str, status: int = 200):
    parts = urlsplit(url)
    response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert response.status_code == status, response.get_data(as_text=True)
    return response


def _links(document: dict) -> dict[str, dict]:
    return {link["rel"]: link for link in document["links"]}


def test_ogc_landing_page_links_what_clients_need(client):
    landing = _get(client, "/ogc").get_json()
    links = _links(landing)
    assert {"self", "service-desc", "conformance", "data"} <= set(links)
    assert links["service-desc"]["type"].startswith("application/vnd.oai.openapi+json")
    assert all(link["href"].startswith("http://localhost/ogc") for rel, link in links.items() if rel != "license")
    api = _get(client, links["service-desc"]["href"])
    assert api.get_json()["openapi"].startswith("3.0")
    assert "/collections/{collectionId}/items" in api.get_json()["paths"]


def test_ogc_conformance_declares_core_and_geojson(client):
    conforms = _get(client, "/ogc/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conforms
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conforms


def test_ogc_collections_describe_places_with_their_extent(client, session):
    make_place(session, lon=9.5, lat=47.1)
    make_place(session, lon=8.5, lat=47.4)
    [collection] = _get(client, "/ogc/collections").get_json()["collections"]
    assert collection["id"] == "places" and collection["itemType"] == "feature"
    assert collection["extent"]["spatial"]["bbox"] == [[8.5, 47.1, 9.5, 47.4]]
    items = _links(collection)["items"]
    assert items["type"] == GEOJSON
    assert _get(client, "/ogc/collections/places").get_json()["id"] == "places"


def test_ogc_items_pages_through_exactly_the_published_places(client, session):
    places = [make_place(session) for _ in range(7)]
    hidden = places.pop(3)
    apply_change(session, get_place(session, hidden.id, for_update=True), {"hidden": True},
                 revision_source="moderation")
    seen, url, pages = [], "/ogc/collections/places/items?limit=2", 0
    while url:
        response = _get(client, url)
        assert response.mimetype == GEOJSON
        page = response.get_json()
        assert page["type"] == "FeatureCollection"
        assert page.get("numberMatched", 6) == 6 and page["numberReturned"] == len(page["features"]) <= 2
        assert ("numberMatched" in page) == (pages == 0)
        seen.extend(feature["id"] for feature in page["features"])
        url = _links(page).get("next", {}).get("href")
        pages += 1
    assert seen == sorted(p.id for p in places)
    assert pages == 3


def test_ogc_items_filters_by_bbox_and_datetime(client, session):
    inside = make_place(session, lon=9.52, lat=47.14)
    make_place(session, lon=8.54, lat=47.37)
    old = make_place(session, lon=9.53, lat=47.15)
    old.updated_at = datetime(2020, 6, 1, tzinfo=UTC)
    session.flush()
    page = _get(client, "/ogc/collections/places/items?bbox=9.4,47.0,9.7,47.3").get_json()
    assert {f["id"] for f in page["features"]} == {inside.id, old.id}
    page = _get(client, "/ogc/collections/places/items?bbox=9.4,47.0,9.7,47.3&datetime=2021-01-01T00:00:00Z/..")
    assert {f["id"] for f in page.get_json()["features"]} == {inside.id}
    page = _get(client, "/ogc/collections/places/items?datetime=../2021-01-01T00:00:00Z").get_json()
    assert {f["id"] for f in page["features"]} == {old.id}


def test_ogc_item_is_the_same_feature_as_the_export(client, session):
    place = make_place(session, name="Bistro", wheelchair="yes", lon=9.5, lat=47.1)
    response = _get(client, f"/ogc/collections/places/items/{place.id}")
    assert response.mimetype == GEOJSON
    feature = response.get_json()
    exported = client.get("/export/places.geojson").get_json()["features"][0]
    assert {k: feature[k] for k in ("type", "id", "geometry", "properties")} == exported
    assert _links(feature)["collection"]["href"].endswith("/ogc/collections/places")


def test_ogc_item_of_a_hidden_place_is_404(client, session):
    place = make_place(session)
    apply_change(session, get_place(session, place.id, for_update=True), {"hidden": True},
                 revision_source="moderation")
    body = _get(client, f"/ogc/collections/places/items/{place.id}", status=404).get_json()
    assert body["code"] == "not_found" and body["error"]["field"] == "place_id"


@pytest.mark.parametrize("url, field", [
    ("/ogc/collections/places/items?limit=0", "limit"),
    ("/ogc/collections/places/items?limit=100001", "limit"),
    ("/ogc/collections/places/items?limit=ten", "limit"),
    ("/ogc/collections/places/items?bbox=1,2,3", "bbox"),
    ("/ogc/collections/places/items?datetime=soon", "datetime"),
    ("/ogc/collections/places/items?wheelchair=maybe", "wheelchair"),
    ("/ogc/collections/places/items?f=xml", "f"),
])
def test_ogc_bad_parameter_answers_400_naming_it(client, url, field):
    body = _get(client, url, status=400).get_json()
    assert body["error"]["field"] == field and body["description"]


def test_ogc_unknown_collection_is_404(client):
    assert _get(client, "/ogc/collections/roads/items", status=404).get_json()["code"] == "unknown_collection"


def test_ogc_links_use_the_configured_public_url_not_the_host_header(database_url, connection, session):
    from app import create_app
    from tests.conftest import make_test_config
    app = create_app(make_test_config(database_url, PUBLIC_URL="https://stepfree.example.org/"))
    app.extensions["stepfree_db"].bind_to(connection, join_transaction_mode="create_savepoint")
    for _ in range(3):
        make_place(session)
    session.commit()
    client = app.test_client()
    spoofed = {"Host": "evil.example"}
    landing = client.get("/ogc", headers=spoofed).get_json()
    items = client.get("/ogc/collections/places/items?limit=1", headers=spoofed).get_json()
    hrefs = [link["href"] for link in landing["links"] + items["links"] if "opengis" not in link["href"]
             and "opendatacommons" not in link["href"]]
    assert hrefs and all(h.startswith("https://stepfree.example.org/") for h in hrefs), hrefs
    assert any(h.startswith("https://stepfree.example.org/ogc/collections/places/items?limit=1")
               for h in hrefs), hrefs
    page = client.get("/data", headers=spoofed).get_data(as_text=True)
    assert "evil.example" not in page and "https://stepfree.example.org/ogc" in page
    app.extensions["stepfree_db"].engine.dispose()


QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"


def test_ogc_queryables_are_a_json_schema_linked_from_the_collection(client):
    collection = _get(client, "/ogc/collections/places").get_json()
    link = _links(collection)[QUERYABLES_REL]
    assert link["type"] == "application/schema+json"
    response = _get(client, link["href"])
    assert response.mimetype == "application/schema+json"
    schema = response.get_json()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == link["href"] and schema["type"] == "object"
    properties = schema["properties"]
    assert properties["geometry"]["x-ogc-role"] == "primary-geometry"
    assert properties["updated_at"]["x-ogc-role"] == "primary-instant"
    assert properties["wheelchair"]["enum"] == ["yes", "limited", "no", "unknown"]
    assert "food" in properties["category"]["enum"]
    conforms = _get(client, "/ogc/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables" in conforms
    assert "/collections/{collectionId}/queryables" in _get(client, "/ogc/api").get_json()["paths"]


def test_ogc_every_queryable_is_a_feature_property_and_filters_the_items(client, session):
    """What the queryables promise holds: each names a property the features carry, and filtering by it, as a
    query parameter of its own name, returns exactly the features with that value."""
    cafe = make_place(session, category="food", wheelchair="yes")
    shop = make_place(session, category="shopping", wheelchair="no")
    session.commit()
    schema = _get(client, "/ogc/collections/places/queryables").get_json()
    [feature] = _get(client, f"/ogc/collections/places/items?limit=1&after={cafe.id - 1}").get_json()["features"]
    assert feature["id"] == cafe.id
    the_shops = {"wheelchair": "no", "category": "shopping"}
    for name, queryable in schema["properties"].items():
        if queryable.get("x-ogc-role") != "primary-geometry":
            assert name in feature["properties"], name
        if "enum" in queryable:
            for value, expected in ((feature["properties"][name], {cafe.id}), (the_shops[name], {shop.id})):
                assert value in queryable["enum"]
                found = _get(client, f"/ogc/collections/places/items?{name}={value}").get_json()["features"]
                assert {f["id"] for f in found} == expected, (name, value)
    # A value outside the schema's enum is refused, naming the queryable.
    refused = _get(client, "/ogc/collections/places/items?category=castle", status=400).get_json()
    assert refused["error"]["field"] == "category"


def test_ogc_queryables_page_for_a_person(client):
    response = client.get("/ogc/collections/places/queryables?f=html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<caption id=\"queryables-caption\">" in html and "Partly accessible" in html
    assert "<code>bbox</code>" in html and "<code>datetime</code>" in html
    assert _get(client, "/ogc/collections/roads/queryables", status=404).get_json()["code"] == "unknown_collection"
