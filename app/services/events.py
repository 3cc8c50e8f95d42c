"""Mapping events: create and edit them from the organisers' form, and join one.

The form's raw values are cleaned here, every field at once, so the organiser sees all that is wrong in one
answer (InvalidEvent names each field). The area arrives either as GeoJSON drawn on the map or as a typed
bounding box (the keyboard and no-JavaScript way); either must be a valid polygon no larger than
MAX_AREA_KM2, so one event cannot ask for progress over a whole country.
"""

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import shapely
from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from geoalchemy2 import Geography
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Polygon, box, shape
from shapely.validation import explain_validity
from sqlalchemy import cast, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import AppError, Conflict, Forbidden, ValidationError
from app.models import EventParticipant, MappingEvent, User
from app.params import bbox_error_message, whole_number
from geo.bbox import BBoxError, parse_bbox

# Large enough for a city and its suburbs; an event over a whole region has no reachable goal.
MAX_AREA_KM2 = 2500
# A hand-drawn area has a handful of corners; this bounds the work of validating a pasted one.
MAX_CORNERS = 1000
NAME_MAX, DESCRIPTION_MAX, SLUG_MAX = 120, 1000, 64
GOAL_DEFAULT = 80
# The same rule as the table's CHECK; "new" would be shadowed by the page that creates events.
SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")
RESERVED_SLUGS = frozenset({"new"})
TIME_ZONE_REGIONS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/",
                     "Indian/", "Pacific/")


class InvalidEvent(AppError):
    """Every bad field of an event form, by field; the message and field of the error are the first one's."""

    status = 400
    code = "invalid"

    def __init__(self, errors: dict[str, str], *, status: int | None = None, code: str | None = None):
        field, message = next(iter(errors.items()))
        super().__init__(message, field, status=status, code=code)
        self.errors = errors


@dataclass(frozen=True)
class EventValues:
    """An event's fields, cleaned and ready to store."""

    name: str
    slug: str
    description: str | None
    starts_at: datetime
    ends_at: datetime
    goal_known_pct: int
    area: MultiPolygon


@cache
def time_zones() -> tuple[str, ...]:
    """The time zones the form offers: UTC, then the IANA zones of places, by name."""
    return ("UTC", *sorted(z for z in available_timezones() if z.startswith(TIME_ZONE_REGIONS)))


def slug_from(name: str) -> str:
    """A web address for `name`: ASCII letters and digits joined by hyphens ("Café Día" → "cafe-dia")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:SLUG_MAX].rstrip("-")


def may_edit(user, event: MappingEvent) -> bool:
    """Moderators and admins may edit any event; an organiser the events they created."""
    if not user.is_authenticated or user.is_banned:
        return False
    return user.is_moderator or (user.may_organise and event.created_by_id == user.id)


def create_event(session: Session, organiser: User, form: Mapping[str, str]) -> MappingEvent:
    """Store a new event from the form's values; 400 naming each bad field, 409 when the slug is taken."""
    if not organiser.may_organise or organiser.is_banned:
        raise Forbidden(_("Only organisers, moderators and admins can create mapping events."))
    values = clean(session, form)
    event = MappingEvent(created_by_id=organiser.id, **_columns(values))
    _store(session, event)
    return event


def update_event(session: Session, editor: User, event: MappingEvent, form: Mapping[str, str]) -> MappingEvent:
    """Change an event's name, description, dates, goal and area; its slug stays, as printed QR codes use it."""
    if not may_edit(editor, event):
        raise Forbidden(_("Only the organiser who created this event, or a moderator, can edit it."))
    values = clean(session, form, slug=event.slug)
    for key, value in _columns(values).items():
        setattr(event, key, value)
    _store(session, event)
    return event


