"""Reads about submissions for their authors."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Place, Submission


def list_for_author(session: Session, user_id: int | None, device_hash: str | None,
                    limit: int = 200) -> list[tuple[Submission, str | None, str | None]]:
    """An account's submissions, or else an anonymous device's, newest first, with the place's name and category
    (its label when it has no name)."""
    stmt = (select(Submission, Place.name, Place.category).outerjoin(Place, Place.id == Submission.place_id)
            .order_by(Submission.created_at.desc(), Submission.id.desc()).limit(limit))
    if user_id is not None:
        stmt = stmt.where(Submission.author_id == user_id)
    elif device_hash is not None:
        stmt = stmt.where(Submission.device_hash == device_hash, Submission.author_id.is_(None))
    else:
        return []
    return [tuple(row) for row in session.execute(stmt)]


def count_by_state(session: Session) -> dict[str, int]:
    """How many submissions are in each state (the states with none are left out)."""
    return dict(session.execute(select(Submission.state, func.count()).group_by(Submission.state)).all())
