"""Resolving reports on published places: correct the place, hide it, revert it, or dismiss the report.

A report that led to an action ends `approved`, and the revision it caused carries the report's id (so
"undo" can restore the place); a dismissed report ends `rejected` with a reason code, which its author
sees on their submissions page.
"""

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app import validation
from app.errors import Conflict, ValidationError
from app.models import Submission, User
from app.models.submissions import REJECT_REASONS
from app.services import reverts
from app.services.audit import record_event
from app.services.moderation import already_decided, ensure_not_claimed_by_other, finish, lock_submission, reject
from app.services.places import apply_change, get_place
from geo.fields import MODERATOR_CORRECTION


def _open_report(session: Session, submission_id: int, moderator: User) -> Submission | None:
    """Lock a pending report for a decision; None if it was already resolved (repeating is a no-op)."""
    report = lock_submission(session, submission_id)
    if report.kind != "report":
        raise ValidationError(_("Submission %(id)s is not a report.", id=report.id), "submission_id")
    if report.state == "approved":
        return None
    if report.is_terminal:
        raise Conflict(already_decided(report, "report"), "submission_id", code="already_decided")
    ensure_not_claimed_by_other(report, moderator)
    return report


def correct_place(session: Session, submission_id: int, moderator: User, values: dict) -> Submission:
    """Edit the reported place's values and resolve the report."""
    report = _open_report(session, submission_id, moderator)
    if report is None:
        return lock_submission(session, submission_id)
    changes = validation.clean(MODERATOR_CORRECTION, values)
    place = get_place(session, report.place_id, for_update=True)
    apply_change(session, place, changes, revision_source="correction", actor=moderator, submission_id=report.id)
    finish(report, "approved", moderator)
    record_event(session, moderator, "correct", submission_id=report.id, place_id=place.id,
                 details={"fields": sorted(changes)})
    session.flush()
    return report


def _resolve_by_acting(session: Session, submission_id: int, moderator: User, act) -> Submission:
    """Run `act(report)` on the reported place and resolve the report as approved (a no-op if already done)."""
    report = _open_report(session, submission_id, moderator)
    if report is None:
        return lock_submission(session, submission_id)
    act(report)
    finish(report, "approved", moderator)
    session.flush()
    return report


def hide_place(session: Session, submission_id: int, moderator: User) -> Submission:
    """Hide the reported place from every public output (reversible) and resolve the report."""
    return _resolve_by_acting(session, submission_id, moderator, lambda report: reverts.set_hidden(
        session, report.place_id, True, moderator, submission_id=report.id, reason=report.proposed.get("problem")))


def revert_place(session: Session, submission_id: int, moderator: User, version: int) -> Submission:
    """Revert the reported place to an earlier version and resolve the report."""
    return _resolve_by_acting(session, submission_id, moderator, lambda report: reverts.revert_place(
        session, report.place_id, version, moderator, submission_id=report.id,
        reason=report.proposed.get("problem")))


def dismiss(session: Session, submission_id: int, moderator: User, reason_code: str,
            note: str | None = None) -> Submission:
    """Close a report without touching the place; the reporter sees the reason and note."""
    report = lock_submission(session, submission_id)
    if report.kind != "report":
        raise ValidationError(_("Submission %(id)s is not a report.", id=report.id), "submission_id")
    if reason_code not in REJECT_REASONS or reason_code == "banned":
        raise ValidationError(_("%(field)s must be one of %(values)s.", field="reason",
                                values="wrong, duplicate, spam, unverifiable, other"), "reason")
    return reject(session, submission_id, moderator, reason_code, note, action="dismiss")