def join_event(session: Session, event: MappingEvent, *, user: User | None, device_hash: str | None,
               now: datetime) -> bool:
    """Add the account, or else the anonymous device, to the event's participants; True if newly joined.

    Joining twice changes nothing (the partial unique indexes decide, so two taps at once are safe too).
    """
    if now >= event.ends_at:
        raise Conflict(_("This event has ended; it takes no more participants."), "event", code="event_ended")
    if user is None and device_hash is None:
        raise ValidationError(_("Joining needs an account or this browser's device cookie."), "device")
    statement = (insert(EventParticipant)
                 .values(event_id=event.id, user_id=user.id if user else None,
                         device_hash=None if user else device_hash)
                 .on_conflict_do_nothing())
    return session.execute(statement).rowcount == 1


def clean(session: Session, form: Mapping[str, str], *, slug: str | None = None) -> EventValues:
    """The form's values checked field by field; InvalidEvent lists every field that is wrong.

    `slug` is the event's fixed slug when editing; when creating, the form's slug, or one made from the name.
    """
    errors: dict[str, str] = {}

    def check(field: str, parse, *args, **kwargs):
        try:
            return parse(*args, **kwargs)
        except ValidationError as error:
            errors[error.field or field] = error.message
            return None

    name = check("name", _name, form.get("name", ""))
    if slug is None and (name or form.get("slug", "").strip()):
        slug = check("slug", _slug, form.get("slug", ""), name or "")
    description = check("description", _description, form.get("description", ""))
    zone = check("time_zone", _zone, form.get("time_zone", "UTC"))
    starts_at = check("starts_at", _moment, form.get("starts_at", ""), zone, "starts_at")
    ends_at = check("ends_at", _moment, form.get("ends_at", ""), zone, "ends_at")
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = _("The end must be after the start.")
    goal = check("goal", whole_number, form.get("goal", "").strip() or GOAL_DEFAULT, "goal", minimum=1, maximum=100)
    area = check("area", _area, session, form.get("area", ""), form.get("bbox", ""))
    if errors:
        raise InvalidEvent(errors)
    return EventValues(name, slug, description, starts_at, ends_at, goal, area)


def _columns(values: EventValues) -> dict:
    return {"name": values.name, "slug": values.slug, "description": values.description,
            "starts_at": values.starts_at, "ends_at": values.ends_at, "goal_known_pct": values.goal_known_pct,
            "area": from_shape(values.area, srid=4326)}


def _slug_taken(slug: str) -> InvalidEvent:
    return InvalidEvent({"slug": _("The web address “%(slug)s” is already taken by another event; choose another.",
                                   slug=slug)}, status=409, code="slug_taken")


def _store(session: Session, event: MappingEvent) -> None:
    # The existence check gives the common case a clear answer; the savepoint turns a slug taken between the
    # check and the insert (two organisers at once) into the same 409, not a 500.
    clash = select(MappingEvent.id).where(MappingEvent.slug == event.slug, MappingEvent.id.is_distinct_from(event.id))
    if session.scalar(clash) is not None:
        raise _slug_taken(event.slug)
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:
        raise _slug_taken(event.slug) from None


def _name(raw: str) -> str:
    name = raw.strip()
    if not name:
        raise ValidationError(_("Give the event a name."), "name")
    if len(name) > NAME_MAX:
        raise ValidationError(ngettext("The name may have at most %(num)s character (it has %(length)s).",
                                       "The name may have at most %(num)s characters (it has %(length)s).", NAME_MAX,
                                       length=len(name)), "name")
    return name


def _slug(raw: str, name: str) -> str:
    typed = raw.strip().lower()
    slug = typed or slug_from(name)
    if not typed and not slug:
        raise ValidationError(_("The name gives no web address: type one of letters a–z, digits and hyphens."),
                              "slug")
    if not SLUG_PATTERN.fullmatch(slug):
        raise ValidationError(_("The web address “%(slug)s” must be 2 to %(max)s of the letters a–z, digits and "
                                "hyphens, starting with a letter or digit.", slug=slug, max=SLUG_MAX), "slug")
    if slug in RESERVED_SLUGS:
        raise ValidationError(_("The web address “%(slug)s” is reserved; choose another.", slug=slug), "slug")
    return slug


