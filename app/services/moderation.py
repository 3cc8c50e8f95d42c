"""Deciding submissions: approve (apply the change) or reject, exactly once each.

approve() is the single path by which a submission changes a place, for moderators and for trusted
volunteers' auto-approval alike: it locks the submission and the place, applies the change through
places.apply_change (new version + revision), marks the submission approved and writes the audit event,
all in the caller's transaction (DESIGN.md invariant 1).
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from app.errors import AppError, Conflict, NotFound, ValidationError
from app.models import Notice, Photo, Place, Submission, User
from app.models.base import utcnow
from app.models.engagement import NOTICE_VERDICTS
from app.models.submissions import REJECT_REASONS
from app.photos import PhotoStore, photo_store
from app.services import photos
from app.services.audit import record_event
from app.services.places import apply_change, create_place, get_place
from geo.fields import KINDS

__all__ = ["approve", "reject", "bulk_decide", "remove_photo", "lock_submission", "is_stale",
           "ensure_not_claimed_by_other", "finish", "already_decided", "StaleBaseVersion", "ClaimedByOther"]


class StaleBaseVersion(Conflict):
    """The place changed after the submission was made: show current vs proposed, never apply silently."""

    code = "stale_base_version"

    def __init__(self, submission: Submission, place: Place):
        super().__init__(
            _("Place %(place)s is at version %(version)s but submission %(submission)s was made on version "
              "%(base)s. Compare the current values with the proposed ones and approve again to apply it over the "
              "newer data, or reject it.", place=place.id, version=place.version, submission=submission.id,
              base=submission.base_version), "base_version")
        self.current_version = place.version


class ClaimedByOther(AppError):
    status = 409
    code = "claimed_by_other"


def lock_submission(session: Session, submission_id: int) -> Submission:
    """Lock a submission and its place for a decision: the place first, then the submission.

    Every writer takes row locks in that order (places before submissions, each by ascending id when there
    are several), so two transactions never wait on each other in a circle.
    """
    place_id = session.scalar(select(Submission.place_id).where(Submission.id == submission_id))
    if place_id is not None:
        get_place(session, place_id, for_update=True)
    submission = session.scalar(
        select(Submission).where(Submission.id == submission_id).with_for_update().execution_options(
            populate_existing=True))
    if submission is None:
        raise NotFound(_("There is no submission %(id)s.", id=submission_id), "submission_id")
    return submission


def lock_places_of(session: Session, submission_ids) -> None:
    """Lock, in id order, the places that the given submissions are about (before any of the submissions)."""
    place_ids = select(Submission.place_id).where(Submission.id.in_(list(submission_ids)))
    session.execute(select(Place.id).where(Place.id.in_(place_ids)).order_by(Place.id).with_for_update())


def lock_undecided(session: Session, submission_id: int, decision: str) -> Submission:
    """Lock a submission that is pending or already has `decision` (repeating a decision is a no-op)."""
    submission = lock_submission(session, submission_id)
    if submission.is_terminal and submission.state != decision:
        raise Conflict(already_decided(submission), "submission_id", code="already_decided")
    return submission


# Why a decided submission or report cannot be decided again: one sentence per state, for translators.
_ALREADY_DECIDED = {
    ("submission", "approved"): _l("Submission %(id)s was already decided (approved)."),
    ("submission", "rejected"): _l("Submission %(id)s was already decided (rejected)."),
    ("submission", "superseded"): _l("Submission %(id)s was already decided (superseded)."),
    ("submission", "withdrawn"): _l("Submission %(id)s was already decided (withdrawn)."),
    ("submission", None): _l("Submission %(id)s was already decided (%(state)s)."),
    ("report", "rejected"): _l("Report %(id)s was already decided (rejected)."),
    ("report", "superseded"): _l("Report %(id)s was already decided (superseded)."),
    ("report", "withdrawn"): _l("Report %(id)s was already decided (withdrawn)."),
    ("report", None): _l("Report %(id)s was already decided (%(state)s)."),
}


def already_decided(submission: Submission, noun: str = "submission") -> str:
    message = _ALREADY_DECIDED.get((noun, submission.state)) or _ALREADY_DECIDED[noun, None]
    return str(message) % {"id": submission.id, "state": submission.state}


def ensure_not_claimed_by_other(submission: Submission, moderator: User) -> None:
    """Refuse to decide a submission another moderator holds a live lease on."""
    if (submission.claimed_by_id is not None and submission.claimed_by_id != moderator.id
            and submission.claim_expires_at is not None and submission.claim_expires_at > utcnow()):
        raise ClaimedByOther(_("Submission %(id)s is being reviewed by another moderator; take the next one from "
                               "the queue.", id=submission.id), "submission_id")


def finish(submission: Submission, state: str, moderator: User | None, *, notify: bool = True) -> None:
    """Put a submission in its terminal state, drop its claim, and tell its volunteer of the verdict.

    What the notice needs is read before anything changes: reading an expired attribute (after a bulk import
    expired the session) flushes, and a half-changed submission (rejected, its reason not set yet) must never
    reach the database."""
    notice = None
    if notify and submission.origin == "volunteer" and state in NOTICE_VERDICTS:
        notice = Notice(user_id=submission.author_id,
                        device_hash=None if submission.author_id else submission.device_hash,
                        submission_id=submission.id, verdict=state)
    session = object_session(submission)
    with session.no_autoflush:
        submission.state = state
        submission.decided_by_id = moderator.id if moderator else None
        submission.decided_at = utcnow()
        submission.claimed_by_id = None
        submission.claim_expires_at = None
    if notice is not None:
        session.add(notice)


def _apply(session: Session, submission: Submission, actor: User | None, revision_source: str) -> None:
    kind = KINDS[submission.kind]
    if not kind.applies:  # a report changes nothing by itself; the moderator acts on the place separately
        return
    changes = {k: v for k, v in submission.proposed.items() if k in kind.fields}
    if submission.kind == "new_place" and submission.place_id is None:
        place = create_place(session, changes, source="volunteer", revision_source=revision_source, actor=actor,
                             submission_id=submission.id)
        submission.place_id = place.id
        return
    if submission.kind == "new_place":
        # Approved before, then undone (which hid the place it had created): bring that place back.
        changes["hidden"] = False
    place = get_place(session, submission.place_id, for_update=True)
    apply_change(session, place, changes, revision_source=revision_source, actor=actor,
                 submission_id=submission.id, verified=True)


def is_stale(session: Session, submission: Submission) -> bool:
    """Whether the place changed after the submission was made (base version ≠ current version)."""
    if submission.place_id is None or submission.base_version is None:
        return False
    current = session.scalar(select(Place.version).where(Place.id == submission.place_id))
    return current != submission.base_version


def approve(session: Session, submission_id: int, moderator: User, *, auto: bool = False,
            over_conflict: bool = False) -> Submission:
    """Apply a pending submission once; approving an approved one again is a no-op.

    A submission based on an older place version raises StaleBaseVersion unless the moderator, having
    seen current and proposed values, passes over_conflict=True.
    """
    submission = lock_undecided(session, submission_id, "approved")
    if submission.state == "approved":
        return submission
    if submission.kind == "report":
        raise ValidationError(_("A report is resolved by correcting, hiding or reverting the place, or by "
                                "dismissing it; it cannot be approved as such."), "action")
    if submission.kind == "duplicate":
        # Approving one merges two places (services/duplicates.py), which only its own action does.
        raise ValidationError(_("A possible duplicate is approved by merging the two places, or rejected as not the "
                                "same place; it cannot be approved as such."), "action")
    if not auto:
        ensure_not_claimed_by_other(submission, moderator)
    # A photo or a photo's report is about the photo, not the place's values: it cannot be stale.
    if submission.place_id is not None and submission.kind != "new_place" and KINDS[submission.kind].applies:
        place = get_place(session, submission.place_id, for_update=True)
        if submission.base_version is not None and place.version != submission.base_version and not over_conflict:
            raise StaleBaseVersion(submission, place)
    _apply(session, submission, moderator, "auto_approval" if auto else "moderation")
    if submission.kind == "photo_report":
        _remove_reported_photo(session, submission, moderator)
    # A trusted volunteer sees their answer applied at once: a notice would only repeat it.
    finish(submission, "approved", moderator, notify=not auto)
    submission.auto_approved = auto
    record_event(session, moderator, "auto_approve" if auto else "approve", submission_id=submission.id,
                 place_id=submission.place_id, details={"kind": submission.kind})
    session.flush()
    return submission


def _remove_reported_photo(session: Session, report: Submission, moderator: User) -> None:
    """Approving a photo's report takes the photo down (the place is already locked), for the reported reason."""
    photo = photos.get_photo(session, report.proposed["photo_id"], for_update=True)
    if photos.mark_removed(session, photo, moderator, report.proposed["photo_problem"], None, photo_store(),
                           submission_id=report.id):
        _close_photo_reports(session, photo, moderator, but=report.id)


