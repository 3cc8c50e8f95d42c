"""GeoJSON text pieces for the exports (RFC 7946 collections, RFC 8142-style sequences): pure, no database.

The features themselves are built by PostgreSQL, one JSON text each; this module writes what goes around them.
"""

import json
from datetime import UTC, datetime

from geo import fields

# Every published place is shared under the ODbL: volunteers' data is combined with OpenStreetMap's, and the
# ODbL's share-alike clause makes the whole database ODbL (DESIGN.md invariant 4).
LICENSE = "ODbL-1.0"
LICENSE_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0, https://www.openstreetmap.org/copyright"
STEPFREE_ATTRIBUTION = "© StepFree contributors, ODbL 1.0"

# The properties of every exported feature, OSM keys where OSM has one, in this order (geo/fields.py).
FEATURE_PROPERTIES = fields.FEATURE_PROPERTIES


def attribution(has_osm_places: bool) -> str:
    """The attribution line an export must carry; OpenStreetMap is named when its data is included."""
    return f"{STEPFREE_ATTRIBUTION}; {OSM_ATTRIBUTION}" if has_osm_places else STEPFREE_ATTRIBUTION


def iso_utc(moment: datetime) -> str:
    """An instant as ISO 8601 in UTC to the second, with a Z."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def collection_head(*, name: str, taken_at: datetime, has_osm_places: bool, extra: dict | None = None) -> str:
    """The opening of a FeatureCollection up to and including `"features":[`, foreign members first."""
    members = {
        "type": "FeatureCollection",
        "name": name,
        "timeStamp": iso_utc(taken_at),
        "attribution": attribution(has_osm_places),
        "license": LICENSE,
        "license_url": LICENSE_URL,
        **(extra or {}),
    }
    return json.dumps(members, ensure_ascii=False)[:-1] + ',"features":[\n'


COLLECTION_TAIL = "\n]}\n"
