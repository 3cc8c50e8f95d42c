"""Reversals: revert a place to an earlier revision, hide or unhide it, and undo a moderator's last decision.

Nothing is ever deleted: each reversal is a new revision through places.apply_change plus its audit
event, in the caller's transaction (DESIGN.md invariant 1).
"""


from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.errors import Conflict, Forbidden, ValidationError
from app.i18n import place_label
from app.models import Notice, Place, Revision, Submission, User
from app.models.base import utcnow
from app.policy import DEFAULT_POLICY, ModerationPolicy
from app.queries.history import values_at_version
from app.services.audit import record_event
from app.services.moderation import lock_submission
from app.services.places import apply_change, get_place


def revert_place(session: Session, place_id: int, version: int, moderator: User, *, reason: str | None = None,
                 submission_id: int | None = None, details: dict | None = None) -> Place:
    """Give the place the values it had right after `version`, as a new revision."""
    place = get_place(session, place_id, for_update=True)
    if version >= place.version:
        raise ValidationError(_("Choose an earlier version than the current one (%(version)s).", version=place.version),
                              "version")
    target = values_at_version(session, place_id, version)
    revision = apply_change(session, place, target, revision_source="revert", actor=moderator,
                            submission_id=submission_id, verified=False)
    record_event(session, moderator, "revert", place_id=place.id, submission_id=submission_id, reason=reason,
                 details={"to_version": version, "new_version": place.version, "changed": revision is not None,
                          **(details or {})})
    return place


def set_hidden(session: Session, place_id: int, hidden: bool, moderator: User, *, reason: str | None = None,
               submission_id: int | None = None) -> Place:
    """Hide a place from every public output (soft and reversible), or show it again."""
    place = get_place(session, place_id, for_update=True)
    revision = apply_change(session, place, {"hidden": hidden}, revision_source="moderation", actor=moderator,
                            submission_id=submission_id, verified=False)
    if revision is not None:
        record_event(session, moderator, "hide" if hidden else "unhide", place_id=place.id,
                     submission_id=submission_id, reason=reason)
    return place


def undo_decision(session: Session, submission_id: int, moderator: User, *,
                  policy: ModerationPolicy = DEFAULT_POLICY) -> Submission:
    """Take back a moderator's own recent decision: restore the place if it changed, and reopen the submission.

    Refused when the window has passed or when the place changed again since, because restoring
    then would overwrite someone else's newer values.
    """
    submission = lock_submission(session, submission_id)
    if submission.state not in ("approved", "rejected") or submission.auto_approved:
        raise Conflict(_("Submission %(id)s has no decision to undo.", id=submission.id), "submission_id",
                       code="not_undoable")
    if submission.kind == "photo_report" and submission.state == "approved":
        raise Conflict(_("The reported photo was removed and its files deleted at once; it cannot be brought back. "
                         "Ask for the photo to be sent again if it should be shown."), "submission_id",
                       code="not_undoable")
    if submission.kind == "duplicate" and submission.state == "approved":
        raise Conflict(_("A merge changed two places and moved their pending submissions; it cannot be undone in one "
                         "step. Show the volunteer's place again and revert the OpenStreetMap place from their "
                         "histories."), "submission_id", code="not_undoable")
    if submission.decided_by_id != moderator.id:
        raise Forbidden(_("You can only undo your own decisions."), "submission_id")
    if submission.decided_at is None or utcnow() - submission.decided_at > policy.undo_window:
        minutes = round(policy.undo_window.total_seconds() / 60)
        raise Conflict(ngettext("The decision on submission %(id)s is more than %(num)s minute old; revert the place "
                                "from its history instead.",
                                "The decision on submission %(id)s is more than %(num)s minutes old; revert the "
                                "place from its history instead.", minutes, id=submission.id),
                       "submission_id", code="undo_expired")
    applied = session.scalars(select(Revision).where(Revision.submission_id == submission.id,
                                                     Revision.source != "undo")
                              .order_by(Revision.version.desc()).limit(1)).first()
    if submission.state == "approved" and applied is not None:
        place = get_place(session, applied.place_id, for_update=True)
        if place.version != applied.version:
            raise Conflict(_("%(name)s changed again after this decision (now version %(version)s); undoing it would "
                             "overwrite newer values. Revert from the place's history instead.",
                             name=place_label(place), version=place.version), "submission_id", code="changed_since")
        # A creation has nothing before it: undoing it hides the place it created.
        restore = dict(applied.before) if applied.before else {"hidden": True}
        apply_change(session, place, restore, revision_source="undo", actor=moderator, submission_id=submission.id,
                     verified=False)
    previous = {"state": submission.state, "reason_code": submission.reason_code}
    # The verdict is taken back, so is the news of it (if the volunteer has not read it yet).
    session.execute(delete(Notice).where(Notice.submission_id == submission.id, Notice.read_at.is_(None)))
    submission.state = "pending"
    submission.decided_by_id = None
    submission.decided_at = None
    submission.reason_code = None
    submission.reason_note = None
    # The moderator lands back on the item, holding it, to decide it again.
    submission.claimed_by_id = moderator.id
    submission.claim_expires_at = utcnow() + policy.claim_lease
    record_event(session, moderator, "undo", submission_id=submission.id, place_id=submission.place_id,
                 details=previous)
    session.flush()
    return submission
