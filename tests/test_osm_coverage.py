"""OSM coverage (issue 15): a place wherever WheelMap would show one.

Open ways are placed halfway along their line, the category table covers WheelMap's kinds (public transport,
elevators, toilets, beaches, parks), toilets, elevators, parking, platforms and stops are places without a name,
addr:* tags are kept, and route relations are skipped with their own reason.

The golden file tests/data/liechtenstein_outcomes.tsv holds what becomes of every candidate object of the shared
Liechtenstein extract (a place and its category, or the reason it is skipped). It was written by this module's
own `write_outcomes` and then reviewed by hand; after a deliberate change to the category table, regenerate it with

    .venv/bin/python -m tests.test_osm_coverage

and review the diff object by object (`git diff tests/data/liechtenstein_outcomes.tsv`) before committing it.
"""

import csv
import math
from pathlib import Path

import osmium
import pytest
import shapely
from shapely.geometry import LineString, Point
from sqlalchemy import func, select

from app.cli.osm import format_summary
from app.models import Place, Revision
from app.services import moderation
from app.services.osm_import import import_file
from app.services.osm_reader import NO_NAME, ROUTE, read_places
from app.services.submissions import Submitter, hash_device_token, submit_correction
from geo.osm_geometry import METRES_PER_DEGREE, GeometryError, line_point
from geo.osm_tags import address_for, category_for, place_values, unmapped_tag
from tests.factories import make_user
from tests.test_osm_liechtenstein import extract_path

DATA = Path(__file__).parent / "data"
OUTCOMES = DATA / "liechtenstein_outcomes.tsv"
COVERAGE = DATA / "osm" / "coverage.osm"
COLUMNS = ("osm_type", "osm_id", "category", "skipped", "detail", "name")
TYPE_ORDER = {"node": 0, "way": 1, "relation": 2}
DEVICE = Submitter(device_hash=hash_device_token("osm-coverage-volunteer"))

pytestmark = pytest.mark.usefixtures("app_context")


def current_outcomes(path: Path) -> list[dict[str, str]]:
    """One row per candidate object of an OSM file: its category if it becomes a place, else why not."""
    rows = [{"osm_type": r.osm_type, "osm_id": str(r.osm_id), "category": "" if r.skip else r.values.category,
             "skipped": r.skip or "", "detail": r.detail or "", "name": r.values.name or ""}
            for r in read_places(path)]
    return sorted(rows, key=lambda row: (TYPE_ORDER[row["osm_type"]], int(row["osm_id"])))


def write_outcomes() -> None:
    """Regenerate the golden file from the shared extract (review the diff before committing it)."""
    with OUTCOMES.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(current_outcomes(extract_path()))


def golden_outcomes() -> list[dict[str, str]]:
    with OUTCOMES.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file, delimiter="\t"))


def _place(session, osm_type: str, osm_id: int) -> Place:
    place = session.scalars(select(Place).where(Place.osm_type == osm_type, Place.osm_id == osm_id)).one()
    session.refresh(place)
    return place


def _osm(path: Path, nodes: dict[int, dict[str, str]]) -> Path:
    """Write an .osm file with one node per entry, carrying exactly these tags."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">',
             '  <bounds minlat="47.10" minlon="9.50" maxlat="47.20" maxlon="9.60"/>']
    for node_id, tags in nodes.items():
        lines.append(f'  <node id="{node_id}" lat="47.15{node_id}" lon="9.55{node_id}" version="1">')
        lines += [f'    <tag k="{key}" v="{value}"/>' for key, value in tags.items()]
        lines.append("  </node>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# The golden file, object by object.

def test_coverage_liechtenstein_outcomes_match_the_golden_file():
    assert current_outcomes(extract_path()) == golden_outcomes()


def test_coverage_liechtenstein_places_are_the_golden_places(session):
    summary = import_file(session, extract_path())
    golden = golden_outcomes()
    expected = {(row["osm_type"], int(row["osm_id"]), row["category"]) for row in golden if not row["skipped"]}
    places = set(session.execute(select(Place.osm_type, Place.osm_id, Place.category)
                                 .where(Place.source == "osm")).tuples())
    assert places == expected
    skipped = {}
    for row in golden:
        if row["skipped"]:
            skipped[row["skipped"]] = skipped.get(row["skipped"], 0) + 1
    assert dict(summary.skipped) == skipped


def test_coverage_liechtenstein_unnamed_places_are_of_the_kinds_that_need_no_name():
    unnamed = {row["category"] for row in golden_outcomes() if not row["skipped"] and not row["name"]}
    assert unnamed and unnamed <= {"toilets", "elevator", "parking", "public_transport"}


def test_coverage_liechtenstein_open_ways_are_placed_halfway_along_their_line(session):
    import_file(session, extract_path())
    lines = {}
    for way in osmium.FileProcessor(str(extract_path()), osmium.osm.NODE | osmium.osm.WAY).with_locations():
        if way.type_str() == "w" and not way.is_closed() and all(n.location.valid() for n in way.nodes):
            lines[way.id] = [(n.lon, n.lat) for n in way.nodes]
    placed = session.execute(select(Place.osm_id, func.ST_X(Place.geom), func.ST_Y(Place.geom)).where(
        Place.source == "osm", Place.osm_type == "way", Place.osm_id.in_(lines))).all()
    assert len(placed) >= 3  # unnamed bus platforms drawn along the kerb
    for osm_id, x, y in placed:
        line = LineString(lines[osm_id])
        assert line.distance(Point(x, y)) < 1e-6  # on the line: OSM's 7 decimals are about 1 cm
        assert _share_along(lines[osm_id], (x, y)) == pytest.approx(0.5, abs=0.01)


def _share_along(coords, point) -> float:
    """How far along the line (in metres) the point lies, as a share of the line's length."""
    scale = math.cos(math.radians(point[1]))
    projected = LineString([(lon * scale, lat) for lon, lat in coords])
    return projected.project(Point(point[0] * scale, point[1]), normalized=True)


