"""The OpenAPI 3.0 definition of StepFree's OGC API – Features (the landing page's `service-desc`), and the
queryables of its one collection (Part 3)."""

from app.params import INT4_MAX
from geo.categories import CATEGORIES, CATEGORY_KEYS
from geo.fields import FIELDS, RECORD_MEANINGS
from geo.vocabulary import WHEELCHAIR_LABELS, WHEELCHAIR_MEANINGS, WHEELCHAIR_VALUES


def queryables_document(self_url: str) -> dict:
    """The properties the items can be filtered by, as a JSON Schema (2020-12), in the features' own names.

    `x-ogc-role` marks the geometry (filtered by `bbox`) and the instant (filtered by `datetime`); the others
    are query parameters of their own name. Each value carries its label and meaning, for forms.
    """
    wheelchair, category = FIELDS["wheelchair"], FIELDS["category"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": self_url,
        "type": "object",
        "title": "Places",
        "description": "Filter the items by these, each a query parameter; wheelchair and category take one or "
                       "several values, comma-separated.",
        "properties": {
            "geometry": {"title": "Location", "description": "Filtered with bbox (minLon,minLat,maxLon,maxLat).",
                         "format": "geometry-point", "x-ogc-role": "primary-geometry"},
            wheelchair.property: {
                "title": wheelchair.label, "description": wheelchair.meaning, "type": "string",
                "enum": list(WHEELCHAIR_VALUES),
                "oneOf": [{"const": v, "title": WHEELCHAIR_LABELS[v], "description": WHEELCHAIR_MEANINGS[v]}
                          for v in WHEELCHAIR_VALUES]},
            category.property: {
                "title": category.label, "description": category.meaning, "type": "string",
                "enum": list(CATEGORY_KEYS),
                "oneOf": [{"const": c.key, "title": c.label} for c in CATEGORIES]},
            "updated_at": {"title": "Last changed", "description": RECORD_MEANINGS["updated_at"] +
                           " Filtered with datetime (an instant or an interval, `..` open).",
                           "type": "string", "format": "date-time", "x-ogc-role": "primary-instant"},
        },
        "additionalProperties": False,
    }


def _query(name: str, description: str, schema: dict, *, explode: bool = False) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema,
            "style": "form", "explode": explode}


UNKNOWN_COLLECTION = {"description": "There is no collection of this id (the only one is `places`)."}


def _ok(description: str, media_type: str) -> dict:
    return {"200": {"description": description, "content": {media_type: {"schema": {"type": "object"}}}},
            "400": {"description": "A parameter is invalid; the answer names it."}}


def openapi_document(server_url: str, max_limit: int) -> dict:
    """Describe the endpoints and their parameters, served from `server_url`."""
    collection_id = {"name": "collectionId", "in": "path", "required": True, "schema": {"type": "string",
                                                                                      "enum": ["places"]}}
    items_parameters = [
        collection_id,
        _query("limit", "How many features per page.", {"type": "integer", "minimum": 1, "maximum": max_limit,
                                                         "default": 10}),
        _query("bbox", "minLon,minLat,maxLon,maxLat in WGS 84.", {"type": "array", "minItems": 4, "maxItems": 4,
                                                                 "items": {"type": "number"}}),
        _query("datetime", "An instant or interval (`..` open) on updated_at.", {"type": "string"}),
        _query("wheelchair", "One or several of the values, comma-separated.",
               {"type": "array", "items": {"type": "string", "enum": list(WHEELCHAIR_VALUES)}}),
        _query("category", "One or several categories, comma-separated.",
               {"type": "array", "items": {"type": "string", "enum": list(CATEGORY_KEYS)}}),
        _query("updated_since", "Only places changed at or after this ISO 8601 time.", {"type": "string"}),
        _query("after", "Paging cursor (from a `next` link).", {"type": "integer", "minimum": 0}),
    ]
    return {
        "openapi": "3.0.3",
        "info": {"title": "StepFree OGC API – Features", "version": "1.0.0",
                 "license": {"name": "ODbL-1.0 (data)", "url": "https://opendatacommons.org/licenses/odbl/1-0/"}},
        "servers": [{"url": server_url.rstrip("/")}],
        "paths": {
            "/": {"get": {"operationId": "landing", "responses": _ok("The landing page", "application/json")}},
            "/conformance": {"get": {"operationId": "conformance",
                                     "responses": _ok("Conformance classes", "application/json")}},
            "/collections": {"get": {"operationId": "collections",
                                     "responses": _ok("The collections", "application/json")}},
            "/collections/{collectionId}": {"get": {"operationId": "collection", "parameters": [collection_id],
                                                    "responses": {**_ok("One collection", "application/json"),
                                                                  "404": UNKNOWN_COLLECTION}}},
            "/collections/{collectionId}/queryables": {"get": {
                "operationId": "queryables", "parameters": [collection_id],
                "responses": {**_ok("What the items can be filtered by (JSON Schema)", "application/schema+json"),
                              "404": UNKNOWN_COLLECTION}}},
            "/collections/{collectionId}/items": {"get": {
                "operationId": "items", "parameters": items_parameters,
                "responses": {**_ok("A page of features", "application/geo+json"), "404": UNKNOWN_COLLECTION}}},
            "/collections/{collectionId}/items/{featureId}": {"get": {
                "operationId": "item",
                "parameters": [collection_id, {"name": "featureId", "in": "path", "required": True,
                                               "schema": {"type": "integer", "minimum": 1, "maximum": INT4_MAX}}],
                "responses": {**_ok("One feature", "application/geo+json"),
                              "404": {"description": "No published place has this id, or no such collection."}}}},
        },
    }
