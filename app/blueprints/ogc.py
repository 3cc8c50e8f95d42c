"""OGC API – Features, Part 1 Core, over the published places, so QGIS and GDAL can open StepFree directly.

One collection, `places`, with the same published data and features as the GeoJSON export. Pages follow
`next` links that carry a keyset cursor (`after`, the last id), so deep pages cost as little as the first.
Every resource is also an HTML page for a person in a browser (`f=html`, or an Accept header preferring
text/html, as pygeoapi does); OGC clients ask for JSON and get exactly the JSON documents.
"""

from datetime import datetime

from flask import Blueprint, Response, json, render_template, request
from flask_babel import gettext as _

from app.blueprints.ogc_openapi import openapi_document, queryables_document
from app.db import get_session
from app.errors import NotFound, ValidationError
from app.params import datetime_param, int_param, place_filters
from app.queries import export as queries
from app.queries.ogc import previous_cursor
from app.urls import external_request_url, external_url
from geo.fields import RECORD_MEANINGS
from geo.geojson import LICENSE_URL, attribution, iso_utc
from geo.translatable import N_

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

COLLECTION_ID = "places"
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEOJSON = "application/geo+json"
HTML = "text/html"
JSON = "application/json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    # Part 3: the queryables resource, and filtering items by them as query parameters.
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
)
# The JSON documents stay in English for OGC clients; the HTML pages translate the words a person reads in them
# (`{{ _(document.description) }}`). N_ marks them for extraction: these, and the queryables' own words, which
# ogc_openapi.py writes.
BROWSE_TITLES = {COLLECTION_ID: N_("Browse the places")}
QUERYABLES_WORDS = (
    N_("Filter the items by these, each a query parameter; wheelchair and category take one or several values, "
       "comma-separated."),
    N_("Location"), N_("Filtered with bbox (minLon,minLat,maxLon,maxLat)."), N_("Last changed"),
)


class UnknownCollection(NotFound):
    code = "unknown_collection"


@bp.before_request
def check_format():
    f = request.args.get("f")
    if f not in (None, "", "json", "geojson", "html"):
        raise ValidationError(_("f must be json or html: this API answers in JSON, GeoJSON and HTML."), "f")


@bp.context_processor
def _html_words():
    return {"browse_titles": BROWSE_TITLES}


@bp.after_request
def vary_on_accept(response: Response) -> Response:
    # The same URL answers JSON or HTML by Accept: caches must keep them apart.
    response.vary.add("Accept")
    return response


def wants_html() -> bool:
    """Whether to answer an HTML page: `f=html`, or no `f` and an Accept header preferring text/html (browsers)."""
    f = request.args.get("f")
    if f:
        return f == "html"
    accept = request.accept_mimetypes
    # `*/*` alone (curl, GDAL) weighs HTML and JSON the same, and gets JSON as before.
    return accept[HTML] > max(accept[JSON], accept[GEOJSON])


@bp.get("", strict_slashes=False)
def landing():
    return _answer("ogc/landing.html", {
        "title": "StepFree",
        # templates/ogc/landing.html says it in the reader's language, the standard's name kept out of the words.
        "description": "Wheelchair accessibility of places, reviewed by moderators (OGC API – Features).",
        "attribution": attribution(True),
        "links": [
            _link("self", external_url(".landing"), JSON, "This document"),
            _link("service-desc", external_url(".openapi"), OPENAPI, "The API definition"),
            _link("conformance", external_url(".conformance"), JSON, "Conformance classes"),
            _link("data", external_url(".collections"), JSON, "The collections"),
            _link("license", LICENSE_URL, "text/html", "ODbL 1.0"),
        ],
    })


@bp.get("/conformance")
def conformance():
    return _answer("ogc/conformance.html", {"conformsTo": list(CONFORMANCE)})


@bp.get("/collections")
def collections():
    return _answer("ogc/collections.html", {
        "links": [_link("self", external_url(".collections"), JSON, "The collections")],
        "collections": [_collection_document()],
    })


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    _check_collection(collection_id)
    return _answer("ogc/collection.html", _collection_document())


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    """What the items can be filtered by (OGC API – Features Part 3), as a JSON Schema: clients build their
    filter forms from it. Each is a query parameter of the items; `wheelchair` and `category` take a
    comma-separated list of values."""
    _check_collection(collection_id)
    document = queryables_document(external_url(".queryables", collection_id=COLLECTION_ID))
    if wants_html():
        return render_template("ogc/queryables.html", document=document, updated_meaning=RECORD_MEANINGS["updated_at"])
    return Response(json.dumps(document), mimetype=SCHEMA)


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    _check_collection(collection_id)
    filters = _item_filters(request.args)
    limit = int_param(request.args, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    after = int_param(request.args, "after", default=0, minimum=0)
    session = get_session()
    page = queries.feature_page(session, filters, limit=limit + 1, after_id=after)
    has_next, page = len(page) > limit, page[:limit]
    links = [_link("self", external_request_url(), GEOJSON, "This page"),
             _link("collection", external_url(".collection", collection_id=COLLECTION_ID), JSON,
                   "The collection")]
    if has_next:
        args = {**request.args.to_dict(), "limit": str(limit), "after": str(page[-1][0])}
        links.append(_link("next", external_url(".items", collection_id=COLLECTION_ID, **args),
                           GEOJSON, "The next page"))
    members = {"type": "FeatureCollection", "timeStamp": iso_utc(datetime.now().astimezone())}
    if after == 0:
        # Counting costs a scan of the matching places: once per walk through the pages is enough.
        members["numberMatched"] = queries.count_places(session, filters)
    members.update({"numberReturned": len(page), "links": links})
    if wants_html():
        back = previous_cursor(session, filters, limit=limit, after_id=after) if after else None
        return render_template("ogc/items.html", members=members, features=_html_features(page), limit=limit,
                               after=after, next_after=page[-1][0] if has_next else None, previous_after=back)
    # The features are JSON text from PostgreSQL already: splice them in rather than parse and re-encode.
    head = json.dumps(members)[:-1]
    body = head + ',"features":[' + ",".join(text for _id, text in page) + "]}"
    return Response(body, mimetype=GEOJSON)


@bp.get("/collections/<collection_id>/items/<int:place_id>")
def item(collection_id: str, place_id: int):
    _check_collection(collection_id)
    text = queries.feature_by_id(get_session(), place_id)
    if text is None:
        raise NotFound(_("There is no published place %(id)s.", id=place_id), "place_id")
    links = [_link("self", external_url(".item", collection_id=COLLECTION_ID, place_id=place_id),
                   GEOJSON, "This place"),
             _link("collection", external_url(".collection", collection_id=COLLECTION_ID), JSON,
                   "The collection")]
    if wants_html():
        return render_template("ogc/item.html", feature=_html_features([(place_id, text)])[0])
    return Response(text[:-1] + ',"links":' + json.dumps(links) + "}", mimetype=GEOJSON)


@bp.get("/api")
def openapi():
    return Response(json.dumps(openapi_document(external_url(".landing"), MAX_LIMIT)), mimetype=OPENAPI)


def _check_collection(collection_id: str) -> None:
    if collection_id != COLLECTION_ID:
        raise UnknownCollection(_("There is no collection '%(id)s'; the only one is '%(only)s'.", id=collection_id,
                                  only=COLLECTION_ID), "collection_id")


def _item_filters(args) -> queries.PlaceFilters:
    """The export's filters plus OGC's `datetime` (an instant or an interval, `..` open) on updated_at."""
    filters = place_filters(args)
    raw = args.get("datetime")
    if not raw:
        return filters
    start_text, _slash, end_text = raw.partition("/") if "/" in raw else (raw, "", raw)
    start, end = _datetime_bound(start_text), _datetime_bound(end_text)
    since = max(start, filters.updated_since) if start and filters.updated_since else start or filters.updated_since
    return queries.PlaceFilters(bbox=filters.bbox, wheelchair=filters.wheelchair, category=filters.category,
                                updated_since=since, updated_until=end)


def _datetime_bound(text: str) -> datetime | None:
    if text in ("", ".."):
        return None
    return datetime_param({"datetime": text}, "datetime")


def _collection_document() -> dict:
    box, first, last = queries.extent(get_session())
    extent = {"spatial": {"bbox": [list(box) if box else [-180, -90, 180, 90]], "crs": CRS84}}
    if first is not None:
        extent["temporal"] = {"interval": [[iso_utc(first), iso_utc(last)]], "trs":
                              "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    items_url = external_url(".items", collection_id=COLLECTION_ID)
    return {
        "id": COLLECTION_ID,
        "title": N_("Places"),
        "description": N_("Published places with their wheelchair accessibility (OSM keys wheelchair, "
                          "toilets:wheelchair, wheelchair:description). Only moderator-approved values."),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            _link("self", external_url(".collection", collection_id=COLLECTION_ID), JSON, "Places"),
            _link("items", items_url, GEOJSON, N_("The places as GeoJSON")),
            _link(QUERYABLES_REL, external_url(".queryables", collection_id=COLLECTION_ID), SCHEMA,
                  "What the places can be filtered by"),
            _link("license", LICENSE_URL, "text/html", "ODbL 1.0"),
            _link("describedby", external_url("export.data_page"), "text/html", N_("The fields explained")),
        ],
    }


def _link(rel: str, href: str, media_type: str, title: str) -> dict:
    return {"rel": rel, "type": media_type, "title": title, "href": href}


def _html_features(page: list[tuple[int, str]]) -> list[dict]:
    """Features for a page: their properties as text, nested values (such as arrays) as compact JSON."""
    features = []
    for _id, text in page:
        feature = json.loads(text)
        properties = {name: value if isinstance(value, str) else "" if value is None else json.dumps(value)
                      for name, value in (feature.get("properties") or {}).items()}
        features.append({**feature, "properties": properties})
    return features


def _answer(template: str, document: dict) -> Response | str:
    return render_template(template, document=document) if wants_html() else _json(document)


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype=JSON)