# Open ways: the pure geometry.

def test_line_point_of_an_l_shaped_platform_is_its_corner_by_length_not_by_degrees():
    # 100 m east, then 100 m north, at 47.1°N (see coverage.osm, way 60).
    coords = [(9.51, 47.105), (9.5113211, 47.105), (9.5113211, 47.1058993)]
    assert line_point(coords) == (9.5113211, 47.105)
    halfway_in_degrees = LineString(coords).interpolate(0.5, normalized=True)
    assert halfway_in_degrees.distance(Point(9.5113211, 47.105)) * METRES_PER_DEGREE > 10


def test_line_point_of_unequal_segments_lies_on_the_segment_holding_the_middle():
    coords = [(9.51, 47.106), (9.5101321, 47.106), (9.5102642, 47.106), (9.5113211, 47.106)]
    lon, lat = line_point(coords)
    assert lat == 47.106 and 9.5102642 < lon < 9.5113211
    assert _share_along(coords, (lon, lat)) == pytest.approx(0.5, abs=1e-4)


@pytest.mark.parametrize("coords, point", [
    ([(9.5, 47.1)], (9.5, 47.1)),
    ([(9.5, 47.1), (9.5, 47.1), (9.5, 47.1)], (9.5, 47.1)),
    ([(9.5, 47.1), (9.5, 47.1), (9.5, 47.2)], (9.5, 47.15)),
])
def test_line_point_of_degenerate_lines(coords, point):
    assert line_point(coords) == pytest.approx(point)


def test_line_point_of_no_nodes_is_refused():
    with pytest.raises(GeometryError):
        line_point([])


def test_coverage_file_open_ways_become_places_on_their_line(session):
    import_file(session, COVERAGE)
    platform, track = _place(session, "way", 60), _place(session, "way", 61)
    assert (platform.name, platform.category, platform.wheelchair) == (None, "public_transport", "yes")
    assert shapely.wkb.loads(bytes(platform.geom.data)).equals(Point(9.5113211, 47.105))
    assert (track.name, session.scalar(func.ST_X(track.geom))) == ("Gleis 1", pytest.approx(9.5106606))


# The category table and unnamed kinds.

@pytest.mark.parametrize("tags, category", [
    ({"highway": "elevator"}, "elevator"),
    ({"public_transport": "platform"}, "public_transport"),
    ({"highway": "platform"}, "public_transport"),
    ({"railway": "platform"}, "public_transport"),
    ({"railway": "subway_entrance"}, "public_transport"),
    ({"railway": "halt"}, "public_transport"),
    ({"railway": "tram_stop"}, "public_transport"),
    ({"amenity": "ferry_terminal"}, "public_transport"),
    ({"aeroway": "terminal"}, "public_transport"),
    ({"natural": "beach"}, "leisure"),
    ({"leisure": "beach_resort"}, "leisure"),
    ({"leisure": "park"}, "leisure"),
    ({"tourism": "viewpoint"}, "leisure"),
    ({"amenity": "toilets"}, "toilets"),
    ({"natural": "peak"}, None),
    ({"public_transport": "stop_position"}, None),
    ({"public_transport": "stop_area"}, None),
    ({"aeroway": "runway"}, None),
    ({"highway": "footway"}, None),
])
def test_coverage_category_for_wheelmap_kinds(tags, category):
    assert category_for(tags) == category


@pytest.mark.parametrize("tags", [{"natural": "peak"}, {"public_transport": "stop_position"},
                                  {"aeroway": "runway"}])
def test_coverage_named_infrastructure_is_not_worth_a_line_in_the_report(tags):
    assert unmapped_tag({"name": "Drei Schwestern", **tags}) is None


@pytest.mark.parametrize("tags, unnamed_kind", [
    ({"amenity": "toilets"}, True),
    ({"highway": "elevator"}, True),
    ({"amenity": "parking"}, True),
    ({"highway": "bus_stop"}, True),
    ({"railway": "tram_stop"}, True),
    ({"railway": "platform"}, True),
    ({"amenity": "shelter", "highway": "bus_stop"}, True),
    ({"amenity": "restaurant"}, False),
    ({"railway": "station"}, False),
    ({"amenity": "car_sharing"}, False),
    ({"amenity": "bench"}, False),
])
def test_coverage_kinds_that_are_places_without_a_name(tags, unnamed_kind):
    assert place_values(tags).unnamed_kind is unnamed_kind


