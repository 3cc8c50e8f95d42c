"""The A11yJSON profile of the export: a full feature's OSM-keyed properties as A11yJSON's `accessibility`.

A11yJSON (sozialhelden/a11yjson, the format of accessibility.cloud and WheelMap) names things in its own
words: PlaceInfo.properties.accessibility holds `entrances` (Entrance: isMainEntrance, isLevel, hasFixedRamp,
hasRemovableRamp, stairs, door), `restrooms` (Restroom: hasSupportRails, turningSpaceInside, entrance),
`parking` and `hasInductionLoop`; lengths are Quantities ({value, unit}). A11yJSON reads a missing field as
unknown, so an unknown value is left out, never written as null.
"""

from decimal import Decimal, InvalidOperation

from geo.vocabulary import TURNING_SPACE_CM

GRADES = {"yes": "fully", "limited": "partially", "no": "not"}


def centimetres(metres: str | None) -> int | None:
    """A length as the features write it (metres, "0.9") in whole centimetres; None when unknown."""
    if metres is None:
        return None
    try:
        return int((Decimal(metres) * 100).to_integral_value())
    except (InvalidOperation, ValueError):
        return None


def _length(cm: int) -> dict:
    return {"value": cm, "unit": "cm"}


def _known(**values) -> dict:
    return {k: v for k, v in values.items() if v is not None and v != {}}


def _yes(value: str | None) -> bool | None:
    return None if value is None else value == "yes"


def _main_entrance(p: dict) -> dict:
    steps, height = p.get("step_count"), centimetres(p.get("step:height"))
    ramp = p.get("ramp:wheelchair")
    width = centimetres(p.get("door:width"))
    return _known(
        isLevel=None if steps is None else steps == 0,
        hasFixedRamp=None if ramp is None else ramp == "yes",
        hasRemovableRamp=True if ramp == "portable" else (False if ramp == "no" else None),
        stairs=_known(count=steps, stepHeight=None if height is None else _length(height)),
        door=_known(width=None if width is None else _length(width), isAutomatic=_yes(p.get("automatic_door"))),
    )


def _entrances(p: dict) -> list[dict]:
    entrances = []
    main = _main_entrance(p)
    if main:
        entrances.append({"isMainEntrance": True, **main})
    if p.get("entrance:step_free") == "yes":
        where = p.get("entrance:step_free:description")
        entrances.append({"isMainEntrance": False, "isLevel": True, **({"name": {"en": where}} if where else {})})
    return entrances


def _restrooms(p: dict) -> list[dict]:
    width = centimetres(p.get("toilets:door:width"))
    restroom = _known(
        hasSupportRails=_yes(p.get("toilets:grab_rails")),
        turningSpaceInside=_length(TURNING_SPACE_CM) if p.get("toilets:turning_space") == "yes" else None,
        entrance=None if width is None else {"door": {"width": _length(width)}},
    )
    # A "no" for turning space says something even though A11yJSON's Length cannot: keep the restroom.
    return [restroom] if restroom or p.get("toilets:turning_space") == "no" else []


def accessibility(p: dict) -> dict:
    """A11yJSON's Accessibility object for a feature's properties (OSM keys, lengths in metres)."""
    result: dict = {}
    if p.get("wheelchair") in GRADES:
        result["wheelchairAccessibilityGrade"] = GRADES[p["wheelchair"]]
    entrances = _entrances(p)
    if entrances:
        result["entrances"] = entrances
    restrooms = _restrooms(p)
    if restrooms:
        result["restrooms"] = restrooms
    parking = p.get("capacity:disabled")
    if parking is not None:
        result["parking"] = {"forWheelchairUsers": {"count": 1} if parking == "yes" else None}
    if p.get("hearing_loop") is not None:
        result["hasInductionLoop"] = p["hearing_loop"] in ("yes", "limited")
    return result


def feature(full: dict) -> dict:
    """A full feature (app/queries/features.py) in the A11yJSON profile: name, category and accessibility. An
    unnamed place (a toilet from OSM) has no name: A11yJSON's name is optional, never null."""
    p = full["properties"]
    named = {"name": p["name"]} if p["name"] else {}
    return {"type": "Feature", "id": full["id"], "geometry": full["geometry"],
            "properties": {**named, "category": p["category"], "accessibility": accessibility(p)}}
