"""Downloads of the published places: a streamed GeoJSON FeatureCollection, a line-delimited variant, the data page."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, json, render_template, request
from flask_babel import gettext as _

from app.db import get_session
from app.errors import AppError, ValidationError, error_response
from app.i18n import place_label
from app.params import bbox_param, place_filters
from app.queries import changes as changes_queries
from app.queries.export import PROFILES, PlaceFilters, open_export, snapshot_bind
from app.services.osm_replication import freshness
from app.urls import external_url
from geo.categories import CATEGORIES
from geo.fields import DEPRECATED_ALIASES, DETAIL_PROPERTIES, MAP_PROPERTIES, PUBLIC_FIELDS, RECORD_MEANINGS
from geo.geojson import LICENSE_URL, OSM_ATTRIBUTION, attribution, iso_utc
from geo.vocabulary import WHEELCHAIR_LABELS, WHEELCHAIR_VALUES

bp = Blueprint("export", __name__)

FEATURE_COUNT_HEADER = "X-Feature-Count"
# The /data form's fields, which a download's parameters come from.
DATA_FORM_FIELDS = ("bbox", "wheelchair", "category", "updated_since")
DEFAULT_PROFILE = "osm"
ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_ENTRIES = 50
# An Atom feed is for a town or a region, not the world: its entries would be gone before anyone read them.
ATOM_MAX_SPAN = 5.0

FORMATS = {
    # kind: (media type, file extension)
    "geojson": ("application/geo+json", "geojson"),
    # One Feature per line (newline-delimited GeoJSON, as GDAL's GeoJSONSeq driver and most tools read it).
    "geojsonl": ("application/x-ndjson", "geojsonl"),
}


@bp.errorhandler(AppError)
def handle_error(error: AppError):
    # Downloads are mostly fetched by scripts (curl sends Accept: */*): answer JSON unless a browser asks for HTML.
    if any(media == "text/html" for media, _ in request.accept_mimetypes):
        if error.field in DATA_FORM_FIELDS:
            # The form sends its values to the download URL: show them again, with the error at its field.
            return _data_page(error), error.status
        return error_response(error.status, error.code, error.message, error.field)
    body = {"error": {"code": error.code, "message": error.message, "field": error.field}}
    return Response(json.dumps(body), status=error.status, mimetype="application/json")


@bp.get("/export/places.geojson")
def places_geojson():
    return _download("geojson")


@bp.get("/export/places.geojsonl")
def places_geojsonl():
    return _download("geojsonl")


@bp.get("/data/changes.atom")
def changes_atom():
    """The latest changes in an area as an Atom feed, for people's feed readers (data users: /api/changes)."""
    box = bbox_param(request.args, required=True, max_span=ATOM_MAX_SPAN)
    changes = changes_queries.latest_in_area(get_session(), box.as_tuple(), ATOM_ENTRIES)
    area = ",".join(f"{v:g}" for v in box.as_tuple())
    feed = ET.Element("feed", xmlns=ATOM_NS)
    ET.SubElement(feed, "title").text = _("StepFree: accessibility changes in %(area)s", area=area)
    ET.SubElement(feed, "id").text = external_url("export.changes_atom", bbox=area)
    ET.SubElement(feed, "link", rel="self", href=external_url("export.changes_atom", bbox=area))
    ET.SubElement(feed, "link", rel="alternate", href=external_url("pages.index"))
    ET.SubElement(feed, "updated").text = iso_utc(changes[0].changed_at if changes else datetime.now(UTC))
    ET.SubElement(feed, "rights").text = attribution(True)
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = _("StepFree contributors")
    for change in changes:
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "title").text = _atom_title(change)
        ET.SubElement(entry, "id").text = f"{external_url('api.changes')}#{change.change_id}"
        ET.SubElement(entry, "updated").text = iso_utc(change.changed_at)
        if change.published:
            ET.SubElement(entry, "link", rel="alternate",
                          href=external_url("place_pages.show", place_id=change.place_id))
    body = ET.tostring(feed, encoding="unicode", xml_declaration=True)
    return Response(body, mimetype="application/atom+xml", headers={"Cache-Control": "public, max-age=60"})


def _atom_title(change) -> str:
    if not change.published:
        return _("A place was removed from the map")
    place = place_label(change.name, change.category)
    status = _(WHEELCHAIR_LABELS[change.wheelchair])
    if change.action == "created":
        return _("New: %(place)s (wheelchair: %(status)s)", place=place, status=status)
    if change.action == "restored":
        return _("Back on the map: %(place)s (wheelchair: %(status)s)", place=place, status=status)
    return _("Changed: %(place)s (wheelchair: %(status)s)", place=place, status=status)


@bp.get("/data")
def data_page():
    return _data_page()


def _data_page(error: AppError | None = None) -> str:
    """The data page, its form filled from the query string; `error` marks the field it names."""
    return render_template("data.html", error=error, feature_count_header=FEATURE_COUNT_HEADER,
                           categories=CATEGORIES, wheelchair_values=WHEELCHAIR_VALUES,
                           public_fields=PUBLIC_FIELDS, record_meanings=RECORD_MEANINGS,
                           detail_properties=DETAIL_PROPERTIES,
                           map_properties=MAP_PROPERTIES, deprecated_aliases=DEPRECATED_ALIASES,
                           osm_attribution=OSM_ATTRIBUTION, license_url=LICENSE_URL,
                           osm_freshness=freshness(get_session()))


def profile_param(value: str | None) -> str:
    """The export profile asked for: StepFree's OSM keys (default) or A11yJSON."""
    profile = (value or "").strip() or DEFAULT_PROFILE
    if profile not in PROFILES:
        raise ValidationError(_("%(field)s must be one of %(values)s.", field="profile", values=", ".join(PROFILES)),
                              "profile")
    return profile


def _download(kind: str) -> Response:
    filters = place_filters(request.args)
    profile = profile_param(request.args.get("profile"))
    state, body = open_export(snapshot_bind(get_session()), filters, line_delimited=kind == "geojsonl",
                              profile=profile)
    etag = state.etag(f"{kind}:{profile}?{_canonical_query(filters)}")
    last_modified = state.last_modified.replace(microsecond=0) if state.last_modified else None
    if _not_modified(etag, last_modified):
        body.close()
        response = Response(status=304)
    else:
        mimetype, extension = FORMATS[kind]
        response = Response(body, mimetype=mimetype)
        response.headers["Content-Disposition"] = (
            f"attachment; filename=stepfree-places-{state.taken_at.date().isoformat()}.{extension}")
        # The length is not known before streaming; the count is. A client that counts fewer features (or
        # lines) than this was cut off, by the network or a dying worker.
        response.headers[FEATURE_COUNT_HEADER] = str(state.matched)
    response.set_etag(etag, weak=True)
    if last_modified is not None:
        response.last_modified = last_modified
    # Caches may keep the file but must ask whether it changed (a cheap 304) before reusing it.
    response.headers["Cache-Control"] = "public, no-cache"
    response.headers["Link"] = f'<{LICENSE_URL}>; rel="license"'
    return response


def _canonical_query(filters: PlaceFilters) -> str:
    return urlencode(sorted(filters.as_args().items()))


def _not_modified(etag: str, last_modified) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    return since is not None and last_modified is not None and last_modified <= since
