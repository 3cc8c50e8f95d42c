"""Reads about submissions for their authors."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Submission


def list_for_author(session: Session, user_id: int | None, device_hash: str | None,
                    limit: int = 200) -> list[Submission]:
    """An account's submissions, or else an anonymous device's, newest first."""
    stmt = select(Submission).order_by(Submission.created_at.desc(), Submission.id.desc()).limit(limit)
    if user_id is not None:
        return list(session.scalars(stmt.where(Submission.author_id == user_id)))
    if device_hash is not None:
        return list(session.scalars(stmt.where(Submission.device_hash == device_hash,
                                               Submission.author_id.is_(None))))
    return []
