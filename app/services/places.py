"""The one way a place's public values change: apply a set of field changes as a new revision.

Moderator approval, trusted volunteers' auto-approval, reverts, undo and the OSM importer all call
`create_place` or `apply_change`, so every change bumps the version and writes its revision (DESIGN.md
invariant 1). The caller records the audit event that names the decision, in the same transaction.
"""

from flask_babel import gettext as _
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Place, Revision, User
from app.models.base import utcnow
from geo.fields import ACCESSIBILITY_FIELDS, COLUMN_FIELDS, FIELDS, PLACE_FIELDS


def place_point(place: Place) -> tuple[float, float]:
    point = to_shape(place.geom)
    return round(point.x, 7), round(point.y, 7)


def snapshot(place: Place) -> dict:
    """The values a revision records, as JSON-ready primitives."""
    return place.snapshot()


def get_place(session: Session, place_id: int, *, for_update: bool = False) -> Place:
    """The place; with for_update, row-locked and reloaded, so a version read before the lock is never used."""
    place = session.get(Place, place_id, with_for_update=for_update, populate_existing=for_update)
    if place is None:
        raise NotFound(_("There is no place %(id)s.", id=place_id), "place_id")
    return place


def created_columns(values: dict) -> dict:
    """A new place's columns from its values: an empty or missing value is the field's default."""
    # `in (None, "")`, not `or`: a detail of 0 (no steps) is a value, not a missing one.
    return {key: FIELDS[key].default if values.get(key) in (None, "") else values[key] for key in COLUMN_FIELDS}


def create_place(session: Session, values: dict, *, source: str, revision_source: str, actor: User | None = None,
                 submission_id: int | None = None, osm_type: str | None = None, osm_id: int | None = None,
                 osm_seen: dict | None = None, address: dict | None = None) -> Place:
    """Insert a place at version 1 with its first revision (`address`: OSM's addr:* tags, not a revision field)."""
    now = utcnow()
    columns = created_columns(values)
    place = Place(
        geom=from_shape(Point(values["lon"], values["lat"]), srid=4326), **columns, address=address, source=source,
        osm_type=osm_type, osm_id=osm_id, osm_seen=osm_seen, version=1, created_at=now, updated_at=now,
        last_verified_at=now if source == "volunteer" else None,
    )
    if place.name is not None:  # unnamed: a toilet or an elevator from OSM
        place.name = place.name.strip()
    session.add(place)
    session.flush()
    session.add(Revision(place_id=place.id, version=1, submission_id=submission_id,
                         actor_id=actor.id if actor else None, source=revision_source,
                         before={}, after=snapshot(place)))
    session.flush()
    return place


def apply_change(session: Session, place: Place, changes: dict, *, revision_source: str, actor: User | None = None,
                 submission_id: int | None = None, verified: bool | None = None) -> Revision | None:
    """Write `changes` (keys of PLACE_FIELDS) to the place as its next version; None if nothing changed.

    The caller must hold the place's row lock (get_place(..., for_update=True)) so versions never race.
    """
    unknown = set(changes) - set(PLACE_FIELDS)
    if unknown:
        raise ValueError(f"not place fields: {sorted(unknown)}")
    before = snapshot(place)
    after = {**before, **dict(changes.items())}
    if after == before:
        if verified or (verified is None and set(changes) & set(ACCESSIBILITY_FIELDS)):
            place.last_verified_at = utcnow()
        return None
    now = utcnow()
    for field in COLUMN_FIELDS:
        if field in changes:
            setattr(place, field, changes[field])
    if after["lon"] != before["lon"] or after["lat"] != before["lat"]:
        place.geom = from_shape(Point(after["lon"], after["lat"]), srid=4326)
    if after["hidden"] != before["hidden"]:
        place.hidden_at = now if after["hidden"] else None
    if after["gone"] != before["gone"]:
        place.gone_at = now if after["gone"] else None
    place.version += 1
    place.updated_at = now
    if verified or (verified is None and set(changes) & set(ACCESSIBILITY_FIELDS)):
        place.last_verified_at = now
    changed = {k for k in after if after[k] != before[k]}
    revision = Revision(
        place_id=place.id, version=place.version, submission_id=submission_id,
        actor_id=actor.id if actor else None, source=revision_source,
        before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
    )
    session.add(revision)
    session.flush()
    return revision