def remove_photo(session: Session, photo_id: int, moderator: User, reason: str, note: str | None = None, *,
                 store: PhotoStore | None = None) -> Photo:
    """A moderator takes a photo down (its files are deleted at commit); its pending reports are resolved by it.
    Removing a removed photo again changes nothing."""
    reason, note = photos.clean_removal(reason, note)
    place_id = session.scalar(select(Photo.place_id).where(Photo.id == photo_id))
    if place_id is None:
        raise NotFound(_("There is no photo %(id)s.", id=photo_id), "photo_id")
    get_place(session, place_id, for_update=True)  # places before what hangs on them (lock_submission)
    photo = photos.get_photo(session, photo_id, for_update=True)
    if photos.mark_removed(session, photo, moderator, reason, note, store or photo_store()):
        _close_photo_reports(session, photo, moderator)
    session.flush()
    return photo


def _close_photo_reports(session: Session, photo: Photo, moderator: User, *, but: int | None = None) -> None:
    """The photo's pending reports got what they asked for: each ends approved, and its reporter hears so."""
    reports = session.scalars(
        select(Submission).where(Submission.kind == "photo_report", Submission.state == "pending",
                                 Submission.proposed["photo_id"].as_integer() == photo.id,
                                 Submission.id != (but or 0))
        .order_by(Submission.id).with_for_update())
    for report in reports:
        finish(report, "approved", moderator)
        record_event(session, moderator, "approve", submission_id=report.id, place_id=report.place_id,
                     details={"kind": report.kind, "photo_id": photo.id})


