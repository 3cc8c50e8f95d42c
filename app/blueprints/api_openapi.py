"""The OpenAPI 3.0 description of StepFree's JSON API (/api), served at /api/openapi.json.

Every enum and limit comes from the constant the code validates with, so the document cannot drift from
what the API accepts. Rules JSON Schema cannot state (a bbox's minimum ≤ maximum and its span, blank text
counting as not given) are written in the descriptions.
"""

from app.models.changes import CHANGE_ACTIONS
from app.models.submissions import SUBMISSION_KINDS, SUBMISSION_STATES
from app.params import INT4_MAX, SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX, SEARCH_Q_MAX, SEARCH_Q_MIN
from app.queries.changes import CHANGES_LIMIT_DEFAULT, CHANGES_LIMIT_MAX, CURSOR_PATTERN
from app.queries.check import CHECK_LIMIT_MAX
from app.queries.map import CLUSTER_SPAN, MAX_CLUSTERS
from geo.categories import CATEGORY_KEYS
from geo.fields import (
    BASE_PROPERTIES,
    DEPRECATED_ALIASES,
    DETAIL_FIELDS,
    FIELDS,
    MAP_FIELDS,
    NAME_MAX,
    PUBLIC_FIELDS,
    REPORT_NOTE_MAX,
    REPORT_PROBLEMS,
    Field,
)
from geo.suggest import REASONS as SUGGEST_REASONS
from geo.vocabulary import (
    DESCRIPTION_MAX,
    OSM_TYPES,
    PHOTO_LICENCES,
    PHOTO_PROBLEMS,
    PHOTO_SUBJECTS,
    TOILETS_VALUES,
    WHEELCHAIR_VALUES,
)

# Fields whose values have a named schema of their own.
SCHEMA_NAMES = {"wheelchair": "Wheelchair", "toilets_wheelchair": "ToiletsWheelchair", "category": "Category"}
GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"

# PostgreSQL stores no NUL character, so text carrying one is refused (app/inputs.py); text that is blank
# after trimming counts as not given, so a required or only field needs a visible character.
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
# `q`: at least two characters once trimmed, no NUL.
SEARCH_Q = r"^\s*[^\s\x00][^\x00]*[^\s\x00]\s*$"
# `near`: two decimal numbers within WGS 84 range, longitude first.
NEAR = (r"^-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?),"
        r"-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?)$")

_ERRORS = {
    "400": "A parameter or a body field is invalid; `error.field` names it.",
    "403": "Refused: a cross-site request (`error.field` is `Origin`), a banned account or device, an anonymous "
           "submission from a network paused after abuse (signing in lifts that), or a vote without an account "
           "(`sign_in_required`) or on one's own change (`own_change`).",
    "404": "No published place (or change, or mapping event) has this id; `error.field` names it.",
    "409": "The place changed since `base_version`; reload it and send again (`error.field` is "
           "`base_version`).",
    "413": "The body is larger than the server accepts (`error.field` is `body`).",
    "415": "The body was not sent as `Content-Type: application/json` (`error.field` is `Content-Type`).",
    "429": "Too many submissions in a short time; nothing was saved. The `Retry-After` header says when to "
           "try again.",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*statuses: str) -> dict:
    return {status: {"$ref": f"#/components/responses/Error{status}"} for status in statuses}


def _query(name: str, description: str, schema: dict, *, required: bool = False, explode: bool = True) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema,
            "style": "form", "explode": explode}


def _text(max_length: int, description: str, *, blank_allowed: bool = True) -> dict:
    return {"type": "string", "maxLength": max_length, "pattern": NO_NUL if blank_allowed else NOT_BLANK,
            "description": description}


# A length in a feature: metres as OSM writes them ("0.9", "0.07", "1").
METRES = r"^[0-9]+(\.[0-9]+)?$"


def _property(field: Field) -> dict:
    """A place field as a feature property's schema."""
    if field.key in SCHEMA_NAMES:
        return _ref(SCHEMA_NAMES[field.key])
    if field.type == "count":
        return {"type": "integer", "minimum": field.minimum, "maximum": field.maximum, "nullable": True,
                "description": field.meaning}
    if field.type == "centimetres":
        return {"type": "string", "pattern": METRES, "nullable": True, "description": field.meaning}
    if field.type == "choice":
        if field.key in DETAIL_FIELDS:
            return {"type": "string", "enum": [*field.choices, None], "nullable": True, "description": field.meaning}
        return {"type": "string", "enum": list(field.choices)}
    # Every text may be null: a name too, on places OSM does not name (toilets, elevators, parking, platforms).
    return {"type": "string", "maxLength": field.max_length, "nullable": True, "description": field.meaning}


