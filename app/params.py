"""Parsing of query-string parameters shared by the map API, the exports and the moderation queue.

Each parser raises ValidationError naming the parameter, so a bad value answers 400 and never 500.
"""

from datetime import datetime, timezone

from app.errors import ValidationError
from geo.bbox import BBox, BBoxError, parse_bbox
from geo.categories import CATEGORY_KEYS
from geo.vocabulary import WHEELCHAIR_VALUES


def bbox_param(args, name: str = "bbox", *, required: bool = False, max_span: float | None = None) -> BBox | None:
    raw = args.get(name)
    if raw is None or raw == "":
        if required:
            raise ValidationError(f"{name} is required: minLon,minLat,maxLon,maxLat.", name)
        return None
    try:
        return parse_bbox(raw, max_span=max_span)
    except BBoxError as error:
        raise ValidationError(str(error), name) from None


def choices_param(args, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """Values given as repeated parameters or comma-separated (wheelchair=yes,limited); empty means all."""
    values: list[str] = []
    for raw in args.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValidationError(f"{name} has unknown value '{unknown[0]}'; use {', '.join(allowed)}.", name)
    return tuple(dict.fromkeys(values))


def wheelchair_param(args, name: str = "wheelchair") -> tuple[str, ...]:
    return choices_param(args, name, WHEELCHAIR_VALUES)


def category_param(args, name: str = "category") -> tuple[str, ...]:
    return choices_param(args, name, CATEGORY_KEYS)


def int_param(args, name: str, *, default: int, minimum: int = 1, maximum: int | None = None) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"{name} must be a whole number.", name) from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ValidationError(f"{name} must be {bound}.", name)
    return value


def datetime_param(args, name: str) -> datetime | None:
    """An ISO 8601 date or date-time; a value without a zone is taken as UTC."""
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{name} must be an ISO 8601 date or time, like 2024-05-01 or "
                              "2024-05-01T12:00:00Z.", name) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
