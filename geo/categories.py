"""StepFree's fixed place categories and the OpenStreetMap tag each one is written as.

Like WheelMap's node types: a short list a volunteer can choose from on a phone. Each category has one
canonical OSM tag (used when a volunteer adds a place) and the set of OSM tags that map to it on import.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    osm_tag: tuple[str, str]


CATEGORIES: tuple[Category, ...] = (
    Category("food", "Food and drink", ("amenity", "restaurant")),
    Category("shopping", "Shopping", ("shop", "yes")),
    Category("health", "Health", ("amenity", "pharmacy")),
    Category("education", "Education", ("amenity", "school")),
    Category("accommodation", "Accommodation", ("tourism", "hotel")),
    Category("leisure", "Leisure", ("leisure", "park")),
    Category("culture", "Culture", ("tourism", "museum")),
    Category("sport", "Sport", ("leisure", "sports_centre")),
    Category("public_transport", "Public transport", ("public_transport", "station")),
    Category("government", "Government and public services", ("amenity", "townhall")),
    Category("money_post", "Bank and post", ("amenity", "bank")),
    Category("toilets", "Public toilets", ("amenity", "toilets")),
    Category("religion", "Place of worship", ("amenity", "place_of_worship")),
    Category("parking", "Parking", ("amenity", "parking")),
    Category("other", "Other", ("amenity", "yes")),
)

CATEGORY_KEYS: tuple[str, ...] = tuple(c.key for c in CATEGORIES)
CATEGORY_BY_KEY: dict[str, Category] = {c.key: c for c in CATEGORIES}
