"""Reads for checking places again: the places nearest a volunteer that are due for a check, and the recent
changes by other volunteers near them that they may agree or disagree with.

Which places are due is the policy's freshness rule (app/policy.py), here in its SQL form. Nearest first comes
from the places' GiST index (`geom <-> point`), so the cost follows the number of places looked at, not the
size of the map.
"""

from dataclasses import dataclass
from datetime import datetime

from geoalchemy2 import Geography
from sqlalchemy import Select, and_, cast, exists, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from app.models import CheckSkip, MappingEvent, Place, Revision, Submission, User, Vote
from app.models.base import utcnow
from app.policy import DEFAULT_POLICY, ModerationPolicy
from app.queries.places import is_published
from app.services.checks import VOTABLE_SOURCES
from app.services.submissions import Submitter
from geo.fields import ACCESSIBILITY_FIELDS

CHECK_LIMIT_MAX = 50


@dataclass(frozen=True)
class DuePlace:
    id: int
    name: str
    category: str
    wheelchair: str
    toilets_wheelchair: str
    description: str | None
    version: int
    last_verified_at: datetime | None
    lon: float
    lat: float
    distance_m: float


def _volunteer_clause(column_user, column_device, submitter: Submitter):
    if submitter.user is not None:
        return column_user == submitter.user.id
    if submitter.device_hash is not None:
        return column_device == submitter.device_hash
    return literal(False)


def due_statement(policy: ModerationPolicy, *, lon: float, lat: float, submitter: Submitter, limit: int,
                  event_id: int | None = None, now: datetime | None = None) -> Select:
    """The nearest published places due for a check that this volunteer neither skipped nor already answered
    (an answer of theirs still waiting for review), optionally only inside a mapping event's area."""
    now = now or utcnow()
    here = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    skipped = exists().where(CheckSkip.place_id == Place.id,
                             _volunteer_clause(CheckSkip.user_id, CheckSkip.device_hash, submitter))
    answered = exists().where(Submission.place_id == Place.id, Submission.state == "pending",
                              Submission.kind != "report",
                              _volunteer_clause(Submission.author_id, Submission.device_hash, submitter))
    clauses = [is_published(), policy.due_clause(Place.wheelchair, Place.last_verified_at, now),
               not_(skipped), not_(answered)]
    if event_id is not None:
        area = select(MappingEvent.area).where(MappingEvent.id == event_id).scalar_subquery()
        clauses.append(func.ST_Intersects(Place.geom, area))
    return (select(Place.id, Place.name, Place.category, Place.wheelchair, Place.toilets_wheelchair,
                   Place.description, Place.version, Place.last_verified_at,
                   func.ST_X(Place.geom), func.ST_Y(Place.geom),
                   func.ST_Distance(cast(Place.geom, Geography), cast(here, Geography)))
            .where(*clauses).order_by(Place.geom.op("<->")(here)).limit(limit))


def due_places(session: Session, policy: ModerationPolicy = DEFAULT_POLICY, *, lon: float, lat: float,
               submitter: Submitter, limit: int = 10, event_id: int | None = None,
               now: datetime | None = None) -> list[DuePlace]:
    statement = due_statement(policy, lon=lon, lat=lat, submitter=submitter, limit=limit, event_id=event_id,
                              now=now)
    return [DuePlace(*row) for row in session.execute(statement)]


@dataclass(frozen=True)
class PeerCheck:
    revision_id: int
    place_id: int
    place_name: str
    category: str
    before: dict
    after: dict
    created_at: datetime
    author_label: str | None   # the author's public name if they opted in, else None (anonymous)
    distance_m: float


PEER_CHECK_METRES = 5000


def peer_check_statement(policy: ModerationPolicy, *, lon: float, lat: float, user: User, limit: int,
                         now: datetime | None = None) -> Select:
    """Recent changes to accessibility values near the volunteer, by others, that they have not voted on and
    that are still the place's current values; nearest first."""
    now = now or utcnow()
    here = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    author = select(User).subquery()
    voted = exists().where(Vote.revision_id == Revision.id, Vote.voter_id == user.id)
    changed_access = or_(*(Revision.after.has_key(key) for key in ACCESSIBILITY_FIELDS))
    return (select(Revision.id, Place.id, Place.name, Place.category, Revision.before, Revision.after,
                   Revision.created_at, func.nullif(author.c.public_name, False), author.c.display_name,
                   func.ST_Distance(cast(Place.geom, Geography), cast(here, Geography)))
            .join(Place, and_(Place.id == Revision.place_id, Place.version == Revision.version))
            .outerjoin(Submission, Submission.id == Revision.submission_id)
            .outerjoin(author, author.c.id == Submission.author_id)
            .where(Revision.source.in_(VOTABLE_SOURCES), Revision.created_at > now - policy.peer_check_window,
                   changed_access, is_published(),
                   Revision.actor_id.is_distinct_from(user.id), Submission.author_id.is_distinct_from(user.id),
                   not_(voted),
                   func.ST_DWithin(cast(Place.geom, Geography), cast(here, Geography), PEER_CHECK_METRES))
            .order_by(Place.geom.op("<->")(here)).limit(limit))


def peer_checks(session: Session, policy: ModerationPolicy = DEFAULT_POLICY, *, lon: float, lat: float,
                user: User, limit: int = 10, now: datetime | None = None) -> list[PeerCheck]:
    rows = session.execute(peer_check_statement(policy, lon=lon, lat=lat, user=user, limit=limit, now=now))
    return [PeerCheck(revision_id, place_id, name, category, before, after, created_at,
                      display_name if public else None, distance)
            for revision_id, place_id, name, category, before, after, created_at, public, display_name, distance
            in rows]