def test_coverage_unnamed_toilets_and_elevators_are_imported_without_a_name(session):
    summary = import_file(session, COVERAGE)
    toilet, elevator = _place(session, "node", 51), _place(session, "node", 52)
    assert (toilet.name, toilet.category, toilet.wheelchair) == (None, "toilets", "yes")
    assert (elevator.name, elevator.category) == (None, "elevator")
    assert session.scalar(select(func.count()).where(Place.osm_id == 53)) == 0  # an unnamed restaurant
    assert summary.skipped[NO_NAME] == 1
    first = session.scalars(select(Revision).where(Revision.place_id == toilet.id)).one()
    assert first.after["name"] is None


# Route relations.

def test_coverage_route_relations_are_skipped_with_their_own_reason(session):
    summary = import_file(session, COVERAGE)
    assert summary.skipped[ROUTE] == 2
    assert session.scalar(select(func.count()).where(Place.osm_type == "relation")) == 0
    assert dict(summary.skipped) == {NO_NAME: 1, ROUTE: 2}
    assert summary.created == 7  # n51, n52, n54, n55, n57, w60, w61
    assert "route relation, not a place" in format_summary(summary, mark_gone=False)


# Addresses.

def test_address_for_keeps_clean_addr_tags_only():
    address = address_for({"addr:street": "  Äulestrasse ", "addr:housenumber": "12a", "addr:unit": "  ",
                           "addr:Floor": "2", "addr:": "x", "addr:full": "x" * 300, "name": "Café",
                           "addr:street:de": "Äulestrasse"})
    assert set(address) == {"street", "housenumber", "full", "street:de"}
    assert address["street"] == "Äulestrasse"
    assert len(address["full"]) == 255
    assert address_for({"name": "Café", "amenity": "cafe"}) is None


def test_coverage_address_is_stored(session):
    import_file(session, COVERAGE)
    cafe = _place(session, "node", 54)
    assert {k: v for k, v in cafe.address.items() if k != "full"} == {
        "street": "Äulestrasse", "housenumber": "12a", "city": "Vaduz", "postcode": "9490"}
    assert len(cafe.address["full"]) == 255
    assert _place(session, "node", 51).address is None
    assert "Äulestrasse 12a" in cafe.search_text


def test_coverage_reimport_takes_osm_address_without_a_revision(session, tmp_path):
    cafe = {"name": "Café", "amenity": "cafe", "addr:street": "Alte Strasse", "addr:housenumber": "1"}
    import_file(session, _osm(tmp_path / "v1.osm", {1: cafe}))
    place = _place(session, "node", 1)
    summary = import_file(session, _osm(tmp_path / "v2.osm", {1: {**cafe, "addr:street": "Neue Strasse"}}))
    place = _place(session, "node", 1)
    assert place.address == {"street": "Neue Strasse", "housenumber": "1"}
    assert (place.version, summary.unchanged, summary.addresses_updated) == (1, 1, 1)
    summary = import_file(session, _osm(tmp_path / "v3.osm", {1: {"name": "Café", "amenity": "cafe"}}))
    assert _place(session, "node", 1).address is None and summary.addresses_updated == 1


# The three-way merge with a name on one side only.

def _name_locally(session, osm_id: int, name: str) -> None:
    submission = submit_correction(session, DEVICE, _place(session, "node", osm_id).id, {"name": name})
    moderation.approve(session, submission.id, make_user(session, role="moderator"))


def test_coverage_merge_a_volunteer_named_toilet_stays_named(session, tmp_path):
    toilet = {"amenity": "toilets"}
    import_file(session, _osm(tmp_path / "v1.osm", {1: toilet, 2: toilet}))
    _name_locally(session, 1, "WC am Rathaus")
    summary = import_file(session, _osm(tmp_path / "v2.osm", {1: toilet, 2: {**toilet, "name": "WC Post"}}))
    assert _place(session, "node", 1).name == "WC am Rathaus"  # OSM still unnamed: the local name stands
    assert _place(session, "node", 2).name == "WC Post"        # OSM named it, nobody else did: taken
    assert (summary.updated, summary.unchanged, summary.conflicts) == (1, 1, 0)


def test_coverage_merge_a_name_dropped_in_osm(session, tmp_path):
    named = {"amenity": "toilets", "name": "WC Bahnhof"}
    import_file(session, _osm(tmp_path / "v1.osm", {1: named, 2: named}))
    _name_locally(session, 2, "WC Bahnhof Nord")
    summary = import_file(session, _osm(tmp_path / "v2.osm", {1: {"amenity": "toilets"},
                                                              2: {"amenity": "toilets"}}))
    assert _place(session, "node", 1).name is None              # untouched locally: OSM's removal is taken
    assert _place(session, "node", 2).name == "WC Bahnhof Nord"  # renamed locally: kept, a conflict filed
    assert summary.conflicts == 1


if __name__ == "__main__":
    write_outcomes()