def _detail_input(field: Field) -> dict:
    """A detail as a submission sends it: lengths in whole centimetres."""
    if field.type in ("count", "centimetres"):
        unit = " In whole centimetres." if field.type == "centimetres" else ""
        return {"type": "integer", "minimum": field.minimum, "maximum": field.maximum,
                "description": f"OSM `{field.osm_key}`.{unit} A string of the digits 0-9 is accepted too."}
    if field.type == "text":
        return _text(field.max_length, f"OSM `{field.osm_key}`; trimmed.", blank_allowed=False)
    return {"type": "string", "enum": list(field.choices), "description": f"OSM `{field.osm_key}`."}


def _lon_lat() -> dict:
    return {
        "lon": {"type": "number", "minimum": -180, "maximum": 180, "description": "Longitude, WGS 84."},
        "lat": {"type": "number", "minimum": -90, "maximum": 90, "description": "Latitude, WGS 84."},
    }


def _schemas(limit_max: int) -> dict:
    place_id = {"type": "integer", "minimum": 1, "maximum": INT4_MAX}
    point = {"type": "object", "required": ["type", "coordinates"], "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"},
                        "description": "[longitude, latitude] (RFC 7946 order)."}}}
    # Feature properties come from the field table (geo/fields.py): the map's light features, then the full
    # ones, and for one release the map API's old names beside the new.
    place_properties = {f.property: _property(f) for f in MAP_FIELDS}
    full_properties = {f.property: _property(f) for f in PUBLIC_FIELDS}
    aliases = {old: {**full_properties[new], "deprecated": True,
                     "description": f"The old name of `{new}`, sent until version 0.3; read `{new}` instead."}
               for old, new in DEPRECATED_ALIASES.items()}
    count = {"type": "integer", "minimum": 0}
    base_version = {**place_id, "nullable": True,
                    "description": "The place `version` the sender saw; if the place changed since, the answer "
                                   "is 409. A string of the digits 0-9 is accepted too."}
    return {
        "Wheelchair": {"type": "string", "enum": list(WHEELCHAIR_VALUES),
                       "description": "OSM `wheelchair=*`: yes = step-free entrance and rooms; limited = at most "
                                      "one small step; no = not usable; unknown = nobody checked."},
        "ToiletsWheelchair": {"type": "string", "enum": list(TOILETS_VALUES),
                              "description": "OSM `toilets:wheelchair=*`."},
        "Category": {"type": "string", "enum": list(CATEGORY_KEYS)},
        "Point": point,
        "Error": {
            "type": "object", "required": ["error"], "additionalProperties": False,
            "properties": {"error": {
                "type": "object", "required": ["code", "message"], "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "description": "Machine-readable, e.g. `invalid`, `not_found`."},
                    "message": {"type": "string", "description": "What went wrong, in words a person can act on."},
                    "field": {"type": "string", "description": "The parameter, body field or header at fault."},
                }}},
        },
        "PlaceFeature": {
            "type": "object", "required": ["type", "id", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]}, "id": place_id, "geometry": point,
                "properties": {"type": "object", "required": list(place_properties),
                               "properties": {**place_properties,
                                              **{old: aliases[old] for old, new in DEPRECATED_ALIASES.items()
                                                 if new in place_properties}}},
            },
        },
        "ClusterFeature": {
            "type": "object", "required": ["type", "geometry", "properties"],
            "description": "A grid cell's places, at their mean position, with counts by wheelchair value.",
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]}, "geometry": point,
                "properties": {
                    "type": "object", "required": ["cluster", "count", *WHEELCHAIR_VALUES],
                    "properties": {"cluster": {"type": "boolean", "enum": [True]}, "count": count,
                                   **dict.fromkeys(WHEELCHAIR_VALUES, count)},
                },
            },
        },
        "PlacesView": {
            "type": "object", "required": ["type", "clustered", "limit", "numberReturned", "bbox", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "clustered": {"type": "boolean",
                              "description": "true: the features are clusters (a wide view, or more places "
                                             "than `limit`)."},
                "limit": {"type": "integer", "minimum": 1, "maximum": limit_max},
                "numberReturned": count,
                "bbox": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
                "features": {"type": "array", "items": {"oneOf": [_ref("PlaceFeature"), _ref("ClusterFeature")]}},
            },
        },
        "ChangePage": {
            "type": "object", "required": ["type", "features", "next", "more", "attribution", "license"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "maxItems": CHANGES_LIMIT_MAX, "items": {
                    "type": "object", "required": ["type", "id", "geometry", "properties"],
                    "description": "A change, in order. created, changed, restored: the place as it is now (a "
                                   "full feature, as the exports have it). hidden, gone: the place's id only, "
                                   "geometry null: remove it.",
                    "properties": {
                        "type": {"type": "string", "enum": ["Feature"]}, "id": place_id,
                        "geometry": {**point, "nullable": True},
                        "properties": {"type": "object", "required": ["action", "changed_at"], "properties": {
                            "action": {"type": "string", "enum": list(CHANGE_ACTIONS)},
                            "changed_at": {"type": "string", "format": "date-time"}}},
                    }}},
                "next": {"type": "string", "pattern": CURSOR_PATTERN,
                         "description": "The cursor to ask with next (since=...); the same cursor when nothing "
                                        "new has committed."},
                "more": {"type": "boolean", "description": "Whether more changes wait right now."},
                "attribution": {"type": "string"}, "license": {"type": "string"},
            },
        },
        "SearchResult": {
            "type": "object", "required": ["type", "features"],
            "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                           "features": {"type": "array", "maxItems": SEARCH_LIMIT_MAX,
                                        "items": _ref("PlaceFeature")}},
        },
        "PlaceDetail": {
            "type": "object", "required": ["type", "id", "geometry", "properties", "links"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]}, "id": place_id, "geometry": point,
                "properties": {
                    "type": "object",
                    "required": [*BASE_PROPERTIES, "category_label", "wheelchair_label", "toilets_label",
                                 "version", "your_pending", "photos"],
                    "properties": {
                        **full_properties,
                        **aliases,
                        "category_label": {"type": "string"},
                        "wheelchair_label": {"type": "string"},
                        "toilets_label": {"type": "string"},
                        "version": {"type": "integer", "minimum": 1,
                                    "description": "Send it back as `base_version` with a change."},
                        "updated_at": {"type": "string", "format": "date-time"},
                        "last_verified_at": {"type": "string", "format": "date-time", "nullable": True},
                        "check_date:wheelchair": {"type": "string", "format": "date", "nullable": True,
                                                  "description": "OSM's check date: the day of last_verified_at."},
                        "osm_type": {"type": "string", "enum": list(OSM_TYPES), "nullable": True},
                        "osm_id": {"type": "integer", "nullable": True},
                        "photos": {
                            "type": "array", "description": "Photos a moderator approved, oldest first.",
                            "items": _ref("Photo")},
                        "your_pending": {
                            "type": "array", "description": "This visitor's own submissions awaiting review.",
                            "items": {"type": "object", "required": ["kind", "submitted_at"], "properties": {
                                "kind": {"type": "string", "enum": list(SUBMISSION_KINDS)},
                                "submitted_at": {"type": "string", "format": "date-time"}}}},
                    },
                },
                "links": {"type": "array", "items": {
                    "type": "object", "required": ["rel", "href"],
                    "properties": {"rel": {"type": "string"}, "type": {"type": "string"},
                                   "href": {"type": "string"}}}},
            },
        },
        "SubmissionCreated": {
            "type": "object", "required": ["id", "kind", "state", "place_id", "updated", "message"],
            "properties": {
                "id": place_id,
                "kind": {"type": "string", "enum": list(SUBMISSION_KINDS)},
                "state": {"type": "string", "enum": list(SUBMISSION_STATES),
                          "description": "`pending` until a moderator decides; `approved` at once for trusted "
                                         "volunteers and moderators."},
                "place_id": {**place_id, "nullable": True, "description": "null for a new place not yet approved."},
                "updated": {"type": "boolean",
                            "description": "true when this repeated the sender's own answer about the place that "
                                           "is still waiting for review: that submission (same `id`) was updated "
                                           "with these values instead of adding another."},
                "message": {"type": "string", "description": "What happens next, for the person who sent it."},
                "photo_id": {**place_id, "description": "For a photo or a photo's report: the photo's id."},
            },
        },
        "Photo": {
            "type": "object",
            "required": ["id", "subject", "subject_label", "alt", "licence", "licence_label", "licence_url", "credit",
                         "url", "thumbnail_url", "width", "height", "thumbnail_width", "thumbnail_height"],
            "properties": {
                "id": place_id,
                "subject": {"type": "string", "enum": list(PHOTO_SUBJECTS)},
                "subject_label": {"type": "string"}, "alt": {"type": "string", "description": "Alt text."},
                "licence": {"type": "string", "enum": list(PHOTO_LICENCES), "description": "An SPDX identifier."},
                "licence_label": {"type": "string"}, "licence_url": {"type": "string", "format": "uri"},
                "credit": {"type": "string", "nullable": True,
                           "description": "The author's public name; null: credit \"StepFree contributors\"."},
                "url": {"type": "string", "description": "The photo (JPEG, long edge at most 2048 px)."},
                "thumbnail_url": {"type": "string", "description": "A thumbnail (long edge at most 400 px)."},
                "width": {"type": "integer"}, "height": {"type": "integer"},
                "thumbnail_width": {"type": "integer"}, "thumbnail_height": {"type": "integer"},
            },
        },
        "PhotoUpload": {
            "type": "object", "required": ["photo", "subject", "licence"],
            "properties": {
                "photo": {"type": "string", "format": "binary",
                          "description": "A JPEG, PNG or WebP image (checked by its content, at most 15 MB and 50 "
                                         "megapixels). It is stored re-encoded, without EXIF, at most 2048 px."},
                "subject": {"type": "string", "enum": list(PHOTO_SUBJECTS)},
                "licence": {"type": "string", "enum": list(PHOTO_LICENCES),
                            "description": "The sender's licence for the photo (CC BY-SA 4.0 or CC0)."},
            },
        },
        "PhotoReport": {
            "type": "object", "additionalProperties": False, "required": ["problem"],
            "properties": {
                "problem": {"type": "string", "enum": list(PHOTO_PROBLEMS)},
                "note": _text(REPORT_NOTE_MAX, "What is wrong, in words; trimmed, blank is none."),
            },
        },
        "StatusSubmission": {
            "type": "object", "additionalProperties": False,
            "description": "At least one of wheelchair, toilets_wheelchair or description. An empty string or "
                           "null counts as not given; other fields are ignored.",
            "anyOf": [{"required": ["wheelchair"]}, {"required": ["toilets_wheelchair"]},
                      {"required": ["description"]}],
            "properties": {
                "wheelchair": _ref("Wheelchair"),
                "toilets_wheelchair": _ref("ToiletsWheelchair"),
                "description": _text(DESCRIPTION_MAX, "OSM `wheelchair:description`; trimmed.", blank_allowed=False),
                "base_version": base_version,
            },
        },
        "DetailsSubmission": {
            "type": "object", "additionalProperties": False,
            "description": "At least one of the entrance, toilet and parking details (or wheelchair, "
                           "toilets_wheelchair): the details and the wheelchair value they support are decided "
                           "together. Leave out what is not known; an empty string or null counts as not given, "
                           "other fields are ignored.",
            "anyOf": [{"required": [key]} for key in (*DETAIL_FIELDS, "wheelchair", "toilets_wheelchair")],
            "properties": {
                **{key: _detail_input(FIELDS[key]) for key in DETAIL_FIELDS},
                "wheelchair": _ref("Wheelchair"),
                "toilets_wheelchair": _ref("ToiletsWheelchair"),
                "base_version": base_version,
            },
        },
        "SuggestStatusRequest": {
            "type": "object", "additionalProperties": False,
            "description": "The details known so far, validated as in a details submission; nothing is stored.",
            "properties": {key: _detail_input(FIELDS[key]) for key in DETAIL_FIELDS},
        },
        "SuggestedStatus": {
            "type": "object", "required": ["wheelchair", "reason_key", "reason"],
            "properties": {
                "wheelchair": {"type": "string", "enum": ["yes", "limited", "no", None], "nullable": True,
                               "description": "The value the details suggest; null when they do not say."},
                "reason_key": {"type": "string", "enum": list(SUGGEST_REASONS)},
                "reason": {"type": "string", "description": "Why, in a sentence for the volunteer."},
            },
        },
        "NewPlace": {
            "type": "object", "additionalProperties": False,
            "required": ["name", "category", "wheelchair", "lon", "lat"],
            "description": "A place not on the map yet; other fields are ignored.",
            "properties": {
                "name": _text(NAME_MAX, "The place's name; trimmed.", blank_allowed=False),
                "category": _ref("Category"),
                "wheelchair": _ref("Wheelchair"),
                "toilets_wheelchair": _ref("ToiletsWheelchair"),
                "description": _text(DESCRIPTION_MAX, "OSM `wheelchair:description`; trimmed, blank is none."),
                **_lon_lat(),
            },
        },
        "DuePlaces": {
            "type": "object", "required": ["type", "features"],
            "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                           "features": {"type": "array", "items": {
                               "type": "object", "required": ["type", "id", "geometry", "properties"],
                               "properties": {
                                   "type": {"type": "string", "enum": ["Feature"]}, "id": place_id,
                                   "geometry": point,
                                   "properties": {"type": "object", "required": [
                                       "id", "name", "category", "wheelchair", "version", "last_verified_at",
                                       "distance_m"], "properties": {
                                       "wheelchair": _ref("Wheelchair"), "category": _ref("Category"),
                                       "version": {"type": "integer", "minimum": 1},
                                       "last_verified_at": {"type": "string", "format": "date-time",
                                                            "nullable": True},
                                       "distance_m": count}}}}}},
        },
        "StillCorrect": {
            "type": "object", "additionalProperties": False,
            "description": "Confirms the place's values as they are; approved, it moves only `last_verified_at`.",
            "properties": {"base_version": base_version},
        },
        "Skip": {"type": "object", "additionalProperties": False, "properties": {},
                 "description": "An empty object: \"can't tell\" about this place."},
        "PeerChecks": {
            "type": "object", "required": ["changes"],
            "properties": {
                "sign_in_required": {"type": "boolean"},
                "changes": {"type": "array", "items": {
                    "type": "object",
                    "required": ["revision_id", "place_id", "place_name", "before", "after", "changed_at"],
                    "properties": {
                        "revision_id": place_id, "place_id": place_id, "place_name": {"type": "string"},
                        "before": {"type": "object"}, "after": {"type": "object"},
                        "changed_at": {"type": "string", "format": "date-time"},
                        "author": {"type": "string", "nullable": True,
                                   "description": "The author's public name, or null: anonymous by default."},
                        "distance_m": count}}},
            },
        },
        "Vote": {
            "type": "object", "required": ["vote"], "additionalProperties": False,
            "properties": {"vote": {"type": "string", "enum": ["agree", "disagree"]}},
        },
        "VoteResult": {
            "type": "object", "required": ["revision_id", "vote", "agree", "disagree", "reopened"],
            "properties": {"revision_id": place_id, "vote": {"type": "string", "enum": ["agree", "disagree"]},
                           "agree": count, "disagree": count,
                           "reopened": {"type": "boolean",
                                        "description": "true: this vote reopened the value for a moderator."}},
        },
        "Report": {
            "type": "object", "additionalProperties": False, "required": ["problem"],
            "description": "A flag that a published place is wrong or abusive; always reviewed by a moderator.",
            "properties": {
                "problem": {"type": "string", "enum": list(REPORT_PROBLEMS)},
                "note": _text(REPORT_NOTE_MAX, "What is wrong, for the moderator; trimmed, blank is none."),
            },
        },
        "Correction": {
            "type": "object", "additionalProperties": False,
            "description": "At least one of a new name, category, position (lon and lat together) or `gone`; "
                           "other fields are ignored.",
            "anyOf": [{"required": ["name"]}, {"required": ["category"]}, {"required": ["lon", "lat"]},
                      {"required": ["gone"]}],
            "not": {"anyOf": [{"required": ["lon"], "not": {"required": ["lat"]}},
                              {"required": ["lat"], "not": {"required": ["lon"]}}]},
            "properties": {
                "name": _text(NAME_MAX, "The place's right name; trimmed.", blank_allowed=False),
                "category": _ref("Category"),
                **_lon_lat(),
                "gone": {"type": "boolean", "description": "true: the place is closed or no longer there."},
                "base_version": base_version,
            },
        },
    }


