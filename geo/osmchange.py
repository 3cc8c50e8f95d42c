"""What StepFree gives back to OpenStreetMap, in the formats OSM mappers' own tools take: pure, no database.

- An osmChange file (the OSM API 0.6 upload format, which JOSM opens and `osmium apply-changes` applies): one
  `<modify>` per object, carrying the whole object as OSM has it (version, every tag, node refs or members, a node's
  location) with only the tags StepFree owns changed, plus `check_date:wheelchair`.
- A MapRoulette "cooperative challenge" of tag fixes: line-by-line GeoJSON (RFC 7464 records), one task per
  object, whose `cooperativeWork` sets the same tags, for other mappers to review before anything is written.

StepFree owns the accessibility fields that have an OSM key (geo/fields.py): `wheelchair`, `toilets:wheelchair`,
`wheelchair:description` and the entrance and toilet details. It never removes a tag and never writes `unknown`,
which is the absence of knowledge, not a value (DESIGN.md).
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO
from xml.sax.saxutils import quoteattr

from geo.fields import FIELDS, Field
from geo.geojson import OSM_ATTRIBUTION

# Every accessibility field with an OSM key, in geo/fields.py's order.
OWNED_FIELDS: tuple[Field, ...] = tuple(f for f in FIELDS.values() if f.accessibility and f.osm_key and f.column)
OWNED_KEYS = frozenset(f.osm_key for f in OWNED_FIELDS)
CHECK_DATE_KEY = "check_date:wheelchair"
GENERATOR = "StepFree"
RECORD_SEPARATOR = "\x1e"  # RFC 7464: each JSON text of a sequence starts with it


def osm_value(f: Field, value) -> str | None:
    """A field's value as an OSM tag value; None when StepFree has nothing to say (no value, or unknown)."""
    if value is None or value == "unknown":
        return None
    if f.type == "centimetres":
        return f"{value / 100:.2f}".rstrip("0").rstrip(".")  # OSM writes lengths in metres: 90 cm is "0.9"
    return str(value)


@dataclass
class OsmElement:
    """One OSM object as StepFree stores it (app/models/osm.py), and the tags its change sets."""

    type: str                       # node | way | relation
    id: int
    version: int
    tags: dict[str, str]
    # A node's location in 1e-7 degrees (as OSM and pyosmium store it); a way's node refs; a relation's members
    # as [type ("n", "w", "r"), ref, role].
    x: int | None = None
    y: int | None = None
    nodes: list[int] = field(default_factory=list)
    members: list[list] = field(default_factory=list)
    # The tags to set: owned keys, and the check date.
    changes: dict[str, str] = field(default_factory=dict)
    # Where the place is (for MapRoulette's task), in degrees.
    lon: float = 0.0
    lat: float = 0.0

    @property
    def ref(self) -> str:
        return f"{self.type}/{self.id}"

    def new_tags(self) -> dict[str, str]:
        return {**self.tags, **self.changes}


def tag_changes(osm_tags: dict[str, str], values: dict[str, str], checked: date) -> dict[str, str]:
    """The tags of `values` (OSM key to OSM value) that differ from the object's, with the check date; empty when
    nothing differs."""
    changes = {key: value for key, value in values.items() if osm_tags.get(key) != value}
    if changes:
        changes[CHECK_DATE_KEY] = checked.isoformat()
    return changes


def _degrees(e7: int) -> str:
    """A coordinate in 1e-7 degrees as OSM writes it: exact, without float rounding."""
    sign = "-" if e7 < 0 else ""
    whole, fraction = divmod(abs(e7), 10_000_000)
    return f"{sign}{whole}.{fraction:07d}".rstrip("0").rstrip(".")


MEMBER_TYPES = {"n": "node", "w": "way", "r": "relation"}


def write_osmchange(elements: Iterable[OsmElement], out: TextIO, *, timestamp: str, changeset: int | None = None
                    ) -> int:
    """Write an osmChange document modifying `elements`; return how many were written.

    `timestamp` (ISO 8601) marks each object: the API ignores it on upload, and `osmium apply-changes` uses it to
    tell the changed object from the original of the same version. `changeset`: the open changeset an upload
    goes to (the API requires it on every object).
    """
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f'<osmChange version="0.6" generator="{GENERATOR}">\n')
    out.write(f"<!-- {OSM_ATTRIBUTION} -->\n")
    out.write("<modify>\n")
    written = 0
    for element in elements:
        attributes = f'id="{element.id}" version="{element.version}" timestamp="{timestamp}"'
        if changeset is not None:
            attributes += f' changeset="{changeset}"'
        if element.type == "node":
            attributes += f' lat="{_degrees(element.y)}" lon="{_degrees(element.x)}"'
        out.write(f"  <{element.type} {attributes}>\n")
        for ref in element.nodes:
            out.write(f'    <nd ref="{ref}"/>\n')
        for kind, ref, role in element.members:
            out.write(f'    <member type="{MEMBER_TYPES[kind]}" ref="{ref}" role={quoteattr(role)}/>\n')
        for key, value in sorted(element.new_tags().items()):
            out.write(f"    <tag k={quoteattr(key)} v={quoteattr(value)}/>\n")
        out.write(f"  </{element.type}>\n")
        written += 1
    out.write("</modify>\n</osmChange>\n")
    return written


def maproulette_task(element: OsmElement, *, instruction: str) -> str:
    """One cooperative tag-fix task as a line of line-by-line GeoJSON (an RFC 7464 record)."""
    task = {
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [element.lon, element.lat]},
            "properties": {"@id": element.ref, "name": element.tags.get("name", ""), "instruction": instruction,
                           "attribution": OSM_ATTRIBUTION,
                           **{f"osm:{key}": element.tags.get(key, "") for key in sorted(element.changes)}},
        }],
        "cooperativeWork": {
            "meta": {"version": 2, "type": 1},  # version 2 of the format; type 1: a tag fix
            "operations": [{"operationType": "modifyElement", "data": {
                "id": element.ref, "operations": [{"operation": "setTags", "data": dict(element.changes)}]}}],
        },
    }
    return RECORD_SEPARATOR + json.dumps(task, ensure_ascii=False, separators=(",", ":")) + "\n"