def _unknown_reason() -> str:
    return _("%(field)s must be one of %(values)s.", field="reason", values=", ".join(REJECT_REASONS))


def reject(session: Session, submission_id: int, moderator: User | None, reason_code: str,
           note: str | None = None, *, ignore_claim: bool = False, action: str = "reject") -> Submission:
    """Reject a pending submission with a reason; the place is never touched. Repeating it is a no-op."""
    if reason_code not in REJECT_REASONS:
        raise ValidationError(_unknown_reason(), "reason")
    note = (note or "").strip() or None
    if note is not None and len(note) > 500:
        raise ValidationError(_("The note may have at most 500 characters."), "note")
    submission = lock_undecided(session, submission_id, "rejected")
    if submission.state == "rejected":
        return submission
    if moderator is not None and not ignore_claim:
        ensure_not_claimed_by_other(submission, moderator)
    submission.reason_code = reason_code  # first: a rejected submission always has its reason
    submission.reason_note = note
    finish(submission, "rejected", moderator)
    record_event(session, moderator, action, submission_id=submission.id, place_id=submission.place_id,
                 reason=reason_code, details={"note": note} if note else None)
    session.flush()
    return submission


@dataclass
class BulkResult:
    decided: list[int] = field(default_factory=list)
    # (submission id, why it was left pending)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def bulk_decide(session: Session, submission_ids, moderator: User, action: str, reason_code: str | None = None,
                note: str | None = None) -> BulkResult:
    """Approve or reject several submissions, each as its own decision; the ones that cannot be are skipped.

    Each runs in a savepoint, so a conflict on one (stale base version, someone else's claim, a report)
    leaves it pending without undoing the others.
    """
    if action not in ("approve", "reject"):
        raise ValidationError(_("%(field)s must be approve or reject.", field="action"), "action")
    if action == "reject" and reason_code not in REJECT_REASONS:
        raise ValidationError(_unknown_reason(), "reason")
    ids = sorted({int(i) for i in submission_ids})
    if not ids:
        raise ValidationError(_("Select at least one submission."), "ids")
    lock_places_of(session, ids)
    result = BulkResult()
    for submission_id in ids:
        try:
            with session.begin_nested():
                if action == "approve":
                    approve(session, submission_id, moderator)
                else:
                    reject(session, submission_id, moderator, reason_code, note)
        except AppError as error:
            result.skipped.append((submission_id, error.message))
        else:
            result.decided.append(submission_id)
    return result
