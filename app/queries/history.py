"""A place's history: its revisions, and its values as they were at any version."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Place, Revision, Submission, User
from geo.fields import PLACE_FIELDS


@dataclass
class HistoryEntry:
    revision: Revision
    actor_name: str | None         # for moderators' eyes only
    actor_public_name: str | None  # the name public pages may show: only when the actor opted in
    actor_role: str | None
    submission_kind: str | None
    submission_anonymous: bool

    @property
    def changed_fields(self) -> list[str]:
        return [f for f in PLACE_FIELDS if f in self.revision.after or f in self.revision.before]


def list_revisions(session: Session, place_id: int) -> list[HistoryEntry]:
    """The place's revisions, newest first, with who made each and from which kind of submission.

    A public page names the actor only if they chose a public name (users.public_name); otherwise it says
    "a volunteer" or "a moderator". Moderators see every name.
    """
    stmt = (select(Revision, User.display_name, User.public_name, User.role, Submission.kind, Submission.author_id,
                   Submission.origin)
            .outerjoin(User, User.id == Revision.actor_id)
            .outerjoin(Submission, Submission.id == Revision.submission_id)
            .where(Revision.place_id == place_id).order_by(Revision.version.desc()))
    return [HistoryEntry(revision, name, name if public else None, role, kind,
                         submission_anonymous=kind is not None and author_id is None and origin == "volunteer")
            for revision, name, public, role, kind, author_id, origin in session.execute(stmt)]


def values_at_version(session: Session, place_id: int, version: int) -> dict:
    """The place's recorded values right after `version`, replayed from its revisions."""
    revisions = session.scalars(select(Revision).where(Revision.place_id == place_id, Revision.version <= version)
                                .order_by(Revision.version)).all()
    if not revisions or revisions[-1].version != version:
        raise NotFound(_("Place %(id)s has no version %(version)s.", id=place_id, version=version), "version")
    values: dict = {}
    for revision in revisions:
        values.update(revision.after)
    return {k: values[k] for k in PLACE_FIELDS if k in values}


def get_visible_place(session: Session, place_id: int, *, include_unpublished: bool) -> Place:
    """A place for its page: hidden or gone places exist only for moderators."""
    place = session.get(Place, place_id)
    if place is None or (not place.is_published and not include_unpublished):
        raise NotFound(_("There is no place %(id)s.", id=place_id), "place_id")
    return place
