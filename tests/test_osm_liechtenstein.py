"""Importing the real Liechtenstein extract (../shared/data/osm): counts, idempotence, points inside areas.

The data README counts every object with a wheelchair tag: nodes 37 yes, 7 limited, 5 no, 1 unknown;
ways 7 yes, 3 limited, 9 no. StepFree imports places only: objects with a category it knows and a name (or of
a kind that needs none: toilets, elevators, parking, platforms and stops). The deliberate differences, object by
object, are in EXCLUDED below; tests/test_osm_coverage.py has the outcome of every candidate object.
"""

import os
from pathlib import Path

import osmium
import pytest
import shapely
from shapely.geometry import Point
from sqlalchemy import func, select

from app.models import Place, Revision
from app.services.osm_import import import_file

README_COUNTS = {("node", "yes"): 37, ("node", "limited"): 7, ("node", "no"): 5, ("node", "unknown"): 1,
                 ("way", "yes"): 7, ("way", "limited"): 3, ("way", "no"): 9}
# Wheelchair-tagged objects StepFree does not import, and why.
EXCLUDED = {
    ("node", 5069): ("yes", "post office without a name"),
    ("node", 8177): ("yes", "zoo without a name"),
    ("node", 22540): ("yes", "ATM without a name"),
    ("node", 58241): ("yes", "ATM without a name"),
    ("node", 10082): ("limited", "fuel station without a name"),
    ("node", 64071): ("no", "fast food without a name"),
    ("way", 661): ("limited", "place of worship without a name"),
    **{("way", i): ("no", "a path or track, not a place") for i in (1636, 1637, 1855, 1888, 2659, 2673, 2684,
                                                                   6526, 6536)},
}


def extract_path() -> Path:
    """The shared Liechtenstein extract; STEPFREE_SHARED_DIR overrides where shared/ is."""
    shared = Path(os.environ.get("STEPFREE_SHARED_DIR") or Path(__file__).resolve().parents[1] / ".." / "shared")
    path = shared / "data" / "osm" / "liechtenstein-2013-08-03.osm.pbf"
    if not path.is_file():
        pytest.fail(f"{path} is missing: put the shared data next to the repository (../shared) or set "
                    "STEPFREE_SHARED_DIR to the directory that holds data/osm/.")
    return path


@pytest.fixture
def imported(session):
    return import_file(session, extract_path())


def test_liechtenstein_counts_by_status_match_the_readme_minus_exclusions(session, imported):
    expected = dict(README_COUNTS)
    for (osm_type, _), (status, _) in EXCLUDED.items():
        expected[(osm_type, status)] -= 1
    rows = session.execute(select(Place.osm_type, Place.wheelchair, func.count()).where(
        Place.source == "osm", Place.wheelchair != "unknown").group_by(Place.osm_type, Place.wheelchair))
    counted = {(t, w): n for t, w, n in rows}
    assert counted == {k: v for k, v in expected.items() if v and k[1] != "unknown"}
    # The one node tagged wheelchair=unknown is imported; in the database it looks like every untagged place.
    assert imported.by_status["nodes: unknown"] == expected[("node", "unknown")] == 1
    assert imported.by_status["ways: no"] == 0


def test_liechtenstein_excluded_objects_are_not_places(session, imported):
    keys = set(session.execute(select(Place.osm_type, Place.osm_id).where(Place.source == "osm")).tuples())
    assert keys.isdisjoint(EXCLUDED)


def test_liechtenstein_second_import_reports_everything_unchanged(session, imported):
    revisions = session.scalar(select(func.count()).select_from(Revision))
    again = import_file(session, extract_path())
    assert (again.created, again.updated, again.conflicts, again.gone) == (0, 0, 0, 0)
    assert again.unchanged == imported.created == imported.places
    assert session.scalar(select(func.count()).select_from(Revision)) == revisions


def test_liechtenstein_areas_become_points_inside_their_polygons(session, imported):
    polygons = {}
    wkb = osmium.geom.WKBFactory()
    for obj in osmium.FileProcessor(str(extract_path())).with_areas():
        if obj.type_str() == "a":
            key = ("way" if obj.from_way() else "relation", obj.orig_id())
            polygons[key] = shapely.from_wkb(wkb.create_multipolygon(obj))
    places = session.execute(select(Place.osm_type, Place.osm_id, func.ST_X(Place.geom), func.ST_Y(Place.geom))
                             .where(Place.source == "osm", Place.osm_type != "node")).all()
    areas = [(t, i, x, y) for t, i, x, y in places if (t, i) in polygons]
    assert len(areas) >= 70 and any(t == "relation" for t, *_ in areas)
    outside = [(t, i) for t, i, x, y in areas if not polygons[(t, i)].contains(Point(x, y))]
    assert outside == []
    # The others are open ways (platforms along the kerb), placed on their line: see test_osm_coverage.py.
    assert all(t == "way" for t, *_ in set(places) - set(areas))


def test_liechtenstein_multipolygon_relation_becomes_a_place(session, imported):
    castle = session.scalars(select(Place).where(Place.osm_type == "relation", Place.osm_id == 52)).one()
    assert (castle.name, castle.category) == ("Schloss Vaduz", "culture")
