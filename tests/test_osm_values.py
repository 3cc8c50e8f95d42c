"""OSM tags → StepFree values: categories, the accessibility vocabulary, unknown values and skipped objects."""

from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, Polygon
from sqlalchemy import select

from app.models import Place
from app.services.osm_import import import_file
from geo.categories import CATEGORY_KEYS
from geo.osm_geometry import GeometryError, way_point
from geo.osm_tags import CATEGORY_BY_KEY, CATEGORY_BY_TAG, category_for, normalise_choice, place_values
from geo.vocabulary import DESCRIPTION_MAX, TOILETS_VALUES, WHEELCHAIR_VALUES

DATA = Path(__file__).parent / "data" / "osm"


def test_category_table_maps_onto_existing_categories_only():
    assert set(CATEGORY_BY_TAG.values()) | set(CATEGORY_BY_KEY.values()) <= set(CATEGORY_KEYS)


@pytest.mark.parametrize("tags, category", [
    ({"amenity": "restaurant"}, "food"),
    ({"amenity": "school", "building": "yes"}, "education"),
    ({"shop": "coffee beans"}, "shopping"),
    ({"shop": "vacant"}, None),
    ({"healthcare": "physiotherapist"}, "health"),
    ({"highway": "bus_stop", "public_transport": "platform"}, "public_transport"),
    ({"highway": "residential"}, None),
    ({"amenity": "bench"}, None),
    ({"amenity": "bench", "shop": "bakery"}, "shopping"),
    ({"tourism": "hostel"}, "accommodation"),
    ({"amenity": " Cafe "}, "food"),
    ({"building": "yes"}, None),
])
def test_category_for_tags(tags, category):
    assert category_for(tags) == category


@pytest.mark.parametrize("raw, value, noted", [
    (None, "unknown", False),
    ("yes", "yes", False),
    ("limited", "limited", False),
    ("unknown", "unknown", False),
    ("designated", "yes", True),
    (" Yes", "yes", True),
    ("NO", "no", True),
    ("partial", "limited", True),
    ("yse", "unknown", True),
    ("yes;no", "unknown", True),
    ("", "unknown", True),
])
def test_normalise_wheelchair_values(raw, value, noted):
    result, note = normalise_choice(raw, WHEELCHAIR_VALUES, {"designated": "yes", "partial": "limited"},
                                    "wheelchair")
    assert result == value
    assert (note is not None) == noted


def test_toilets_limited_is_not_in_the_toilet_vocabulary():
    values = place_values({"name": "X", "amenity": "cafe", "toilets:wheelchair": "limited"})
    assert values.toilets_wheelchair == "unknown" and values.toilets_wheelchair in TOILETS_VALUES
    assert values.notes == ["toilets:wheelchair: unknown value 'limited'"]


def test_long_description_is_shortened_on_a_word_boundary():
    values = place_values({"name": "X", "amenity": "cafe", "wheelchair:description": "word " * 80})
    assert len(values.description) <= DESCRIPTION_MAX
    assert values.description.endswith("word…")


def test_way_point_lies_inside_an_l_shaped_building_where_the_centroid_does_not():
    outline = [(0, 0), (10, 0), (10, 1), (1, 1), (1, 10), (0, 10), (0, 0)]
    polygon = Polygon(outline)
    assert not polygon.contains(polygon.centroid)
    assert polygon.contains(Point(way_point(outline)))


def test_way_point_repairs_a_bow_tie_and_refuses_a_flat_ring():
    bow_tie = [(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)]
    assert shapely.make_valid(Polygon(bow_tie)).contains(Point(way_point(bow_tie)))
    with pytest.raises(GeometryError):
        way_point([(0, 0), (1, 1), (2, 2), (0, 0)])


def test_import_maps_unknown_values_and_counts_them(session):
    summary = import_file(session, DATA / "values.osm")
    places = {p.osm_id: p for p in session.scalars(select(Place).where(Place.source == "osm"))}
    assert set(places) == {31, 32, 33, 34, 35, 40}
    assert (places[31].wheelchair, places[31].toilets_wheelchair) == ("yes", "yes")
    assert (places[32].name, places[32].wheelchair, places[32].description) == \
        ("Sloppy Shop", "yes", "Ramp at the back door.")
    assert (places[33].wheelchair, places[33].toilets_wheelchair) == ("unknown", "unknown")
    assert places[34].wheelchair == "unknown"
    assert len(places[35].description) <= DESCRIPTION_MAX
    assert summary.value_notes["wheelchair: mapped 'designated' to 'yes'"] == 1
    assert summary.value_notes["wheelchair: unknown value 'yse'"] == 1
    assert summary.value_notes["wheelchair: unknown value 'yes;no'"] == 1
    assert summary.value_notes["toilets:wheelchair: unknown value 'limited'"] == 1


def test_import_skips_with_counted_reasons(session):
    summary = import_file(session, DATA / "values.osm")
    assert dict(summary.skipped) == {
        "no name": 1,                                  # n36, an unnamed restaurant
        "no StepFree category for its tags": 2,       # n37 fountain, n39 vacant shop
        "way has nodes missing from the file": 1,      # w41
        "node has no valid location": 1,               # n42, latitude 91.5
    }
    assert dict(summary.unmapped_tags) == {"amenity=fountain": 1, "shop=vacant": 1}
    # The named road n38 is not a place and not worth a line in the report; the open way w40 is placed on its line.
    assert summary.created == 6
