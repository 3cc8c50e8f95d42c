"""Holding a place's changes back from OpenStreetMap, and releasing them (the upstream queue, /moderate/osm).

A hold is a moderator's judgement that StepFree's value should not go to OSM yet (a doubt, a local dispute, an
ongoing renovation): the place stays listed with the reason, and out of every osmChange and MapRoulette file,
until a moderator releases it. Both are audited.
"""

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.errors import NotFound, ValidationError
from app.models import OsmUpstreamHold, Place, User
from app.models.base import utcnow
from app.services.audit import record_event

REASON_MAX = 500


def hold(session: Session, place_id: int, reason: str, moderator: User) -> OsmUpstreamHold:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the change is held back: other moderators read it."), "reason")
    if len(reason) > REASON_MAX:
        raise ValidationError(_("The reason is too long: at most %(max)d characters.", max=REASON_MAX), "reason")
    place = session.get(Place, place_id)
    if place is None or place.osm_type is None:
        raise NotFound(_("No place from OpenStreetMap has this number."), "place_id")
    statement = insert(OsmUpstreamHold).values(place_id=place_id, reason=reason, held_by_id=moderator.id,
                                               held_at=utcnow())
    session.execute(statement.on_conflict_do_update(index_elements=["place_id"], set_={
        "reason": statement.excluded.reason, "held_by_id": statement.excluded.held_by_id,
        "held_at": statement.excluded.held_at}))
    record_event(session, moderator, "hold_upstream", place_id=place_id, reason=reason)
    return session.scalars(select(OsmUpstreamHold).where(OsmUpstreamHold.place_id == place_id)
                           .execution_options(populate_existing=True)).one()


def release(session: Session, place_id: int, moderator: User) -> None:
    released = session.execute(delete(OsmUpstreamHold).where(OsmUpstreamHold.place_id == place_id)).rowcount
    if not released:
        raise NotFound(_("This place is not held back."), "place_id")
    record_event(session, moderator, "release_upstream", place_id=place_id)