def _responses(max_content_length: int) -> dict:
    responses = {f"Error{status}": {"description": text, "content": {JSON: {"schema": _ref("Error")}}}
                 for status, text in _ERRORS.items()}
    responses["Error413"]["description"] += f" At most {max_content_length} bytes."
    responses["Error429"]["headers"] = {"Retry-After": {"description": "Seconds to wait.",
                                                        "schema": {"type": "integer"}}}
    return responses


def _submission(operation_id: str, summary: str, body: str, *, on_place: bool, stale: bool) -> dict:
    statuses = ["400", "403", *(["404"] if on_place else []), *(["409"] if stale else []), "413", "415", "429"]
    return {"post": {
        "operationId": operation_id, "summary": summary, "tags": ["submissions"],
        "requestBody": {"required": True, "content": {JSON: {"schema": _ref(body)}}},
        "responses": {"201": {"description": "Stored; `state` says whether it awaits review.",
                              "content": {JSON: {"schema": _ref("SubmissionCreated")}}},
                      **_errors(*statuses)},
    }}


def openapi_document(server_url: str, *, limit_max: int, default_limit: int,
                     submission_limit: str, address_limit: str, max_content_length: int) -> dict:
    """Describe every route of the `api` blueprint, served under `server_url`."""
    place_id = {"name": "place_id", "in": "path", "required": True, "description": "A place's id.",
                "schema": {"type": "integer", "minimum": 1, "maximum": INT4_MAX}}
    description = (
        "Places with their wheelchair accessibility, and volunteers' submissions. GeoJSON per RFC 7946 "
        "(longitude first). Every error answers `{\"error\": {\"code\", \"message\", \"field\"}}`, `field` naming "
        "the input at fault.\n\n"
        "Submissions (the POST operations) take only `Content-Type: application/json`, which a cross-site HTML "
        "form cannot send, and a request whose `Origin` header is not this server's is refused with 403: that "
        "is the CSRF protection, so no token is needed. Anonymous submissions are grouped by a device cookie.\n\n"
        f"Rate limits: submissions are limited to {submission_limit.replace(';', ', ')} per account (or "
        f"device), and to {address_limit.replace(';', ', ')} per client address; past them the answer is 429 "
        "with `Retry-After`. "
        "Reads are not limited."
    )
    return {
        "openapi": "3.0.3",
        "info": {"title": "StepFree API", "version": "1.0.0", "description": description,
                 "license": {"name": "ODbL-1.0 (data)", "url": "https://opendatacommons.org/licenses/odbl/1-0/"}},
        "servers": [{"url": server_url.rstrip("/")}],
        "tags": [{"name": "places", "description": "Reading the published places."},
                 {"name": "submissions", "description": "Proposing changes; reviewed by moderators."},
                 {"name": "checks", "description": "Checking places again: what is due, and peer checks."}],
        "paths": {
            "/places": {
                "get": {
                    "operationId": "places", "tags": ["places"], "summary": "The places in a map view",
                    "description": "Points, or grid clusters with counts when the view is wide or holds more "
                                   "places than `limit`.",
                    "parameters": [
                        _query("bbox", "minLon,minLat,maxLon,maxLat in WGS 84; minimum ≤ maximum, longitudes "
                                       "within ±180, latitudes within ±90. Any size up to the whole world: views "
                                       f"wider than {CLUSTER_SPAN:g}° (or holding more than `limit` places) are "
                                       f"answered with at most {MAX_CLUSTERS} grid clusters.",
                               {"type": "array", "minItems": 4, "maxItems": 4,
                                "items": {"type": "number", "minimum": -180, "maximum": 180}},
                               required=True, explode=False),
                        _query("wheelchair", "Only these values (comma-separated or repeated); none: all.",
                               {"type": "array", "items": _ref("Wheelchair")}, explode=False),
                        _query("category", "Only these categories (comma-separated or repeated); none: all.",
                               {"type": "array", "items": _ref("Category")}, explode=False),
                        _query("limit", "At most this many points; more answer clusters.",
                               {"type": "integer", "minimum": 1, "maximum": limit_max, "default": default_limit}),
                    ],
                    "responses": {"200": {"description": "A GeoJSON FeatureCollection.",
                                          "content": {GEOJSON: {"schema": _ref("PlacesView")}}},
                                  **_errors("400")},
                },
                **_submission("submit_new_place", "Propose a place that is not on the map yet", "NewPlace",
                              on_place=False, stale=False),
            },
            "/places/search": {
                "get": {
                    "operationId": "search", "tags": ["places"], "summary": "Published places by name",
                    "parameters": [
                        _query("q", f"Part of the name, {SEARCH_Q_MIN} to {SEARCH_Q_MAX} characters once trimmed.",
                               {"type": "string", "minLength": SEARCH_Q_MIN, "maxLength": SEARCH_Q_MAX,
                                "pattern": SEARCH_Q}, required=True),
                        _query("near", "lon,lat: nearest first.", {"type": "string", "pattern": NEAR}),
                        _query("limit", "At most this many places.",
                               {"type": "integer", "minimum": 1, "maximum": SEARCH_LIMIT_MAX,
                                "default": SEARCH_LIMIT_DEFAULT}),
                    ],
                    "responses": {"200": {"description": "A GeoJSON FeatureCollection.",
                                          "content": {GEOJSON: {"schema": _ref("SearchResult")}}},
                                  **_errors("400")},
                },
            },
            "/places/{place_id}": {
                "get": {
                    "operationId": "place", "tags": ["places"], "summary": "One published place in detail",
                    "parameters": [place_id],
                    "responses": {"200": {"description": "A GeoJSON Feature.",
                                          "content": {GEOJSON: {"schema": _ref("PlaceDetail")}}},
                                  **_errors("400", "404")},
                },
            },
            "/places/{place_id}/status": {"parameters": [place_id], **_submission(
                "submit_status", "Propose wheelchair, toilet or description values", "StatusSubmission",
                on_place=True, stale=True)},
            "/places/{place_id}/details": {"parameters": [place_id], **_submission(
                "submit_details", "Propose entrance, toilet and parking details", "DetailsSubmission",
                on_place=True, stale=True)},
            "/suggest-status": {"post": {
                "operationId": "suggest_status", "tags": ["submissions"],
                "summary": "The wheelchair value some details suggest (stores nothing)",
                "description": "One step of at most 7 cm suggests limited, no steps yes, a door narrower than "
                               "70 cm no, and so on; the volunteer decides.",
                "requestBody": {"required": True, "content": {JSON: {"schema": _ref("SuggestStatusRequest")}}},
                "responses": {"200": {"description": "The suggestion and its reason.",
                                      "content": {JSON: {"schema": _ref("SuggestedStatus")}}},
                              **_errors("400", "403", "413", "415")}}},
            "/places/{place_id}/photos": {"parameters": [place_id, {
                "name": "X-CSRFToken", "in": "header", "required": True, "schema": {"type": "string"},
                "description": "The CSRF token of a StepFree page (its `csrf-token` meta element)."}], "post": {
                "operationId": "submit_photo", "tags": ["submissions"],
                "summary": "Send a photo of the place for review",
                "description": "A multipart form, so it must carry the page's CSRF token in the `X-CSRFToken` "
                               "header (a form any site could send otherwise). Every photo is reviewed by a "
                               "moderator and shown only once approved.",
                "requestBody": {"required": True, "content": {"multipart/form-data": {
                    "schema": _ref("PhotoUpload")}}},
                "responses": {"201": {"description": "Stored for review.",
                                      "content": {JSON: {"schema": _ref("SubmissionCreated")}}},
                              **_errors("400", "403", "404", "413", "415", "429")}}},
            "/photos/{photo_id}/reports": {"parameters": [{
                "name": "photo_id", "in": "path", "required": True, "description": "A shown photo's id.",
                "schema": {"type": "integer", "minimum": 1, "maximum": INT4_MAX}}], "post": {
                "operationId": "submit_photo_report", "tags": ["submissions"],
                "summary": "Report a problem with a shown photo (people recognisable, another place, ...)",
                "requestBody": {"required": True, "content": {JSON: {"schema": _ref("PhotoReport")}}},
                "responses": {"201": {"description": "Stored for review.",
                                      "content": {JSON: {"schema": _ref("SubmissionCreated")}}},
                              **_errors("400", "403", "404", "413", "415", "429")}}},
            "/places/{place_id}/reports": {"parameters": [place_id], **_submission(
                "submit_report", "Report a problem with a place", "Report", on_place=True, stale=False)},
            "/places/{place_id}/corrections": {"parameters": [place_id], **_submission(
                "submit_correction", "Propose a new name, category or position, or that it is gone", "Correction",
                on_place=True, stale=True)},
            "/places/{place_id}/still-correct": {"parameters": [place_id], **_submission(
                "still_correct", "Confirm that a place's values are still correct", "StillCorrect",
                on_place=True, stale=True)},
            "/places/{place_id}/skip": {"parameters": [place_id], "post": {
                "operationId": "skip", "tags": ["checks"], "summary": "Can't tell: do not offer this place again",
                "requestBody": {"required": True, "content": {JSON: {"schema": _ref("Skip")}}},
                "responses": {"204": {"description": "Noted for this account or device."},
                              **_errors("400", "403", "404", "413", "415")}}},
            "/check": {
                "get": {
                    "operationId": "check", "tags": ["checks"],
                    "summary": "The places nearest a point that are due for a check",
                    "description": "Status unknown, never confirmed, or confirmed too long ago (RECHECK_AFTER_DAYS; "
                                   "sooner for limited and no); leaving out places this volunteer skipped or "
                                   "already answered. Nearest first.",
                    "parameters": [
                        _query("near", "lon,lat of the volunteer.", {"type": "string", "pattern": NEAR},
                               required=True),
                        _query("limit", "At most this many places.", {"type": "integer", "minimum": 1,
                                                                      "maximum": CHECK_LIMIT_MAX, "default": 10}),
                        _query("event", "Only inside this mapping event's area (its slug).",
                               {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,63}$"}),
                    ],
                    "responses": {"200": {"description": "A GeoJSON FeatureCollection.",
                                          "content": {GEOJSON: {"schema": _ref("DuePlaces")}}},
                                  **_errors("400", "404")},
                },
            },
            "/peer-checks": {
                "get": {
                    "operationId": "peer_checks", "tags": ["checks"],
                    "summary": "Recent changes by other volunteers near a point, to agree or disagree with",
                    "parameters": [
                        _query("near", "lon,lat of the volunteer.", {"type": "string", "pattern": NEAR},
                               required=True),
                        _query("limit", "At most this many changes.", {"type": "integer", "minimum": 1,
                                                                       "maximum": CHECK_LIMIT_MAX, "default": 10}),
                    ],
                    "responses": {"200": {"description": "Changes; empty with `sign_in_required` when anonymous.",
                                          "content": {JSON: {"schema": _ref("PeerChecks")}}},
                                  **_errors("400")},
                },
            },
            "/revisions/{revision_id}/votes": {
                "parameters": [{"name": "revision_id", "in": "path", "required": True,
                                "description": "A change's id (from /peer-checks).",
                                "schema": {"type": "integer", "minimum": 1, "maximum": INT4_MAX}}],
                "post": {
                    "operationId": "vote", "tags": ["checks"],
                    "summary": "Agree or disagree with another volunteer's change (signed in)",
                    "description": f"Agreement adds to the author's trust; when enough volunteers disagree "
                                   f"(VOTES_TO_REOPEN) the value goes back to the moderators. Voting again "
                                   f"changes the vote. Limited like submissions ({submission_limit}).",
                    "requestBody": {"required": True, "content": {JSON: {"schema": _ref("Vote")}}},
                    "responses": {"201": {"description": "The vote and the change's counts.",
                                          "content": {JSON: {"schema": _ref("VoteResult")}}},
                                  **_errors("400", "403", "404", "413", "415", "429")},
                },
            },
            "/changes": {
                "get": {
                    "operationId": "changes", "tags": ["places"],
                    "summary": "Every place created, changed, hidden, gone or restored since a cursor",
                    "description": "Poll with the `next` of the previous answer. Changes come in an order that no "
                                   "later commit can overtake (a change committing late is never skipped), and "
                                   "cursors stay valid across server restarts. Start from nothing (no `since`) "
                                   "to receive every published place as `created`.",
                    "parameters": [
                        _query("since", "A cursor from an earlier answer's `next`; none: from the beginning.",
                               {"type": "string", "pattern": CURSOR_PATTERN}),
                        _query("limit", "At most this many changes.",
                               {"type": "integer", "minimum": 1, "maximum": CHANGES_LIMIT_MAX,
                                "default": CHANGES_LIMIT_DEFAULT}),
                    ],
                    "responses": {"200": {"description": "A page of changes, oldest first.",
                                          "content": {GEOJSON: {"schema": _ref("ChangePage")}}},
                                  **_errors("400")},
                },
            },
            "/openapi.json": {
                "get": {"operationId": "openapi", "summary": "This document",
                        "responses": {"200": {"description": "OpenAPI 3.0",
                                              "content": {OPENAPI: {"schema": {"type": "object"}}}},
                                      **_errors("400")}},
            },
        },
        "components": {"schemas": _schemas(limit_max), "responses": _responses(max_content_length)},
    }
