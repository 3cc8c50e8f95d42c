"""Read-side queries about places."""

from sqlalchemy import and_
from sqlalchemy.sql.elements import ColumnElement

from app.models import Place


def is_published() -> ColumnElement[bool]:
    """Public outputs show only places that are neither hidden by a moderator nor gone from OSM."""
    return and_(Place.hidden_at.is_(None), Place.gone_at.is_(None))
