"""OpenStreetMap tags → StepFree place values: the category table and the accessibility vocabulary.

Like WheelMap's node types, a place is something a person visits: an OSM object becomes a StepFree place when
it has one of the tags below and a name. Kinds that rarely have a name in OSM and matter most to wheelchair users
(toilets, elevators, parking, platforms and stops) are places without one.

Accessibility values outside StepFree's vocabulary never stop an import: well-known synonyms are mapped
(e.g. `designated` → `yes`), anything else becomes `unknown` and is reported, so the person running the import
can see what the data holds.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from geo.fields import DETAIL_FIELDS, FIELDS
from geo.vocabulary import DESCRIPTION_MAX, TOILETS_VALUES, WHEELCHAIR_VALUES

NAME_MAX = 200

# Keys are tried in this order, so `amenity=school` on a building wins over a generic `office=*` on it.
CATEGORY_KEYS_ORDER = ("amenity", "shop", "healthcare", "tourism", "leisure", "public_transport", "railway",
                       "highway", "aerialway", "aeroway", "office", "craft", "historic", "natural")

# (key, value) → StepFree category key (geo.categories.CATEGORY_KEYS).
CATEGORY_BY_TAG: dict[tuple[str, str], str] = {
    **{("amenity", v): "food" for v in (
        "restaurant", "cafe", "fast_food", "bar", "pub", "biergarten", "food_court", "ice_cream")},
    **{("amenity", v): "health" for v in (
        "pharmacy", "hospital", "clinic", "doctors", "dentist", "veterinary", "nursing_home")},
    **{("amenity", v): "education" for v in (
        "school", "kindergarten", "preschool", "childcare", "college", "university", "library",
        "music_school", "language_school", "driving_school")},
    **{("amenity", v): "culture" for v in (
        "theatre", "cinema", "arts_centre", "community_centre", "social_centre", "events_venue")},
    **{("amenity", v): "leisure" for v in ("nightclub", "casino")},
    **{("amenity", v): "sport" for v in ("gym", "swimming_pool")},
    **{("amenity", v): "government" for v in (
        "townhall", "courthouse", "police", "fire_station", "public_building", "embassy", "social_facility")},
    **{("amenity", v): "money_post" for v in ("bank", "atm", "bureau_de_change", "post_office")},
    ("amenity", "toilets"): "toilets",
    ("amenity", "place_of_worship"): "religion",
    **{("amenity", v): "parking" for v in ("parking", "car_sharing")},
    **{("amenity", v): "public_transport" for v in ("bus_station", "ferry_terminal", "taxi")},
    **{("amenity", v): "shopping" for v in ("marketplace",)},
    **{("amenity", v): "other" for v in ("fuel", "car_wash", "car_rental", "bicycle_rental", "shop")},
    **{("tourism", v): "accommodation" for v in (
        "hotel", "hostel", "guest_house", "motel", "apartment", "chalet", "camp_site", "caravan_site",
        "alpine_hut", "bed_and_breakfast")},
    **{("tourism", v): "culture" for v in ("museum", "gallery", "artwork")},
    **{("tourism", v): "leisure" for v in ("zoo", "theme_park", "attraction", "aquarium", "viewpoint")},
    ("tourism", "information"): "other",
    **{("leisure", v): "leisure" for v in (
        "park", "playground", "garden", "water_park", "miniature_golf", "marina", "dance", "amusement_arcade",
        "beach_resort", "sauna")},
    **{("leisure", v): "sport" for v in (
        "sports_centre", "stadium", "pitch", "swimming_pool", "fitness_centre", "ice_rink", "golf_course",
        "track", "sports_hall", "bowling_alley", "climbing")},
    **{("public_transport", v): "public_transport" for v in ("station", "platform")},
    **{("railway", v): "public_transport" for v in ("station", "halt", "tram_stop", "platform", "subway_entrance")},
    **{("highway", v): "public_transport" for v in ("bus_stop", "platform")},
    ("highway", "elevator"): "elevator",
    ("aerialway", "station"): "public_transport",
    ("aeroway", "terminal"): "public_transport",
    **{("office", v): "government" for v in ("government", "employment_agency")},
    **{("historic", v): "culture" for v in ("castle", "museum", "memorial", "archaeological_site")},
    ("natural", "beach"): "leisure",
}

# For these keys only the values in CATEGORY_BY_TAG make a candidate: a named road, a peak or a stop position
# (the spot on the road where the bus halts, beside its platform) is not a place, nor worth a line in the report.
INFRASTRUCTURE_KEYS = frozenset({"highway", "railway", "aerialway", "aeroway", "public_transport", "natural"})

# Objects of these kinds are places even without a name (pages label them by their category): OSM rarely names
# a toilet, an elevator, a car park or a bus platform, and they are what a wheelchair user looks for first.
UNNAMED_KINDS = frozenset({
    ("amenity", "toilets"), ("highway", "elevator"), ("amenity", "parking"), ("public_transport", "platform"),
    ("highway", "platform"), ("railway", "platform"), ("highway", "bus_stop"), ("railway", "tram_stop"),
})

ADDRESS_PREFIX = "addr:"
ADDRESS_KEY = re.compile(r"[a-z0-9_:]+")
ADDRESS_VALUE_MAX = 255

# Any value of these keys is a place of that category (except the values that say there is none).
CATEGORY_BY_KEY: dict[str, str] = {"shop": "shopping", "healthcare": "health", "office": "other", "craft": "other"}
NOT_A_PLACE_VALUES = frozenset({"no", "none", "vacant", "disused", "closed", "abandoned"})

# Synonyms found in real data, mapped onto the vocabulary; anything else is counted and becomes unknown.
WHEELCHAIR_SYNONYMS = {"designated": "yes", "true": "yes", "partial": "limited", "partially": "limited",
                       "false": "no"}
TOILETS_SYNONYMS = {"designated": "yes", "true": "yes", "false": "no"}


@dataclass(slots=True)
class OsmPlaceValues:
    """The StepFree values one OSM object carries, and notes on what had to be mapped or dropped (slots: an import
    holds a few chunks of them at a time, and their memory is the import's)."""

    name: str | None
    category: str | None
    wheelchair: str
    toilets_wheelchair: str
    description: str | None
    # Whether the object carries a wheelchair tag at all: `unknown` from no tag differs from an unknown value.
    wheelchair_tagged: bool = False
    # Whether its kind is a place even without a name (UNNAMED_KINDS).
    unnamed_kind: bool = False
    # Its addr:* tags without the prefix ({"street": ..., "housenumber": ...}), None when it has none.
    address: dict[str, str] | None = None
    notes: list[str] = field(default_factory=list)
    # The details (geo.fields.DETAIL_FIELDS), None where OSM says nothing StepFree can read.
    step_count: int | None = None
    step_height: int | None = None
    ramp: str | None = None
    door_width: int | None = None
    automatic_door: str | None = None
    step_free_entrance: str | None = None
    step_free_entrance_where: str | None = None
    toilets_grab_rails: str | None = None
    toilets_turning_space: str | None = None
    toilets_door_width: int | None = None
    parking_disabled: str | None = None
    hearing_loop: str | None = None
    # Detail values left out because they could not be read: "key: why", counted by the import's summary.
    skipped_values: list[str] = field(default_factory=list)


def _kind(tags: Mapping[str, str]) -> tuple[tuple[str, str], str] | None:
    """The (key, value) that makes the tags a place, and its StepFree category; None if none does."""
    for key in CATEGORY_KEYS_ORDER:
        value = tags.get(key)
        if not value:
            continue
        value = value.strip().lower()
        category = CATEGORY_BY_TAG.get((key, value))
        if category is None and key in CATEGORY_BY_KEY and value not in NOT_A_PLACE_VALUES:
            category = CATEGORY_BY_KEY[key]
        if category is not None:
            return (key, value), category
    return None


def category_for(tags: Mapping[str, str]) -> str | None:
    """The StepFree category of an OSM object's tags, or None if StepFree does not show such objects."""
    kind = _kind(tags)
    return kind[1] if kind else None


def address_for(tags: Mapping[str, str]) -> dict[str, str] | None:
    """The addr:* tags without the prefix, trimmed and shortened; None when there are none.

    Keys outside lower-case letters, digits, `_` and `:` are left out: they are typos or foreign scripts in
    the key, never a part of the address search reads.
    """
    address = {}
    # pyosmium's TagList is no Mapping: iterating it yields (key, value) tags.
    for key, raw in tags.items() if isinstance(tags, Mapping) else tags:
        if not key.startswith(ADDRESS_PREFIX):
            continue
        part = key[len(ADDRESS_PREFIX):]
        value = _clean_text(raw)
        if ADDRESS_KEY.fullmatch(part) and value:
            address[part] = _truncate(value, ADDRESS_VALUE_MAX)
    return address or None


def unmapped_tag(tags: Mapping[str, str]) -> str | None:
    """The first `key=value` that could make a place but maps to no category (None: not a candidate at all)."""
    for key in CATEGORY_KEYS_ORDER:
        value = tags.get(key)
        if value and key not in INFRASTRUCTURE_KEYS:
            return f"{key}={value}"
    return None


def _clean_text(value: str | None) -> str:
    # str.split() splits on the same Unicode whitespace as re's \s, and drops it at both ends: one run of it
    # becomes one space, as re.sub(r"\s+", " ", value).strip() would make it, at a fraction of the cost.
    return " ".join(value.split()) if value else ""


def normalise_choice(raw: str | None, allowed: tuple[str, ...], synonyms: dict[str, str],
                     key: str) -> tuple[str, str | None]:
    """Map one OSM value onto the vocabulary: (value, note) where note names any mapping or unknown value."""
    if raw is None:
        return "unknown", None
    value = _clean_text(raw).lower()
    if value in allowed:
        return value, None if value == raw else f"{key}: normalised {raw!r}"
    if value in synonyms:
        return synonyms[value], f"{key}: mapped {value!r} to {synonyms[value]!r}"
    return "unknown", f"{key}: unknown value {raw!r}"


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip() + "…"


DETAIL_SYNONYMS = {"true": "yes", "false": "no"}
# A length as OSM writes it: metres by default ("0.9", "0.9 m") or centimetres ("90 cm"); feet ("3'") are refused.
LENGTH = re.compile(r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>m|cm)?")


def length_cm(raw: str) -> int | None:
    """An OSM length in whole centimetres, or None if it is not written in metres or centimetres."""
    match = LENGTH.fullmatch(_clean_text(raw).lower())
    if match is None:
        return None
    number = float(match["number"])
    return round(number if match["unit"] == "cm" else number * 100)


def detail_value(key: str, raw: str) -> tuple[object, str | None]:
    """One detail from its OSM tag's value: (value, None), or (None, why) when it cannot be read."""
    f = FIELDS[key]
    value = _clean_text(raw)
    if f.type == "text":
        return (_truncate(value, f.max_length) if value else None), None
    if f.type == "choice":
        value = DETAIL_SYNONYMS.get(value.lower(), value.lower())
        return (value, None) if value in f.choices else (None, f"not one of {', '.join(f.choices)}")
    number = int(value) if f.type == "count" and value.isascii() and value.isdecimal() else None
    if f.type == "centimetres":
        number = length_cm(value)
    if number is None:
        return None, "not a whole number" if f.type == "count" else "not a length in m or cm"
    if not f.minimum <= number <= f.maximum:
        return None, f"outside {f.minimum} to {f.maximum}" + (" cm" if f.type == "centimetres" else "")
    return number, None


# The OSM key of each detail field, looked up once: place_values runs for every candidate object of a file.
DETAIL_OSM_KEYS = {FIELDS[key].osm_key: key for key in DETAIL_FIELDS}
# Details are read in DETAIL_FIELDS order, so an object's notes come in the same order whatever its tags' order.
DETAIL_ORDER = {osm_key: number for number, osm_key in enumerate(DETAIL_OSM_KEYS)}


def _details(tags: Mapping[str, str], values: OsmPlaceValues) -> None:
    # Most objects carry no detail tag at all: one set operation finds those they do carry.
    for osm_key in sorted(tags.keys() & DETAIL_OSM_KEYS.keys(), key=DETAIL_ORDER.__getitem__):
        key, raw = DETAIL_OSM_KEYS[osm_key], tags[osm_key]
        value, why = detail_value(key, raw)
        setattr(values, key, value)
        if why is not None:
            values.skipped_values.append(f"{osm_key}: {why}")
            values.notes.append(f"{osm_key}: skipped {raw!r} ({why})")


def place_values(tags: Mapping[str, str]) -> OsmPlaceValues:
    """Read name, category and accessibility from an OSM object's tags.

    Give a dict where the tags come from pyosmium: a TagList's lookups and iteration cost far more than a dict's.
    """
    notes: list[str] = []
    name = _clean_text(tags.get("name")) or None
    if name and len(name) > NAME_MAX:
        name = _truncate(name, NAME_MAX)
        notes.append("name: shortened to 200 characters")
    wheelchair, note = normalise_choice(tags.get("wheelchair"), WHEELCHAIR_VALUES, WHEELCHAIR_SYNONYMS,
                                        "wheelchair")
    if note:
        notes.append(note)
    toilets, note = normalise_choice(tags.get("toilets:wheelchair"), TOILETS_VALUES, TOILETS_SYNONYMS,
                                     "toilets:wheelchair")
    if note:
        notes.append(note)
    description = _clean_text(tags.get("wheelchair:description")) or None
    if description and len(description) > DESCRIPTION_MAX:
        description = _truncate(description, DESCRIPTION_MAX)
        notes.append(f"wheelchair:description: shortened to {DESCRIPTION_MAX} characters")
    kind = _kind(tags)
    values = OsmPlaceValues(name=name, category=kind[1] if kind else None, wheelchair=wheelchair,
                            toilets_wheelchair=toilets, description=description,
                            wheelchair_tagged=tags.get("wheelchair") is not None,
                            unnamed_kind=kind is not None and kind[0] in UNNAMED_KINDS, address=address_for(tags),
                            notes=notes)
    _details(tags, values)
    return values
