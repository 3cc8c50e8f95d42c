"""Validation of what volunteers send: every bad field raises ValidationError naming it (DESIGN.md invariant 5)."""

import math

from app.errors import ValidationError
from app.params import whole_number
from geo.categories import CATEGORY_KEYS
from geo.vocabulary import DESCRIPTION_MAX, TOILETS_VALUES, WHEELCHAIR_VALUES

NAME_MAX = 200
REPORT_PROBLEMS = ("wrong_location", "closed", "wrong_status", "offensive", "other")
REPORT_NOTE_MAX = 500


def _text(values: dict, field: str, max_len: int, *, required: bool = False) -> str | None:
    value = values.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(f"{field} is required.", field)
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text.", field)
    value = value.strip()
    if len(value) > max_len:
        raise ValidationError(f"{field} may have at most {max_len} characters (it has {len(value)}).", field)
    return value


def _choice(values: dict, field: str, allowed: tuple[str, ...], *, required: bool = False) -> str | None:
    value = values.get(field)
    if value is None or value == "":
        if required:
            raise ValidationError(f"{field} is required: one of {', '.join(allowed)}.", field)
        return None
    if value not in allowed:
        raise ValidationError(f"{field} must be one of {', '.join(allowed)}.", field)
    return value


def coordinates(values: dict) -> tuple[float, float]:
    """The lon/lat of `values` as floats within WGS 84 range."""
    result = []
    for field, limit in (("lon", 180), ("lat", 90)):
        raw = values.get(field)
        if raw is None or raw == "" or isinstance(raw, bool):
            raise ValidationError(f"{field} is required.", field)
        try:
            number = float(raw)
        except (TypeError, ValueError, OverflowError):
            raise ValidationError(f"{field} must be a number.", field) from None
        if not math.isfinite(number) or abs(number) > limit:
            raise ValidationError(f"{field} must lie between -{limit} and {limit}.", field)
        result.append(number)
    return result[0], result[1]


def status_values(values: dict) -> dict:
    """Wheelchair, toilet and description of a status submission; at least one must be given."""
    cleaned = {
        "wheelchair": _choice(values, "wheelchair", WHEELCHAIR_VALUES),
        "toilets_wheelchair": _choice(values, "toilets_wheelchair", TOILETS_VALUES),
        "description": _text(values, "description", DESCRIPTION_MAX),
    }
    cleaned = {k: v for k, v in cleaned.items() if v is not None}
    if not cleaned:
        raise ValidationError("Send at least one of wheelchair, toilets_wheelchair or description.", "wheelchair")
    return cleaned


def new_place_values(values: dict) -> dict:
    lon, lat = coordinates(values)
    cleaned = {
        "name": _text(values, "name", NAME_MAX, required=True),
        "category": _choice(values, "category", CATEGORY_KEYS, required=True),
        "wheelchair": _choice(values, "wheelchair", WHEELCHAIR_VALUES, required=True),
        "toilets_wheelchair": _choice(values, "toilets_wheelchair", TOILETS_VALUES) or "unknown",
        "description": _text(values, "description", DESCRIPTION_MAX),
        "lon": round(lon, 7), "lat": round(lat, 7),
    }
    return cleaned


def report_values(values: dict) -> dict:
    return {
        "problem": _choice(values, "problem", REPORT_PROBLEMS, required=True),
        "note": _text(values, "note", REPORT_NOTE_MAX),
    }


def correction_values(values: dict) -> dict:
    """A correction: any of a new name, category, location, or that the place is closed/gone."""
    cleaned = {
        "name": _text(values, "name", NAME_MAX),
        "category": _choice(values, "category", CATEGORY_KEYS),
    }
    if values.get("lon") is not None or values.get("lat") is not None:
        lon, lat = coordinates(values)
        cleaned["lon"], cleaned["lat"] = round(lon, 7), round(lat, 7)
    if "gone" in values:
        if not isinstance(values["gone"], bool):
            raise ValidationError("gone must be true or false.", "gone")
        cleaned["gone"] = values["gone"]
    cleaned = {k: v for k, v in cleaned.items() if v is not None}
    if not cleaned:
        raise ValidationError("Send at least one of name, category, lon/lat or gone.", "name")
    return cleaned


def base_version(value) -> int | None:
    if value is None or value == "":
        return None
    return whole_number(value, "base_version")
