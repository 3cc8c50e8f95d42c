"""StepFree's fixed place categories and the OpenStreetMap tag each one is written as.

Like WheelMap's node types: a short list a volunteer can choose from on a phone. Each category has one
canonical OSM tag (used when a volunteer adds a place) and the set of OSM tags that map to it on import.
"""

from dataclasses import dataclass

from geo.translatable import N_


@dataclass(frozen=True)
class Category:
    key: str
    label: str  # English, marked N_: translate where shown
    osm_tag: tuple[str, str]


CATEGORIES: tuple[Category, ...] = (
    Category("food", N_("Food and drink"), ("amenity", "restaurant")),
    Category("shopping", N_("Shopping"), ("shop", "yes")),
    Category("health", N_("Health"), ("amenity", "pharmacy")),
    Category("education", N_("Education"), ("amenity", "school")),
    Category("accommodation", N_("Accommodation"), ("tourism", "hotel")),
    Category("leisure", N_("Leisure"), ("leisure", "park")),
    Category("culture", N_("Culture"), ("tourism", "museum")),
    Category("sport", N_("Sport"), ("leisure", "sports_centre")),
    Category("public_transport", N_("Public transport"), ("public_transport", "station")),
    Category("government", N_("Government and public services"), ("amenity", "townhall")),
    Category("money_post", N_("Bank and post"), ("amenity", "bank")),
    Category("toilets", N_("Public toilets"), ("amenity", "toilets")),
    Category("religion", N_("Place of worship"), ("amenity", "place_of_worship")),
    Category("parking", N_("Parking"), ("amenity", "parking")),
    Category("elevator", N_("Elevator"), ("highway", "elevator")),
    Category("other", N_("Other"), ("amenity", "yes")),
)

CATEGORY_KEYS: tuple[str, ...] = tuple(c.key for c in CATEGORIES)
CATEGORY_BY_KEY: dict[str, Category] = {c.key: c for c in CATEGORIES}