def _description(raw: str) -> str | None:
    description = raw.strip()
    if len(description) > DESCRIPTION_MAX:
        raise ValidationError(ngettext("The description may have at most %(num)s character (it has %(length)s).",
                                       "The description may have at most %(num)s characters (it has %(length)s).",
                                       DESCRIPTION_MAX, length=len(description)), "description")
    return description or None


def _zone(raw: str) -> ZoneInfo:
    if raw not in time_zones():
        raise ValidationError(_("Choose the time zone from the list."), "time_zone")
    return ZoneInfo(raw)


def _moment(raw: str, zone: ZoneInfo | None, field: str) -> datetime:
    """A date and time as the form's datetime-local input sends it (2025-06-14T10:00), in `zone`, as UTC.

    `field` is starts_at or ends_at; each has its own sentences, so a translation need not fit a word into one."""
    start = field == "starts_at"
    raw = raw.strip()
    if not raw:
        raise ValidationError(_("Give the start date and time.") if start else _("Give the end date and time."),
                              field)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(_("The start must be a date and time like %(example)s.", example="2025-06-14T10:00")
                              if start else
                              _("The end must be a date and time like %(example)s.", example="2025-06-14T10:00"),
                              field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or UTC)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationError(_("The start is outside the calendar StepFree can store.") if start else
                              _("The end is outside the calendar StepFree can store."), field) from None


def _area(session: Session, drawn: str, typed_bbox: str) -> MultiPolygon:
    """The event's area: a typed bbox (it replaces a drawn area) or else the GeoJSON drawn on the map."""
    if typed_bbox.strip():
        field = "bbox"
        try:
            bounds = parse_bbox(typed_bbox.strip())
        except BBoxError as error:
            raise ValidationError(_("The rectangle is not usable: %(reason)s.", reason=bbox_error_message(error)),
                                  field) from None
        if bounds.width == 0 or bounds.height == 0:
            raise ValidationError(_("The rectangle has no surface: its corners must differ in both directions."),
                                  field)
        area = box(*bounds.as_tuple())
    elif drawn.strip():
        field = "area"
        area = _geojson_polygon(drawn)
    else:
        raise ValidationError(_("Draw the area on the map (at least 3 corners) or type it as a rectangle: "
                                "minLon,minLat,maxLon,maxLat."), "area")
    if not area.is_valid:
        raise ValidationError(_("The area is not a valid polygon (%(reason)s): tap its corners in order around the "
                                "edge, without crossing lines.", reason=explain_validity(area)), field)
    if area.is_empty or area.area == 0:
        raise ValidationError(_("The area has no surface: give corners that enclose some ground."), field)
    km2 = session.scalar(select(func.ST_Area(cast(func.ST_GeomFromText(area.wkt, 4326), Geography)))) / 1e6
    if km2 > MAX_AREA_KM2:
        raise ValidationError(_("The area is %(area)s km²; an event may cover at most %(max)s km². Draw a smaller "
                                "area.", area=format_number(round(km2)), max=format_number(MAX_AREA_KM2)), field)
    return area if isinstance(area, MultiPolygon) else MultiPolygon([area])


def _geojson_polygon(raw: str) -> Polygon | MultiPolygon:
    message = _("The drawn area must be a GeoJSON Polygon or MultiPolygon in longitude, latitude.")
    try:
        value = json.loads(raw)
    except ValueError:
        raise ValidationError(message, "area") from None
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationError(message, "area")
    try:
        area = shape(value)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.GEOSException):
        raise ValidationError(message, "area") from None
    if shapely.get_num_coordinates(area) > MAX_CORNERS:
        raise ValidationError(ngettext("The drawn area has more than %(num)s corner.",
                                       "The drawn area has more than %(num)s corners.", MAX_CORNERS), "area")
    min_lon, min_lat, max_lon, max_lat = area.bounds if not area.is_empty else (0, 0, 0, 0)
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationError(_("The drawn area's corners must lie within longitude -180..180 and latitude "
                                "-90..90."), "area")
    return area
