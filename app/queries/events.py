"""Reads for mapping events: the listing by phase, an event's area, its live progress and its leaderboard.

Every figure is over what lies inside the event's area, found with ST_Intersects against the area read once
per statement (an InitPlan), so the GiST indexes on places.geom and submissions.geom do the spatial work and
the cost follows the size of the area, not of the map.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, distinct, func, select
from sqlalchemy.orm import Session, aliased, defer

from app.models import EventParticipant, MappingEvent, Place, Submission, User
from app.queries.places import is_published

# The answers an event asks for: a status, "still correct", or a place that was missing.
ANSWER_KINDS = ("status", "still_correct", "new_place")
# Answers that still count on the leaderboard: given, and not turned down by a moderator or taken back.
DISCOUNTED_STATES = ("rejected", "withdrawn")
LEADERBOARD_SIZE = 20
PAST_LISTED = 50


@dataclass(frozen=True)
class EventListing:
    running: list[MappingEvent]
    upcoming: list[MappingEvent]
    past: list[MappingEvent]


@dataclass(frozen=True)
class Progress:
    places: int          # published places inside the area
    known: int           # ... of which the wheelchair status is known
    checked: int         # places in the area with an answer given during the event and approved
    participants: int    # accounts and anonymous devices that joined
    goal_pct: int

    @property
    def known_pct(self) -> int:
        """Whole percent, rounded down, so 79.9 % never reads as a goal of 80 % reached."""
        return self.known * 100 // self.places if self.places else 0

    @property
    def goal_reached(self) -> bool:
        return self.places > 0 and self.known * 100 >= self.goal_pct * self.places


@dataclass(frozen=True)
class Leader:
    name: str
    answers: int


def phase(event: MappingEvent, now: datetime) -> str:
    """"upcoming", "running" or "past": where `now` falls in the event's time window."""
    if now < event.starts_at:
        return "upcoming"
    return "running" if now < event.ends_at else "past"


def list_events(session: Session, now: datetime) -> EventListing:
    """Running and upcoming events by start, then the most recently ended ones."""
    events = select(MappingEvent).options(defer(MappingEvent.area))
    current = session.scalars(events.where(MappingEvent.ends_at > now)
                              .order_by(MappingEvent.starts_at, MappingEvent.id)).all()
    past = session.scalars(events.where(MappingEvent.ends_at <= now)
                           .order_by(MappingEvent.ends_at.desc(), MappingEvent.id.desc()).limit(PAST_LISTED)).all()
    return EventListing(running=[e for e in current if e.starts_at <= now],
                        upcoming=[e for e in current if e.starts_at > now], past=list(past))


def get_event(session: Session, slug: str) -> MappingEvent | None:
    """The event without its area's geometry, which pages read as GeoJSON (area_geojson) when they need it."""
    return session.scalar(select(MappingEvent).options(defer(MappingEvent.area)).where(MappingEvent.slug == slug))


def area_geojson(session: Session, event_id: int) -> dict:
    """The event's area as a GeoJSON geometry (RFC 7946: longitude first, 7 decimals)."""
    raw = session.scalar(select(func.ST_AsGeoJSON(MappingEvent.area, 7)).where(MappingEvent.id == event_id))
    return json.loads(raw)


def _area(event_id: int):
    return select(MappingEvent.area).where(MappingEvent.id == event_id).scalar_subquery()


def progress_statement(event: MappingEvent) -> Select:
    """One row: places in the area, those with a known status, places checked during the event, participants."""
    area = _area(event.id)
    answered = aliased(Place)
    checked = (select(func.count(distinct(Submission.place_id)))
               .join(answered, answered.id == Submission.place_id)
               .where(Submission.state == "approved", Submission.kind.in_(ANSWER_KINDS),
                      Submission.created_at >= event.starts_at, Submission.created_at < event.ends_at,
                      answered.hidden_at.is_(None), answered.gone_at.is_(None),
                      func.ST_Intersects(answered.geom, area))
               .scalar_subquery())
    participants = (select(func.count()).select_from(EventParticipant)
                    .where(EventParticipant.event_id == event.id).scalar_subquery())
    return (select(func.count(Place.id), func.count(Place.id).filter(Place.wheelchair != "unknown"),
                   checked, participants)
            .where(is_published(), func.ST_Intersects(Place.geom, area)))


def progress(session: Session, event: MappingEvent) -> Progress:
    places, known, checked, participants = session.execute(progress_statement(event)).one()
    return Progress(places, known, checked, participants, event.goal_known_pct)


def leaderboard_statement(event: MappingEvent, limit: int = LEADERBOARD_SIZE) -> Select:
    """Participants who chose a public name, by their answers inside the area during the event, most first.

    Anonymous devices and accounts without a public name are never listed: the page counts them instead.
    """
    answers = func.count(Submission.id)
    return (select(User.display_name, answers)
            .join(EventParticipant, and_(EventParticipant.user_id == User.id, EventParticipant.event_id == event.id))
            .join(Submission, Submission.author_id == User.id)
            .where(User.public_name.is_(True), User.banned_at.is_(None),
                   Submission.kind.in_(ANSWER_KINDS), Submission.state.not_in(DISCOUNTED_STATES),
                   Submission.created_at >= event.starts_at, Submission.created_at < event.ends_at,
                   func.ST_Intersects(Submission.geom, _area(event.id)))
            .group_by(User.id)
            .order_by(answers.desc(), User.display_name, User.id)
            .limit(limit))


def leaderboard(session: Session, event: MappingEvent, limit: int = LEADERBOARD_SIZE) -> list[Leader]:
    return [Leader(name, answers) for name, answers in session.execute(leaderboard_statement(event, limit))]


def is_participant(session: Session, event_id: int, *, user_id: int | None, device_hash: str | None) -> bool:
    """Whether this account (or, without one, this device) has joined the event."""
    if user_id is not None:
        who = EventParticipant.user_id == user_id
    elif device_hash is not None:
        who = EventParticipant.device_hash == device_hash
    else:
        return False
    return session.scalar(select(EventParticipant.id).where(EventParticipant.event_id == event_id, who)) is not None
