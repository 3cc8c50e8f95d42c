"""A volunteer's notices of verdicts on their submissions: the list for /notices and the menu's unread count."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.models import Notice, Place, Submission
from app.queries.places import is_published
from app.services.submissions import Submitter

NOTICES_SHOWN = 100


def notice_owner(volunteer: Submitter) -> ColumnElement[bool] | None:
    """The volunteer's notices, or None for nobody: a bare equality (a notice names exactly one of account and
    device, by a CHECK), so the unread count is an index-only scan of a partial index."""
    if volunteer.user is not None:
        return Notice.user_id == volunteer.user.id
    if volunteer.device_hash is not None:
        return Notice.device_hash == volunteer.device_hash
    return None


@dataclass(frozen=True)
class NoticeItem:
    id: int
    verdict: str
    created_at: datetime
    unread: bool
    kind: str
    place_id: int | None       # set only while the place is public, for a link to its page
    place_name: str | None
    place_category: str | None  # the published place's, for the label of an unnamed one
    reason_code: str | None
    reason_note: str | None


@dataclass(frozen=True)
class NoticeSummary:
    """What the menu shows: how many notices are unread, and whether there are any at all."""

    unread: int
    any: bool


def list_notices(session: Session, volunteer: Submitter, limit: int = NOTICES_SHOWN) -> list[NoticeItem]:
    """The volunteer's notices, newest first, with the submission's place and the moderator's reason."""
    mine = notice_owner(volunteer)
    if mine is None:
        return []
    stmt = (select(Notice.id, Notice.verdict, Notice.created_at, Notice.read_at.is_(None), Submission.kind,
                   Place.id, func.coalesce(Place.name, Submission.proposed["name"].astext), Place.category,
                   Submission.reason_code, Submission.reason_note)
            .join(Submission, Submission.id == Notice.submission_id)
            .outerjoin(Place, and_(Place.id == Submission.place_id, is_published()))
            .where(mine).order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit))
    return [NoticeItem(*row) for row in session.execute(stmt)]


def notice_summary(session: Session, volunteer: Submitter) -> NoticeSummary | None:
    """The unread count and whether any notice exists, in one statement on the notices' partial indexes;
    None for a visitor who is neither signed in nor has a device cookie."""
    mine = notice_owner(volunteer)
    if mine is None:
        return None
    unread = select(func.count()).select_from(Notice).where(mine, Notice.read_at.is_(None)).scalar_subquery()
    unread, found = session.execute(select(unread, exists().where(mine))).one()
    return NoticeSummary(unread=unread, any=found)
