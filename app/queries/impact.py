"""A volunteer's impact, for /me: places added and checked, how much of their area is now known, how their
answers fared, and their weekly streak.

The volunteer is an account, or else an anonymous device, by the same rule as /my/submissions. Each figure is
one aggregate statement over the volunteer's submissions (indexed by author and by device), so the page runs
as many statements for a volunteer with 3,000 submissions as for one with 3.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from geoalchemy2 import Geography
from sqlalchemy import Integer, and_, cast, distinct, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.models import Place, Submission
from app.queries.places import is_published
from app.services.submissions import Submitter

# The volunteer's area: every place within this distance of a point they sent a submission about.
AREA_METRES = 1000
# Degrees of latitude per metre, with room to spare: a degree is 110.6 to 111.7 km on the WGS84 spheroid.
_AREA_DEGREES = AREA_METRES * 1.1 / 110_574
CHECK_KINDS = ("status", "still_correct")
RECENT_REJECTIONS = 10


def volunteer_clause(user_column, device_column, volunteer: Submitter) -> ColumnElement[bool] | None:
    """Rows that are this volunteer's: the account's when signed in, else the device's; None for nobody."""
    if volunteer.user is not None:
        return user_column == volunteer.user.id
    if volunteer.device_hash is not None:
        return and_(device_column == volunteer.device_hash, user_column.is_(None))
    return None


@dataclass(frozen=True)
class Rejection:
    submission_id: int
    kind: str
    place_id: int | None
    place_name: str | None
    place_category: str | None  # the published place's, for the label of an unnamed one
    reason_code: str
    reason_note: str | None
    decided_at: datetime | None


@dataclass(frozen=True)
class Impact:
    sent: int = 0
    added: int = 0
    checked: int = 0
    approved: int = 0
    rejected: int = 0
    pending: int = 0
    area_places: int = 0
    area_known: int = 0
    current_streak: int = 0
    longest_streak: int = 0
    rejections_by_reason: dict[str, int] = field(default_factory=dict)
    recent_rejections: list[Rejection] = field(default_factory=list)

    @property
    def area_known_pct(self) -> int | None:
        """The share of the area's places with a known status, in whole percent (None for an empty area)."""
        return round(100 * self.area_known / self.area_places) if self.area_places else None


def volunteer_impact(session: Session, volunteer: Submitter, *, today: date) -> Impact:
    """Everything /me shows about one volunteer; `today` (UTC) decides which weeks are this and last week."""
    mine = volunteer_clause(Submission.author_id, Submission.device_hash, volunteer)
    if mine is None:
        return Impact()
    sent, added, checked, approved, rejected, pending = _counts(session, mine)
    if not sent:
        return Impact()
    area_places, area_known = _area(session, mine)
    current, longest = _streaks(session, mine, today)
    return Impact(sent=sent, added=added, checked=checked, approved=approved, rejected=rejected, pending=pending,
                  area_places=area_places, area_known=area_known, current_streak=current, longest_streak=longest,
                  rejections_by_reason=_rejections_by_reason(session, mine) if rejected else {},
                  recent_rejections=_recent_rejections(session, mine) if rejected else [])


def _counts(session: Session, mine) -> tuple[int, int, int, int, int, int]:
    """Sent, places added, places checked (distinct), approved, rejected, pending."""
    approved = Submission.state == "approved"
    return tuple(session.execute(select(
        func.count(),
        func.count().filter(approved, Submission.kind == "new_place"),
        func.count(distinct(Submission.place_id)).filter(approved, Submission.kind.in_(CHECK_KINDS)),
        func.count().filter(approved),
        func.count().filter(Submission.state == "rejected"),
        func.count().filter(Submission.state == "pending"),
    ).where(mine)).one())


def _area(session: Session, mine) -> tuple[int, int]:
    """How many published places lie in the volunteer's area, and how many of those have a known status.

    Each distinct point is looked up through the places' GiST index with a box a little larger than the
    circle (a degree of longitude shrinks with the cosine of the latitude); the geography distance decides.
    """
    points = select(Submission.geom.label("geom")).where(mine, Submission.geom.is_not(None)).distinct().subquery()
    lon_degrees = _AREA_DEGREES / func.greatest(func.cos(func.radians(func.ST_Y(points.c.geom))), 0.01)
    near = and_(Place.geom.op("&&")(func.ST_Expand(points.c.geom, lon_degrees, _AREA_DEGREES)),
                func.ST_DWithin(cast(Place.geom, Geography), cast(points.c.geom, Geography), AREA_METRES))
    in_area = (select(Place.id, Place.wheelchair).join(points, near).where(is_published())
               .distinct().subquery())
    total, known = session.execute(select(func.count(), func.count().filter(in_area.c.wheelchair != "unknown"))
                                   .select_from(in_area)).one()
    return total, known


def _streaks(session: Session, mine, today: date) -> tuple[int, int]:
    """The current and the longest run of consecutive ISO weeks (UTC) with at least one submission.

    The current run is the one that reaches this week or last week (this week is not over yet). Gaps and
    islands: a week minus its rank, in weeks, is the same date for every week of one unbroken run.
    """
    week = func.date_trunc("week", func.timezone("UTC", Submission.created_at))
    weeks = select(week.label("week")).where(mine).distinct().subquery()
    rank = cast(func.row_number().over(order_by=weeks.c.week), Integer)
    ranked = select(weeks.c.week, (weeks.c.week - func.make_interval(0, 0, rank)).label("run")).subquery()
    runs = (select(func.count().label("length"), func.max(ranked.c.week).label("last_week"))
            .group_by(ranked.c.run).subquery())
    last_week = datetime.combine(today - timedelta(days=today.weekday() + 7), datetime.min.time())
    current, longest = session.execute(select(func.max(runs.c.length).filter(runs.c.last_week >= last_week),
                                              func.max(runs.c.length))).one()
    return current or 0, longest or 0


def _rejections_by_reason(session: Session, mine) -> dict[str, int]:
    stmt = (select(Submission.reason_code, func.count()).where(mine, Submission.state == "rejected")
            .group_by(Submission.reason_code).order_by(func.count().desc(), Submission.reason_code))
    return dict(session.execute(stmt).all())


def _recent_rejections(session: Session, mine) -> list[Rejection]:
    """The latest rejections, with the moderator's reason and note, and the place (or the proposed name)."""
    stmt = (select(Submission.id, Submission.kind, Place.id,
                   func.coalesce(Place.name, Submission.proposed["name"].astext), Place.category,
                   Submission.reason_code, Submission.reason_note, Submission.decided_at)
            .outerjoin(Place, and_(Place.id == Submission.place_id, is_published()))
            .where(mine, Submission.state == "rejected")
            .order_by(Submission.decided_at.desc().nulls_last(), Submission.id.desc()).limit(RECENT_REJECTIONS))
    return [Rejection(*row) for row in session.execute(stmt)]
