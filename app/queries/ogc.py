"""Reads for the OGC API's HTML pages, beside the export queries they share their filters with."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Place
from app.queries.export import PlaceFilters, place_conditions


def previous_cursor(session: Session, filters: PlaceFilters, *, limit: int, after_id: int) -> int:
    """The `after` cursor of the page before the one that starts above after_id (0: the first page).

    Keyset pages only know their way forward; a person paging back in a browser needs the way back too.
    """
    cursor = session.scalar(
        select(Place.id).where(place_conditions(filters), Place.id <= after_id)
        .order_by(Place.id.desc()).offset(limit).limit(1))
    return cursor or 0
