"""The moderation policy: who is trusted, how long a claim and an undo last, when a place is due for a check
and how many disagreeing volunteers reopen a value, in one object built from settings.

Trust is decided twice: in Python when a volunteer's submission arrives (auto-approve or queue it), and in
SQL when the queue filters by author type. Both forms come from the one rule below, written once over
operators that evaluate either as Python values or as SQL expressions, so they cannot drift apart again (the
SQL form once counted a banned volunteer with a good record as trusted). Freshness (which places /check asks
about) is written the same way: once, evaluated in Python for one place and in SQL for the nearest ones.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, func, literal, not_, or_, select

from app.models import Revision, Submission, User, Vote

STAFF_ROLES = ("moderator", "admin")


class _PythonOps:
    and_ = staticmethod(lambda *terms: all(terms))
    or_ = staticmethod(lambda *terms: any(terms))
    not_ = staticmethod(lambda term: not term)
    in_ = staticmethod(lambda value, values: value in values)
    is_null = staticmethod(lambda value: value is None)
    before = staticmethod(lambda value, bound: value is not None and value < bound)
    choose = staticmethod(lambda value, cases, default: cases.get(value, default))


class _SqlOps:
    and_ = staticmethod(and_)
    or_ = staticmethod(or_)
    not_ = staticmethod(not_)
    in_ = staticmethod(lambda column, values: column.in_(values))
    is_null = staticmethod(lambda column: column.is_(None))
    before = staticmethod(lambda column, bound: column < bound)
    choose = staticmethod(lambda column, cases, default: case(
        *((column == key, literal(value)) for key, value in cases.items()), else_=literal(default)))


@dataclass(frozen=True)
class ModerationPolicy:
    trust_min_approved: int = 20
    trust_max_rejected_share: float = 0.05
    trust_agreement_weight: float = 0.5
    claim_lease: timedelta = timedelta(seconds=600)
    undo_window: timedelta = timedelta(seconds=300)
    recheck_after: timedelta = timedelta(days=4 * 365)
    recheck_limited_no_after: timedelta = timedelta(days=2 * 365)
    peer_check_window: timedelta = timedelta(days=30)
    votes_to_reopen: int = 2

    @classmethod
    def from_config(cls, config) -> "ModerationPolicy":
        return cls(trust_min_approved=config["TRUST_MIN_APPROVED"],
                   trust_max_rejected_share=config["TRUST_MAX_REJECTED_SHARE"],
                   trust_agreement_weight=config["TRUST_AGREEMENT_WEIGHT"],
                   claim_lease=timedelta(seconds=config["CLAIM_LEASE_SECONDS"]),
                   undo_window=timedelta(seconds=config["UNDO_WINDOW_SECONDS"]),
                   recheck_after=timedelta(days=config["RECHECK_AFTER_DAYS"]),
                   recheck_limited_no_after=timedelta(days=config["RECHECK_LIMITED_NO_AFTER_DAYS"]),
                   peer_check_window=timedelta(days=config["PEER_CHECK_DAYS"]),
                   votes_to_reopen=config["VOTES_TO_REOPEN"])

    def _trust_rule(self, ops, *, role, banned, approved, rejected, agreed):
        """Not banned, and staff or a good record: enough approvals (other volunteers' agreement with the
        user's applied changes counting for part of one each) and few enough rejections."""
        good_record = ops.and_(approved + self.trust_agreement_weight * agreed >= self.trust_min_approved,
                               rejected <= self.trust_max_rejected_share * (approved + rejected))
        return ops.and_(ops.not_(banned), ops.or_(ops.in_(role, STAFF_ROLES), good_record))

    def is_trusted(self, *, role: str, banned: bool, approved: int, rejected: int, agreed: int = 0) -> bool:
        """The rule on one user's values (their submissions apply at once when it holds)."""
        return self._trust_rule(_PythonOps, role=role, banned=banned, approved=approved, rejected=rejected,
                                agreed=agreed)

    def trusted_user_ids(self, among=None):
        """The rule in SQL: a select of the ids of every trusted user (or of those trusted among the given ids,
        which reads only their records: the queue asks about one page's authors)."""
        decided = [Submission.author_id.is_not(None), Submission.state.in_(("approved", "rejected"))]
        if among is not None:
            decided.append(Submission.author_id.in_(among))
        # Only decided submissions count, read through their partial index (ix_submissions_author_decided).
        record = (select(Submission.author_id.label("user_id"),
                         func.count(case((Submission.state == "approved", 1))).label("approved"),
                         func.count(case((Submission.state == "rejected", 1))).label("rejected"))
                  .where(*decided).group_by(Submission.author_id).subquery())
        agreement = agreements_by_author(among).subquery()
        rule = self._trust_rule(_SqlOps, role=User.role, banned=User.banned_at.is_not(None),
                                approved=func.coalesce(record.c.approved, 0),
                                rejected=func.coalesce(record.c.rejected, 0),
                                agreed=func.coalesce(agreement.c.agreed, 0))
        users = (select(User.id).outerjoin(record, record.c.user_id == User.id)
                 .outerjoin(agreement, agreement.c.user_id == User.id).where(rule))
        return users if among is None else users.where(User.id.in_(among))

    def _recheck_after(self, ops, wheelchair):
        return ops.choose(wheelchair, {"limited": self.recheck_limited_no_after, "no": self.recheck_limited_no_after},
                          self.recheck_after)

    def _due_rule(self, ops, *, wheelchair, last_verified_at, now):
        """Due for a check: the status is unknown, nobody ever confirmed it here, or the confirmation is old
        (older for yes than for limited and no, which change more often)."""
        return ops.or_(wheelchair == "unknown", ops.is_null(last_verified_at),
                       ops.before(last_verified_at, now - self._recheck_after(ops, wheelchair)))

    def is_due(self, *, wheelchair: str, last_verified_at: datetime | None, now: datetime) -> bool:
        return self._due_rule(_PythonOps, wheelchair=wheelchair, last_verified_at=last_verified_at, now=now)

    def due_clause(self, wheelchair, last_verified_at, now):
        """The same rule as a SQL condition on the given columns."""
        return self._due_rule(_SqlOps, wheelchair=wheelchair, last_verified_at=last_verified_at, now=now)


def agreements_by_author(among=None):
    """Per author (or per author among the given ids): how many agreeing votes their applied changes received
    (votes are by signed-in volunteers)."""
    statement = (select(Submission.author_id.label("user_id"), func.count().label("agreed"))
                 .select_from(Vote).join(Revision, Revision.id == Vote.revision_id)
                 .join(Submission, Submission.id == Revision.submission_id)
                 .where(Vote.agrees, Submission.author_id.is_not(None), Vote.voter_id != Submission.author_id)
                 .group_by(Submission.author_id))
    return statement if among is None else statement.where(Submission.author_id.in_(among))


def current_policy() -> ModerationPolicy:
    """The running app's policy (built once, in create_app)."""
    return current_app.extensions["moderation_policy"]


DEFAULT_POLICY = ModerationPolicy()
