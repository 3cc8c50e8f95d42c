"""Notices of verdicts: a volunteer marks theirs as read (moderation.finish() creates them)."""

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.models import Notice
from app.models.base import utcnow
from app.queries.notices import notice_owner
from app.services.submissions import Submitter


def mark_all_read(session: Session, volunteer: Submitter) -> int:
    """Mark every unread notice of the volunteer as read; returns how many were unread."""
    mine = notice_owner(volunteer)
    if mine is None:
        return 0
    result = session.execute(update(Notice).where(mine, Notice.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount
