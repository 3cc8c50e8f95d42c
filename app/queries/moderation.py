"""Read-side queries of the moderation queue: filters, counts, the list, the review screen and the audit log."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask_babel import gettext as _
from geoalchemy2 import Geography
from geoalchemy2.shape import to_shape
from sqlalchemy import and_, case, cast, func, not_, or_, select
from sqlalchemy.orm import Session, aliased

from app.errors import NotFound
from app.models import DeviceBan, ModerationEvent, Photo, Place, Revision, Submission, User
from app.models.base import utcnow
from app.models.submissions import SUBMISSION_KINDS
from app.policy import DEFAULT_POLICY, ModerationPolicy
from app.queries.stats import pending_by_kind_statement
from geo.bbox import BBox
from geo.fields import FIELDS, KINDS

NEIGHBOUR_METRES = 50
QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueFilters:
    kinds: tuple[str, ...] = ()
    bbox: BBox | None = None
    author_types: tuple[str, ...] = ()
    ages: tuple[str, ...] = ()
    # oldest: first come, first served; disagreement: the values most volunteers disagree with first.
    sort: str = "oldest"

    def as_args(self) -> dict:
        """The filters as query-string arguments, to keep them across pages and in the session."""
        args = {"kind": ",".join(self.kinds), "author": ",".join(self.author_types), "age": ",".join(self.ages),
                "bbox": ",".join(f"{v:g}" for v in self.bbox.as_tuple()) if self.bbox else "",
                "sort": "" if self.sort == "oldest" else self.sort}
        return {k: v for k, v in args.items() if v}


def _author_clause(kind: str, policy: ModerationPolicy):
    if kind == "anonymous":
        return and_(Submission.origin == "volunteer", Submission.author_id.is_(None))
    if kind in ("import", "vote"):
        return Submission.origin == kind
    trusted = Submission.author_id.in_(policy.trusted_user_ids())
    if kind == "trusted":
        return trusted
    return and_(Submission.author_id.is_not(None), not_(trusted))


def _age_clause(age: str, now: datetime):
    day, week = now - timedelta(days=1), now - timedelta(days=7)
    if age == "day":
        return Submission.created_at > day
    if age == "week":
        return and_(Submission.created_at <= day, Submission.created_at > week)
    return Submission.created_at <= week


def filter_clauses(filters: QueueFilters, policy: ModerationPolicy = DEFAULT_POLICY) -> list:
    """WHERE clauses for the filters (the pending state itself is the caller's)."""
    clauses = []
    if filters.kinds:
        clauses.append(Submission.kind.in_(filters.kinds))
    if filters.bbox is not None:
        clauses.append(func.ST_Intersects(Submission.geom, func.ST_MakeEnvelope(*filters.bbox.as_tuple(), 4326)))
    if filters.author_types:
        clauses.append(or_(*(_author_clause(t, policy) for t in filters.author_types)))
    if filters.ages:
        now = utcnow()
        clauses.append(or_(*(_age_clause(a, now) for a in filters.ages)))
    return clauses


def pending_counts_statement(filters: QueueFilters | None = None, policy: ModerationPolicy = DEFAULT_POLICY):
    """Select pending submissions per kind, and per kind how many match the filters.

    The totals come from the queue's rollup (stats_pending, kept exact by a trigger), never from a scan of the
    pending rows, and so does the matching count when nothing but the kind is filtered. Other filters (area,
    author, age) count the pending rows they match.
    """
    filters = filters or QueueFilters()
    totals = pending_by_kind_statement().subquery()
    if not filter_clauses(replace(filters, kinds=()), policy):
        matched = case((totals.c.kind.in_(filters.kinds), totals.c.n), else_=0) if filters.kinds else totals.c.n
        return select(totals.c.kind, totals.c.n, matched)
    matching = (select(Submission.kind, func.count().label("n"))
                .where(Submission.state == "pending", *filter_clauses(filters, policy))
                .group_by(Submission.kind).subquery())
    return (select(totals.c.kind, totals.c.n, func.coalesce(matching.c.n, 0))
            .outerjoin(matching, matching.c.kind == totals.c.kind))


def pending_counts(session: Session, filters: QueueFilters | None = None,
                   policy: ModerationPolicy = DEFAULT_POLICY) -> tuple[dict[str, int], int]:
    """How many submissions wait per kind (every kind present, zero included), and how many match the filters."""
    counts = dict.fromkeys(SUBMISSION_KINDS, 0)
    matching = 0
    for kind, n, matched in session.execute(pending_counts_statement(filters, policy)):
        counts[kind] = n
        matching += matched
    return counts, matching


@dataclass
class QueueRow:
    submission: Submission
    place_name: str | None
    place_category: str | None
    author_name: str | None
    holder_name: str | None
    author_type: str = "anonymous"


def queue_statement(filters: QueueFilters, policy: ModerationPolicy = DEFAULT_POLICY, *,
                    limit: int = QUEUE_PAGE_SIZE, offset: int = 0):
    """The list of pending submissions, oldest first (shared with the benchmark's bare-SQL baseline)."""
    author, holder = aliased(User), aliased(User)
    statement = (select(Submission, Place.name, Place.category, author.display_name, holder.display_name)
                 .outerjoin(Place, Place.id == Submission.place_id)
                 .outerjoin(author, author.id == Submission.author_id)
                 .outerjoin(holder, and_(holder.id == Submission.claimed_by_id,
                                         Submission.claim_expires_at > utcnow()))
                 .where(Submission.state == "pending", *filter_clauses(filters, policy)))
    if filters.sort == "disagreement":
        statement = (statement.outerjoin(Revision, Revision.id == Submission.revision_id)
                     .order_by(func.coalesce(Revision.disagree_count, 0).desc()))
    return statement.order_by(Submission.created_at, Submission.id).limit(limit).offset(offset)


def list_queue(session: Session, filters: QueueFilters, policy: ModerationPolicy = DEFAULT_POLICY, *,
               limit: int = QUEUE_PAGE_SIZE,
               offset: int = 0) -> list[QueueRow]:
    """Pending submissions matching the filters, oldest first, with who wrote and who holds them."""
    rows = [QueueRow(*row) for row in session.execute(
                queue_statement(filters, policy, limit=limit, offset=offset))]
    author_ids = {r.submission.author_id for r in rows if r.submission.author_id is not None}
    trusted = set()
    if author_ids:
        trusted = set(session.scalars(policy.trusted_user_ids(among=sorted(author_ids))))
    for row in rows:
        row.author_type = author_type(row.submission, trusted)
    return rows


def author_type(submission: Submission, trusted_ids: set[int]) -> str:
    """anonymous, new, trusted or import, as the queue's author filter names them."""
    if submission.origin in ("import", "vote"):
        return submission.origin
    if submission.author_id is None:
        return "anonymous"
    return "trusted" if submission.author_id in trusted_ids else "new"


@dataclass
class AuthorRecord:
    kind: str  # "user", "device", "import" or "vote"
    approved: int = 0
    rejected: int = 0
    pending: int = 0
    user: User | None = None
    device_hash: str | None = None
    device_banned: bool = False
    account_age_days: int | None = None


def author_record(session: Session, submission: Submission) -> AuthorRecord:
    """What a moderator should know about who sent a submission (never an email or IP address)."""
    if submission.origin in ("import", "vote"):
        return AuthorRecord(kind=submission.origin)
    if submission.author_id is not None:
        where = Submission.author_id == submission.author_id
    else:
        where = and_(Submission.device_hash == submission.device_hash, Submission.author_id.is_(None))
    counts = dict(session.execute(select(Submission.state, func.count()).where(where)
                                  .group_by(Submission.state)).all())
    record = AuthorRecord(kind="user" if submission.author_id else "device", approved=counts.get("approved", 0),
                          rejected=counts.get("rejected", 0), pending=counts.get("pending", 0))
    if submission.author_id is not None:
        record.user = session.get(User, submission.author_id)
        record.account_age_days = (utcnow() - record.user.created_at).days
    else:
        record.device_hash = submission.device_hash
        record.device_banned = session.get(DeviceBan, submission.device_hash) is not None
    return record


def neighbours(session: Session, lon: float, lat: float, *, exclude_place_id: int | None = None,
               metres: float = NEIGHBOUR_METRES, limit: int = 20) -> list[tuple[Place, float]]:
    """Places within `metres` of a point, nearest first, with their distance, to spot duplicates."""
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    distance = func.ST_Distance(cast(Place.geom, Geography), cast(point, Geography))
    stmt = (select(Place, distance).where(func.ST_DWithin(cast(Place.geom, Geography), cast(point, Geography),
                                                          metres))
            .order_by(distance).limit(limit))
    if exclude_place_id is not None:
        stmt = stmt.where(Place.id != exclude_place_id)
    return [(place, round(d, 1)) for place, d in session.execute(stmt)]


def pending_for_place(session: Session, place_id: int, *, exclude_id: int | None = None) -> list[Submission]:
    """Other pending submissions about the same place, oldest first, to decide them together."""
    stmt = (select(Submission).where(Submission.place_id == place_id, Submission.state == "pending")
            .order_by(Submission.created_at, Submission.id))
    if exclude_id is not None:
        stmt = stmt.where(Submission.id != exclude_id)
    return list(session.scalars(stmt))


def pending_by_author_id(session: Session, user_id: int | None, device_hash: str | None,
                         limit: int = 500) -> list[Submission]:
    """Pending submissions of one account or one anonymous device, oldest first, for bulk decisions."""
    if user_id is not None:
        where = Submission.author_id == user_id
    elif device_hash is not None:
        where = and_(Submission.device_hash == device_hash, Submission.author_id.is_(None))
    else:
        return []
    return list(session.scalars(select(Submission).where(where, Submission.state == "pending")
                                .order_by(Submission.created_at, Submission.id).limit(limit)))


def get_submission(session: Session, submission_id: int) -> Submission:
    """One submission by id, or NotFound naming submission_id."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound(_("There is no submission %(id)s.", id=submission_id), "submission_id")
    return submission


@dataclass
class LogFilters:
    actor_id: int | None = None
    actions: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None


def list_events(session: Session, filters: LogFilters, limit: int = 100) -> list[tuple[ModerationEvent, str | None,
                                                                                       str | None]]:
    """Audit events newest first, with the actor's and the target user's display names."""
    actor, target = aliased(User), aliased(User)
    stmt = (select(ModerationEvent, actor.display_name, target.display_name)
            .outerjoin(actor, actor.id == ModerationEvent.actor_id)
            .outerjoin(target, target.id == ModerationEvent.target_user_id)
            .order_by(ModerationEvent.id.desc()).limit(limit))
    if filters.actor_id is not None:
        stmt = stmt.where(ModerationEvent.actor_id == filters.actor_id)
    if filters.actions:
        stmt = stmt.where(ModerationEvent.action.in_(filters.actions))
    if filters.since is not None:
        stmt = stmt.where(ModerationEvent.created_at >= filters.since)
    if filters.until is not None:
        # A bare date means "through that whole day".
        stmt = stmt.where(ModerationEvent.created_at < filters.until + timedelta(days=1)
                          if filters.until.time() == datetime.min.time() else
                          ModerationEvent.created_at <= filters.until)
    if filters.before_id is not None:
        stmt = stmt.where(ModerationEvent.id < filters.before_id)
    return [tuple(row) for row in session.execute(stmt)]


def staff(session: Session) -> list[User]:
    """Moderators and admins, for the audit log's filter."""
    return list(session.scalars(select(User).where(User.role.in_(("moderator", "admin")))
                                .order_by(User.display_name)))


@dataclass
class FieldRow:
    field: str
    label: str          # in the request's language
    current: object
    proposed: object
    changed: bool


@dataclass
class ReviewContext:
    submission: Submission
    place: Place | None
    lon: float
    lat: float
    rows: list[FieldRow]
    conflict: bool
    author: AuthorRecord
    same_place: list[Submission]
    nearby: list[tuple[Place, float]]
    holder: User | None
    by_author: list[Submission]
    # For a value reopened by votes: the change the volunteers disagree with (its counts are kept on it).
    disputed: Revision | None = None
    # For a photo or a photo's report: the photo (its files are gone once removed).
    photo: Photo | None = None


def review_context(session: Session, submission: Submission) -> ReviewContext:
    """Everything the review screen shows about one submission."""
    place = session.get(Place, submission.place_id) if submission.place_id is not None else None
    current = place.snapshot() if place is not None else {}
    proposed = submission.proposed or {}
    kind = KINDS[submission.kind]
    fields = [f for f in kind.fields if f in proposed or submission.kind == "new_place"]
    rows = [FieldRow(f, _(FIELDS[f].label), current.get(f), proposed.get(f),
                     kind.applies and f in proposed and proposed.get(f) != current.get(f))
            for f in fields]
    point = to_shape(submission.geom) if submission.geom is not None else to_shape(place.geom)
    lon, lat = round(point.x, 7), round(point.y, 7)
    conflict = (place is not None and submission.base_version is not None and submission.state == "pending"
                and submission.kind != "new_place" and place.version != submission.base_version)
    holder = None
    if submission.claimed_by_id is not None and submission.claim_expires_at > utcnow():
        holder = session.get(User, submission.claimed_by_id)
    return ReviewContext(
        submission=submission, place=place, lon=lon, lat=lat, rows=rows, conflict=conflict,
        author=author_record(session, submission),
        same_place=pending_for_place(session, place.id, exclude_id=submission.id) if place is not None else [],
        nearby=neighbours(session, lon, lat, exclude_place_id=place.id if place is not None else None),
        holder=holder, by_author=pending_by_author_id(session, submission.author_id, submission.device_hash)
        if submission.origin == "volunteer" else [],
        disputed=session.get(Revision, submission.revision_id) if submission.revision_id is not None else None,
        photo=session.get(Photo, proposed["photo_id"]) if "photo_id" in proposed else None)
