"""Read side of possible duplicates: the two places of a `duplicate` item, for the review screen."""

from dataclasses import dataclass

from geoalchemy2 import Geography
from sqlalchemy import cast, func, select
from sqlalchemy.orm import Session, aliased

from app.models import Place, Submission


@dataclass
class DuplicatePair:
    volunteer: Place
    osm: Place
    metres: float


def duplicate_pair(session: Session, submission: Submission) -> DuplicatePair | None:
    """The volunteer's place and the OSM place a `duplicate` item pairs, and how far apart they are."""
    if submission.kind != "duplicate":
        return None
    volunteer, osm = aliased(Place), aliased(Place)
    row = session.execute(
        select(volunteer, osm, func.ST_Distance(cast(volunteer.geom, Geography), cast(osm.geom, Geography)))
        .select_from(volunteer).join(osm, osm.id == int(submission.proposed["duplicate_of"]))
        .where(volunteer.id == submission.place_id)).first()
    return DuplicatePair(row[0], row[1], round(row[2], 1)) if row is not None else None


def merged_into(session: Session, place: Place) -> Place | None:
    """The place a merged place was folded into."""
    return session.get(Place, place.merged_into_id) if place.merged_into_id is not None else None


def surviving_place(session: Session, place_id: int) -> Place | None:
    """For a place merged into another (and that one perhaps into a third): the published place it lives on in.
    None for a place that was not merged, or whose last successor is hidden or gone too."""
    place, seen = session.get(Place, place_id), {place_id}
    if place is None or place.merged_into_id is None:
        return None
    while place.merged_into_id is not None and place.merged_into_id not in seen:
        seen.add(place.merged_into_id)
        place = session.get(Place, place.merged_into_id)
    return place if place.is_published else None
