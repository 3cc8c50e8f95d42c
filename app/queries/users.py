"""Reads about users for the admin pages."""

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.models import User


def list_users(session: Session, search: str = "", limit: int = 200) -> list[User]:
    """Users by newest first, optionally those whose email or name contains `search`."""
    stmt = select(User).order_by(User.created_at.desc(), User.id.desc()).limit(limit)
    if search:
        stmt = stmt.where(or_(User.email.contains(search.lower(), autoescape=True),
                              User.display_name.icontains(search, autoescape=True)))
    return list(session.scalars(stmt))
