"""Photos of places once sent: which are shown, what a visitor sees of one, and taking one down.

A photo is sent as a `photo` submission (app/services/submissions.py) and is shown while that submission is
approved and no moderator has removed the photo. Removing one deletes its files from the photo store once the
transaction commits (a rolled-back removal leaves them), unless another shown photo has the same bytes.
"""

from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import event, exists, select
from sqlalchemy.orm import Session

from app.errors import NotFound, ValidationError
from app.models import Photo, Submission, User
from app.models.base import utcnow
from app.photos import PhotoStore
from app.services.audit import record_event
from geo.fields import REPORT_NOTE_MAX
from geo.vocabulary import (
    PHOTO_ALT_TEXTS,
    PHOTO_LICENCE_LABELS,
    PHOTO_LICENCE_URLS,
    PHOTO_PROBLEMS,
    PHOTO_SUBJECT_LABELS,
)

_DELETIONS = "stepfree_photo_deletions"


def is_shown():
    """The condition on Photo under which the public sees it (join Submission on the photo's submission)."""
    return (Photo.removed_at.is_(None)) & (Submission.state == "approved")


def shown_photos(session: Session, place_id: int) -> list[Photo]:
    """The place's photos the public sees, oldest first."""
    return list(session.scalars(
        select(Photo).join(Submission, Submission.id == Photo.submission_id)
        .where(Photo.place_id == place_id, is_shown()).order_by(Photo.id)))


def find_by_file(session: Session, name: str) -> tuple[Photo, str] | None:
    """The photo one of whose files has this name, with its submission's state; a shown one first."""
    row = session.execute(
        select(Photo, Submission.state).join(Submission, Submission.id == Photo.submission_id)
        .where((Photo.name == name) | (Photo.thumbnail == name), Photo.removed_at.is_(None))
        .order_by((Submission.state == "approved").desc(), Photo.id).limit(1)).first()
    return None if row is None else (row[0], row[1])


def photo_view(photo: Photo) -> dict:
    """What a page or the API shows of a photo, in the visitor's language."""
    return {
        "id": photo.id, "subject": photo.subject, "subject_label": _(PHOTO_SUBJECT_LABELS[photo.subject]),
        "alt": _(PHOTO_ALT_TEXTS[photo.subject]),
        "licence": photo.licence, "licence_label": _(PHOTO_LICENCE_LABELS[photo.licence]),
        "licence_url": PHOTO_LICENCE_URLS[photo.licence], "credit": photo.credit,
        "url": url_for("media.photo", name=photo.name), "thumbnail_url": url_for("media.photo", name=photo.thumbnail),
        "width": photo.width, "height": photo.height,
        "thumbnail_width": photo.thumbnail_size[0], "thumbnail_height": photo.thumbnail_size[1],
    }


def get_photo(session: Session, photo_id: int, *, for_update: bool = False) -> Photo:
    photo = session.get(Photo, photo_id, with_for_update=for_update, populate_existing=for_update)
    if photo is None:
        raise NotFound(_("There is no photo %(id)s.", id=photo_id), "photo_id")
    return photo


def clean_removal(reason: str, note: str | None) -> tuple[str, str | None]:
    if reason not in PHOTO_PROBLEMS:
        raise ValidationError(_("%(field)s must be one of %(values)s.", field="reason",
                                values=", ".join(PHOTO_PROBLEMS)), "reason")
    note = (note or "").strip() or None
    if note is not None and len(note) > REPORT_NOTE_MAX:
        raise ValidationError(_("The note may have at most 500 characters."), "note")
    return reason, note


def mark_removed(session: Session, photo: Photo, moderator: User, reason: str, note: str | None, store: PhotoStore, *,
                 submission_id: int | None = None) -> bool:
    """Take a photo down (the caller holds its row lock); False when it was already down. Its files go at commit."""
    if photo.removed_at is not None:
        return False
    photo.removed_at = utcnow()
    photo.removed_by_id = moderator.id
    photo.removed_reason = reason
    photo.removed_note = note
    session.flush()
    for name in (photo.name, photo.thumbnail):
        if not _still_used(session, name):
            session.info.setdefault(_DELETIONS, []).append((store, name))
    record_event(session, moderator, "remove_photo", place_id=photo.place_id,
                 submission_id=submission_id or photo.submission_id, reason=reason,
                 details={"photo_id": photo.id, **({"note": note} if note else {})})
    return True


def prune_not_accepted(session: Session, store: PhotoStore, *, decided_before: datetime) -> int:
    """Delete the files of photos that will never be shown: their submission was rejected, withdrawn or
    superseded before `decided_before` (the undo window's start, so no decision that can still be taken back).
    Each is marked removed ("not_accepted"), so it is pruned once; the files go at commit. Returns how many."""
    photos = session.scalars(
        select(Photo).join(Submission, Submission.id == Photo.submission_id)
        .where(Photo.removed_at.is_(None), Submission.state.in_(("rejected", "withdrawn", "superseded")),
               Submission.decided_at < decided_before)
        .order_by(Photo.id).with_for_update(of=Photo, skip_locked=True)).all()
    for photo in photos:
        photo.removed_at = utcnow()
        photo.removed_reason = "not_accepted"
    session.flush()
    for photo in photos:
        for name in (photo.name, photo.thumbnail):
            if not _still_used(session, name):
                session.info.setdefault(_DELETIONS, []).append((store, name))
    return len(photos)


def _still_used(session: Session, name: str) -> bool:
    """Whether a photo that is not removed has a file of this name (the same bytes sent twice share files)."""
    return bool(session.scalar(select(exists().where((Photo.name == name) | (Photo.thumbnail == name),
                                                     Photo.removed_at.is_(None)))))


@event.listens_for(Session, "after_commit")
def _delete_removed_files(session: Session) -> None:
    for store, name in session.info.pop(_DELETIONS, []):
        store.delete(name)


@event.listens_for(Session, "after_rollback")
def _keep_files(session: Session) -> None:
    session.info.pop(_DELETIONS, None)
