"""Claiming queue items: each moderator holds at most the submissions they were given, for a short lease.

"Review next" picks the oldest pending submission nobody holds with `SELECT ... FOR UPDATE SKIP LOCKED`, so
two moderators asking at the same moment lock different rows and never get the same item (DESIGN.md
invariant 2). The lease is a timestamp, not a lock: when it runs out the item is claimable again, so a
moderator who closes the laptop does not keep an item away from the queue.
"""

import logging

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.errors import Conflict, Forbidden
from app.models import Submission, User
from app.models.base import utcnow
from app.policy import DEFAULT_POLICY, ModerationPolicy
from app.queries.moderation import QueueFilters, filter_clauses
from app.services.audit import record_event
from app.services.moderation import already_decided, lock_submission

log = logging.getLogger(__name__)


def claimable(moderator_id: int | None = None):
    """Pending and held by nobody, by someone whose lease ran out, or by this moderator already."""
    free = [Submission.claimed_by_id.is_(None), Submission.claim_expires_at <= utcnow()]
    if moderator_id is not None:
        # A moderator's own live claims stay claimable by them (after an undo, or a closed tab).
        free.append(Submission.claimed_by_id == moderator_id)
    return (Submission.state == "pending") & or_(*free)


def next_claim_statement(filters: QueueFilters | None = None, exclude_ids=(), *,
                         policy: ModerationPolicy = DEFAULT_POLICY, moderator_id: int | None = None):
    """The select that finds and locks the next claimable submission (shared with the benchmark)."""
    stmt = (select(Submission).where(claimable(moderator_id), *filter_clauses(filters or QueueFilters(), policy))
            .order_by(Submission.created_at, Submission.id).limit(1)
            .with_for_update(skip_locked=True, of=Submission))
    if exclude_ids:
        stmt = stmt.where(Submission.id.not_in(list(exclude_ids)))
    return stmt


def claim_next(session: Session, moderator: User, filters: QueueFilters | None = None,
               exclude_ids=(), *, policy: ModerationPolicy = DEFAULT_POLICY) -> Submission | None:
    """Claim the oldest pending submission matching `filters` for `moderator`; None if the queue is empty."""
    submission = session.scalar(next_claim_statement(filters, exclude_ids, policy=policy,
                                                     moderator_id=moderator.id)
                                .execution_options(populate_existing=True))
    if submission is None:
        return None
    _take(session, submission, moderator, policy)
    return submission


def claim(session: Session, submission_id: int, moderator: User, *,
          policy: ModerationPolicy = DEFAULT_POLICY) -> Submission:
    """Claim one named submission (opened from the list); refused while another moderator holds it."""
    submission = lock_submission(session, submission_id)
    if submission.is_terminal:
        raise Conflict(already_decided(submission), "submission_id", code="already_decided")
    if holder_id(submission) not in (None, moderator.id):
        raise Conflict(_("Submission %(id)s is being reviewed by another moderator; take the next one from the "
                         "queue.", id=submission.id), "submission_id", code="claimed_by_other")
    _take(session, submission, moderator, policy)
    return submission


def holder_id(submission: Submission) -> int | None:
    """Who holds a live lease on the submission, if anyone."""
    if submission.claimed_by_id is None or submission.claim_expires_at is None:
        return None
    return submission.claimed_by_id if submission.claim_expires_at > utcnow() else None


def release(session: Session, submission_id: int, actor: User, *, action: str = "release") -> Submission:
    """Give a claim back to the queue: the holder may (skip), an admin may release anyone's."""
    submission = lock_submission(session, submission_id)
    holder = holder_id(submission)
    if holder is None and submission.claimed_by_id is None:
        return submission
    if holder not in (None, actor.id) and not actor.is_admin:
        raise Forbidden(_("Only an admin can release another moderator's claim."), "submission_id")
    previous = submission.claimed_by_id
    if holder not in (None, actor.id):
        log.info("admin %s released submission %s held by user %s", actor.id, submission.id, holder)
    submission.claimed_by_id = None
    submission.claim_expires_at = None
    record_event(session, actor, action, submission_id=submission.id, place_id=submission.place_id,
                 target_user_id=previous if previous != actor.id else None)
    session.flush()
    return submission


def _take(session: Session, submission: Submission, moderator: User, policy: ModerationPolicy) -> None:
    submission.claimed_by_id = moderator.id
    submission.claim_expires_at = utcnow() + policy.claim_lease
    record_event(session, moderator, "claim", submission_id=submission.id, place_id=submission.place_id)
    session.flush()
