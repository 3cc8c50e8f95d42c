"""Parsing of query-string and form parameters into the typed values and filters the queries take.

Each parser raises ValidationError naming the parameter, so a bad value answers 400 and never 500. The
queries only read: what a request asked for reaches them already checked, as a filter dataclass.
"""

import re
from datetime import UTC, datetime

from flask_babel import gettext as _

from app.errors import ValidationError
from app.models.audit import MODERATION_ACTIONS
from app.queries.export import PlaceFilters
from app.queries.moderation import LogFilters, QueueFilters
from geo.bbox import BBox, BBoxError, parse_bbox
from geo.categories import CATEGORY_KEYS
from geo.fields import SUBMISSION_KINDS
from geo.vocabulary import AGES, AUTHOR_TYPES, QUEUE_SORTS, WHEELCHAIR_VALUES

# PostgreSQL's integer, the type of every id and version column.
INT4_MAX = 2**31 - 1
# Name search: the length of the text searched for, and how many places one answer lists.
SEARCH_Q_MIN, SEARCH_Q_MAX = 2, 100
SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX = 10, 50
_WHOLE = re.compile(r"[+-]?[0-9]{1,18}", re.ASCII)


def bbox_param(args, name: str = "bbox", *, required: bool = False, max_span: float | None = None) -> BBox | None:
    raw = args.get(name)
    if raw is None or raw == "":
        if required:
            raise ValidationError(_("%(field)s is required: minLon,minLat,maxLon,maxLat.", field=name), name)
        return None
    try:
        return parse_bbox(raw, max_span=max_span)
    except BBoxError as error:
        raise ValidationError(bbox_error_message(error, max_span), name) from None


def bbox_error_message(error: BBoxError, max_span: float | None = None) -> str:
    """geo.bbox's reason in the request's language (geo/ knows no languages; its English words are the msgids)."""
    text = str(error)
    if text == "bbox must be four numbers: minLon,minLat,maxLon,maxLat":
        return _("bbox must be four numbers: minLon,minLat,maxLon,maxLat")
    if text == "bbox values must be finite numbers":
        return _("bbox values must be finite numbers")
    if text == "bbox longitudes must lie between -180 and 180":
        return _("bbox longitudes must lie between -180 and 180")
    if text == "bbox latitudes must lie between -90 and 90":
        return _("bbox latitudes must lie between -90 and 90")
    if text == "bbox minimum must not exceed its maximum (order: minLon,minLat,maxLon,maxLat)":
        return _("bbox minimum must not exceed its maximum (order: minLon,minLat,maxLon,maxLat)")
    if max_span is not None and text.startswith("bbox is too large"):
        return _("bbox is too large: at most %(span)s degrees on each side", span=f"{max_span:g}")
    return text


def choices_param(args, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """Values given as repeated parameters or comma-separated (wheelchair=yes,limited); empty means all."""
    values: list[str] = []
    for raw in args.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValidationError(_("%(field)s has unknown value '%(value)s'; use %(values)s.", field=name,
                                value=unknown[0], values=", ".join(allowed)), name)
    return tuple(dict.fromkeys(values))


def wheelchair_param(args, name: str = "wheelchair") -> tuple[str, ...]:
    return choices_param(args, name, WHEELCHAIR_VALUES)


def category_param(args, name: str = "category") -> tuple[str, ...]:
    return choices_param(args, name, CATEGORY_KEYS)


def whole_number(value, name: str, *, minimum: int = 1, maximum: int = INT4_MAX) -> int:
    """A whole number given as an int or as ASCII digits, within [minimum, maximum].

    Floats, booleans, other scripts' digits (int("٣") is 3 in Python) and values past PostgreSQL's integer
    are refused naming the field, so none of them reaches the database.
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValidationError(_("%(field)s must be a whole number.", field=name), name)
    if isinstance(value, str):
        if not _WHOLE.fullmatch(value.strip()):
            raise ValidationError(_("%(field)s must be a whole number, written with the digits 0-9.", field=name), name)
        value = int(value.strip())
    if value < minimum or value > maximum:
        raise ValidationError(_("%(field)s must be between %(minimum)s and %(maximum)s.", field=name, minimum=minimum,
                                maximum=maximum), name)
    return value


def point_param(args, name: str = "near") -> tuple[float, float]:
    """A required lon,lat pair (the volunteer's position)."""
    raw = args.get(name, "")
    try:
        lon, lat = (float(v) for v in raw.split(","))
    except ValueError:
        raise ValidationError(_("%(field)s is required: lon,lat.", field=name), name) from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError(_("%(field)s must be lon,lat within -180..180 and -90..90.", field=name), name)
    return lon, lat


def int_param(args, name: str, *, default: int, minimum: int = 1, maximum: int = INT4_MAX) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    return whole_number(raw, name, minimum=minimum, maximum=maximum)


def datetime_param(args, name: str) -> datetime | None:
    """An ISO 8601 date or date-time; a value without a zone is taken as UTC."""
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(_("%(field)s must be an ISO 8601 date or time, like 2024-05-01 or 2024-05-01T12:00:00Z.",
                                field=name), name) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def place_filters(args) -> PlaceFilters:
    """Which places a download or an OGC page asks for: bbox, wheelchair, category, updated_since."""
    return PlaceFilters(bbox=bbox_param(args), wheelchair=wheelchair_param(args), category=category_param(args),
                        updated_since=datetime_param(args, "updated_since"))


def queue_filters(args) -> QueueFilters:
    """The moderation queue's filters: kind, bbox, author type, age."""
    sort = args.get("sort") or "oldest"
    if sort not in QUEUE_SORTS:
        raise ValidationError(_("%(field)s must be one of %(values)s.", field="sort", values=", ".join(QUEUE_SORTS)),
                              "sort")
    return QueueFilters(kinds=choices_param(args, "kind", SUBMISSION_KINDS), bbox=bbox_param(args, "bbox"),
                        author_types=choices_param(args, "author", AUTHOR_TYPES),
                        ages=choices_param(args, "age", AGES), sort=sort)


def log_filters(args) -> LogFilters:
    """The audit log's filters: actor, action, since, until, and the `before` cursor."""
    return LogFilters(actor_id=int_param(args, "actor", default=0, minimum=0) or None,
                      actions=choices_param(args, "action", MODERATION_ACTIONS),
                      since=datetime_param(args, "since"), until=datetime_param(args, "until"),
                      before_id=int_param(args, "before", default=0, minimum=0) or None)
