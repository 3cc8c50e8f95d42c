"""Reading an OSM file (.osm.pbf or .osm XML) into the place records StepFree imports, with pyosmium.

Nodes become places where they stand; closed ways and multipolygon relations become a point inside their
area, open ways (a platform along the kerb) the point halfway along their line (geo.osm_geometry). Only
objects carrying a category key reach Python at all (pyosmium's KeyFilter runs in C++), which keeps reading
close to pyosmium's own speed. Every candidate that is not imported comes back as a record with a skip reason,
so the import can count it.
"""

import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import osmium
import osmium.filter
import osmium.geom
import osmium.index
from flask_babel import gettext as _

from app.errors import AppError
from geo.fields import COLUMN_FIELDS
from geo.osm_geometry import GeometryError, line_point, rounded, way_point, wkb_point
from geo.osm_tags import CATEGORY_KEYS_ORDER, OsmPlaceValues, category_for, place_values, unmapped_tag

log = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.gz", ".osm.bz2")
PROGRESS_STEP = 256
# How many raw and decoded blocks libosmium's reader threads may hold ahead of the import (its default is 20 of
# each). The import consumes far slower than the threads decode, so the default queues fill up, and the more
# blocks a file has the more of them are held: about 20 MB more at a million objects than at 100,000. Four keep
# the reader busy and its memory the same whatever the file's size. libosmium reads these when a reader opens;
# values set in the environment win.
READ_QUEUE_BLOCKS = 4
for _queue in ("INPUT", "OSMDATA"):
    os.environ.setdefault(f"OSMIUM_MAX_{_queue}_QUEUE_SIZE", str(READ_QUEUE_BLOCKS))

# Skip reasons. The geometry ones mean "still a place in OSM, we just could not place it": such an object is
# never marked gone. The others mean OSM no longer describes a place StepFree shows.
NO_NAME = "no name"
UNMAPPED = "no StepFree category for its tags"
ROUTE = "route relation, not a place"
MISSING_NODES = "way has nodes missing from the file"
INVALID_LOCATION = "node has no valid location"
INVALID_AREA = "area geometry is invalid"
NOT_AN_AREA = "relation is not a multipolygon"
DUPLICATE = "object appears twice in the file"
GEOMETRY_REASONS = frozenset({MISSING_NODES, INVALID_LOCATION, INVALID_AREA, NOT_AN_AREA})
# A bus line or a hiking trail as a whole: it may carry a place's tags (its operator's, its stops'), yet its stops
# are mapped as places of their own.
ROUTE_TYPES = frozenset({"route", "route_master"})


class OsmFileError(AppError):
    """The OSM file cannot be read; nothing was imported."""

    status = 400
    code = "osm_file_unreadable"


@dataclass(slots=True)
class OsmRecord:
    osm_type: str
    osm_id: int
    values: OsmPlaceValues
    lon: float | None = None
    lat: float | None = None
    skip: str | None = None
    # For skipped records: the tag that was not mapped, or the geometry problem.
    detail: str | None = None
    # For a node that is a place: (version, tags as JSON text, x, y), what writing back to OSM needs (osm_nodes).
    upstream: tuple | None = None

    @property
    def key(self) -> tuple[str, int]:
        return self.osm_type, self.osm_id

    @property
    def still_a_place(self) -> bool:
        """Whether OSM still describes a place here, even if this import could not use it."""
        return self.skip is None or self.skip in GEOMETRY_REASONS

    def seen(self) -> dict:
        """The values StepFree remembers as what OSM said (places.osm_seen)."""
        return {**{key: getattr(self.values, key) for key in COLUMN_FIELDS}, "lon": self.lon, "lat": self.lat,
                "gone": False}


def check_readable(path: str | os.PathLike) -> Path:
    """Refuse a path that is missing, unreadable or not named like an OSM file, before any work starts."""
    file = Path(path)
    if not file.exists():
        raise OsmFileError(_("%(file)s: no such file. Check the path (download an extract, e.g. from "
                             "download.geofabrik.de, if you have none).", file=str(file)), "file")
    if not file.is_file():
        raise OsmFileError(_("%(file)s: is not a file. Give the path of an .osm.pbf or .osm file.", file=str(file)),
                           "file")
    if not os.access(file, os.R_OK):
        raise OsmFileError(_("%(file)s: permission denied. Make the file readable for this user.", file=str(file)),
                           "file")
    if not file.name.lower().endswith(OSM_SUFFIXES):
        raise OsmFileError(_("%(file)s: unknown file type. StepFree reads OpenStreetMap files named %(suffixes)s.",
                             file=str(file), suffixes=", ".join(OSM_SUFFIXES)), "file")
    return file


def _file_error(file: Path, error: Exception) -> OsmFileError:
    return OsmFileError(_("%(file)s: cannot be read as OpenStreetMap data (%(reason)s). The file is probably "
                          "truncated or corrupt: download it again, check its checksum, and re-run the import. "
                          "Nothing was imported.", file=str(file), reason=str(error)), "file")


def file_bbox(path: str | os.PathLike) -> tuple[float, float, float, float] | None:
    """The bounding box the file's header declares (minLon, minLat, maxLon, maxLat), if any."""
    file = check_readable(path)
    try:
        with osmium.io.Reader(str(file), osmium.osm.NOTHING) as reader:
            box = reader.header().box()
    except RuntimeError as error:
        raise _file_error(file, error) from None
    if not box.valid():
        return None
    return box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat


def count_candidates(path: str | os.PathLike) -> int:
    """How many objects carry a category key: the length of read_places' progress (a fast C++-side pass)."""
    file = check_readable(path)
    try:
        return sum(1 for _ in osmium.FileProcessor(str(file)).with_filter(
            osmium.filter.KeyFilter(*CATEGORY_KEYS_ORDER)))
    except RuntimeError as error:
        raise _file_error(file, error) from None


