"""The moderation policy: who is trusted, how long a claim and an undo last, in one object built from settings.

Trust is decided twice: in Python when a volunteer's submission arrives (auto-approve or queue it), and in
SQL when the queue filters by author type. Both forms come from the one rule below, written once over
operators that evaluate either as Python values or as SQL expressions, so they cannot drift apart again (the
SQL form once counted a banned volunteer with a good record as trusted).
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, case, func, not_, or_, select

from app.models import Submission, User

STAFF_ROLES = ("moderator", "admin")


class _PythonOps:
    and_ = staticmethod(lambda *terms: all(terms))
    or_ = staticmethod(lambda *terms: any(terms))
    not_ = staticmethod(lambda term: not term)
    in_ = staticmethod(lambda value, values: value in values)


class _SqlOps:
    and_ = staticmethod(and_)
    or_ = staticmethod(or_)
    not_ = staticmethod(not_)
    in_ = staticmethod(lambda column, values: column.in_(values))


@dataclass(frozen=True)
class ModerationPolicy:
    trust_min_approved: int = 20
    trust_max_rejected_share: float = 0.05
    claim_lease: timedelta = timedelta(seconds=600)
    undo_window: timedelta = timedelta(seconds=300)

    @classmethod
    def from_config(cls, config) -> "ModerationPolicy":
        return cls(trust_min_approved=config["TRUST_MIN_APPROVED"],
                   trust_max_rejected_share=config["TRUST_MAX_REJECTED_SHARE"],
                   claim_lease=timedelta(seconds=config["CLAIM_LEASE_SECONDS"]),
                   undo_window=timedelta(seconds=config["UNDO_WINDOW_SECONDS"]))

    def _trust_rule(self, ops, *, role, banned, approved, rejected):
        """Not banned, and staff or a good record: enough approvals and few enough rejections."""
        good_record = ops.and_(approved >= self.trust_min_approved,
                               rejected <= self.trust_max_rejected_share * (approved + rejected))
        return ops.and_(ops.not_(banned), ops.or_(ops.in_(role, STAFF_ROLES), good_record))

    def is_trusted(self, *, role: str, banned: bool, approved: int, rejected: int) -> bool:
        """The rule on one user's values (their submissions apply at once when it holds)."""
        return self._trust_rule(_PythonOps, role=role, banned=banned, approved=approved, rejected=rejected)

    def trusted_user_ids(self):
        """The rule in SQL: a select of the ids of every trusted user."""
        record = (select(Submission.author_id.label("user_id"),
                         func.count(case((Submission.state == "approved", 1))).label("approved"),
                         func.count(case((Submission.state == "rejected", 1))).label("rejected"))
                  .where(Submission.author_id.is_not(None)).group_by(Submission.author_id).subquery())
        rule = self._trust_rule(_SqlOps, role=User.role, banned=User.banned_at.is_not(None),
                                approved=func.coalesce(record.c.approved, 0),
                                rejected=func.coalesce(record.c.rejected, 0))
        return select(User.id).outerjoin(record, record.c.user_id == User.id).where(rule)


def current_policy() -> ModerationPolicy:
    """The running app's policy (built once, in create_app)."""
    return current_app.extensions["moderation_policy"]


DEFAULT_POLICY = ModerationPolicy()