def read_places(path: str | os.PathLike, progress: Callable[[int], None] | None = None,
                locations: osmium.index.LocationTable | None = None) -> Iterator[OsmRecord]:
    """Yield one record per candidate object of the file (imported or skipped with a reason).

    progress, if given, is called with the number of objects read since its last call; the total is
    count_candidates(path). Node locations are kept in memory, or in `locations`, a pyosmium location index: a
    full import passes the file index diffs need (app/services/osm_diff.py), which this pass then writes, and
    which keeps the import's memory from growing with the number of nodes.
    """
    file = check_readable(path)
    # Areas are assembled for multipolygon relations only (closed ways are placed from their node lists),
    # and only for those that could be places at all.
    multipolygons = osmium.filter.TagFilter(("type", "multipolygon"))
    processor = (osmium.FileProcessor(str(file)).with_locations("flex_mem" if locations is None else locations)
                 .with_areas(osmium.filter.KeyFilter(*CATEGORY_KEYS_ORDER), multipolygons)
                 .with_filter(osmium.filter.KeyFilter(*CATEGORY_KEYS_ORDER)))
    wkb = osmium.geom.WKBFactory()
    relations: dict[int, OsmPlaceValues] = {}
    areas_built: set[int] = set()
    objects = iter(processor)
    unreported = 0
    while True:
        try:
            obj = next(objects)
        except StopIteration:
            break
        except RuntimeError as error:
            raise _file_error(file, error) from None
        kind = obj.type_str()
        if kind != "a":
            unreported += 1
            if progress is not None and unreported >= PROGRESS_STEP:
                progress(unreported)
                unreported = 0
        if kind == "a":
            if obj.from_way():
                continue  # closed ways are placed from their own node list below
            areas_built.add(obj.orig_id())
            record = _area_record(obj, wkb)
        elif kind == "r":
            record = _relation_record(obj, relations)
        elif kind == "w":
            record = _way_record(obj)
        else:
            record = _node_record(obj)
        if record is not None:
            yield record
    if progress is not None and unreported:
        progress(unreported)
    for relation_id, values in relations.items():
        if relation_id not in areas_built:
            yield OsmRecord("relation", relation_id, values, skip=INVALID_AREA,
                            detail="its outer ways do not form closed rings")


def _tags(obj) -> dict[str, str]:
    """The object's tags as a dict, read once: every lookup on pyosmium's TagList crosses into C++, and its
    iterator ends by raising StopIteration from C++, which costs more than reading all the tags; islice stops
    at the known length instead."""
    return dict(islice(obj.tags, len(obj.tags)))


def _classify(osm_type: str, osm_id: int, tags: dict[str, str]) -> OsmRecord | None:
    """A record with the object's values, already skipped if it has no name or category; None if irrelevant."""
    if osm_type == "relation" and tags.get("type") in ROUTE_TYPES:
        return OsmRecord(osm_type, osm_id, place_values(tags), skip=ROUTE, detail=f"type={tags.get('type')}")
    if category_for(tags) is None:
        # Most candidates of a real file are roads and the like: decide cheaply before reading all the values.
        unmapped = unmapped_tag(tags)
        if unmapped is None or not tags.get("name", "").strip():
            return None  # a bench, a road: not a place, not worth a line in the report
        return OsmRecord(osm_type, osm_id, place_values(tags), skip=UNMAPPED, detail=unmapped)
    values = place_values(tags)
    if values.name is None and not values.unnamed_kind:
        return OsmRecord(osm_type, osm_id, values, skip=NO_NAME)
    return OsmRecord(osm_type, osm_id, values)


def _node_record(node) -> OsmRecord | None:
    tags = _tags(node)
    record = _classify("node", node.id, tags)
    if record is not None and record.skip is None:
        location = node.location
        if not location.valid():
            record.skip = INVALID_LOCATION
        else:
            record.lon, record.lat = rounded(location.lon, location.lat)
            # As JSON text at once: a chunk's records wait in memory until merged, and the text is what is copied.
            record.upstream = (node.version, json.dumps(tags, ensure_ascii=False), location.x, location.y)
    return record


def _way_record(way) -> OsmRecord | None:
    record = _classify("way", way.id, _tags(way))
    if record is None or record.skip is not None:
        return record
    if len(way.nodes) == 0 or not all(n.location.valid() for n in way.nodes):
        record.skip = MISSING_NODES
        return record
    coords = [(n.lon, n.lat) for n in way.nodes]
    if not way.is_closed():
        record.lon, record.lat = line_point(coords)
        return record
    try:
        record.lon, record.lat = way_point(coords)
    except GeometryError as error:
        record.skip, record.detail = INVALID_AREA, str(error)
    return record


def _relation_record(relation, relations: dict[int, OsmPlaceValues]) -> OsmRecord | None:
    tags = _tags(relation)
    record = _classify("relation", relation.id, tags)
    if record is None or record.skip is not None:
        return record
    if tags.get("type") != "multipolygon":
        record.skip = NOT_AN_AREA
        return record
    # The area comes separately (before or after this relation); until then only remember the candidate.
    relations[relation.id] = record.values
    return None


def _area_record(area, wkb) -> OsmRecord | None:
    record = _classify("relation", area.orig_id(), _tags(area))
    if record is None or record.skip is not None:
        return None  # the relation itself reports it
    try:
        record.lon, record.lat = wkb_point(wkb.create_multipolygon(area))
    except (GeometryError, RuntimeError) as error:
        record.skip, record.detail = INVALID_AREA, str(error)
    return record
