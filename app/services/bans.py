"""Banning abusers, signed-in or anonymous, and rolling back what they changed.

A ban stops new submissions (accounts.ban_user / the device_bans table that submissions.ensure_may_submit
checks), rejects everything of theirs still pending with reason "banned", and offers to revert each place
they changed. A place someone else changed after them is left for a person to look at, never overwritten.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.errors import Forbidden, ValidationError
from app.models import DeviceBan, Place, Revision, Submission, User
from app.queries.history import values_at_version
from app.services import accounts, reverts
from app.services.audit import record_event
from app.services.moderation import reject
from app.services.places import snapshot

# Revisions that apply an author's own submissions; moderators' reverts and undos are not theirs.
AUTHORED_SOURCES = ("moderation", "auto_approval")


@dataclass(frozen=True)
class Author:
    """Whose work a ban covers: an account, or an anonymous device by its token's hash."""

    user_id: int | None = None
    device_hash: str | None = None

    def __post_init__(self):
        if (self.user_id is None) == (self.device_hash is None):
            raise ValidationError(_("Name either a user or a device."), "author")

    def submissions_clause(self):
        if self.user_id is not None:
            return Submission.author_id == self.user_id
        return and_(Submission.device_hash == self.device_hash, Submission.author_id.is_(None))


@dataclass
class PlannedRevert:
    place: Place
    their_versions: list[int]
    # The version to go back to; None with hide=True when they created the place.
    to_version: int | None
    hide: bool = False
    blocked: str | None = None

    @property
    def possible(self) -> bool:
        return self.blocked is None


def is_banned(session: Session, author: Author) -> bool:
    if author.user_id is not None:
        user = session.get(User, author.user_id)
        return user is not None and user.is_banned
    return session.get(DeviceBan, author.device_hash) is not None


def ban(session: Session, actor: User, author: Author, reason: str | None) -> list[int]:
    """Ban the author and reject all their pending submissions (reason "banned"); return the rejected ids."""
    reason = (reason or "").strip()[:500] or None
    if author.user_id is not None:
        user = accounts.get_user(session, author.user_id)
        if user.is_moderator and not actor.is_admin:
            raise Forbidden(_("Only an admin can ban a moderator or an admin."), "author")
        accounts.ban_user(session, actor, user, reason or "")
    elif session.get(DeviceBan, author.device_hash) is None:
        session.add(DeviceBan(device_hash=author.device_hash, banned_by_id=actor.id, reason=reason))
        record_event(session, actor, "ban", target_device_hash=author.device_hash, reason=reason)
    pending = session.scalars(select(Submission.id).where(author.submissions_clause(), Submission.state == "pending")
                              .order_by(Submission.id)).all()
    for submission_id in pending:
        reject(session, submission_id, actor, "banned", reason, ignore_claim=True)
    session.flush()
    return list(pending)


def unban_device(session: Session, actor: User, device_hash: str) -> None:
    """Let an anonymous device submit again."""
    ban_row = session.get(DeviceBan, device_hash)
    if ban_row is not None:
        session.delete(ban_row)
        record_event(session, actor, "unban", target_device_hash=device_hash)
        session.flush()


def revert_plan(session: Session, author: Author) -> list[PlannedRevert]:
    """For each place the author changed, how a revert would undo it, or why it cannot safely."""
    rows = session.execute(
        select(Revision.place_id, Revision.version).join(Submission, Submission.id == Revision.submission_id)
        .where(author.submissions_clause(), Revision.source.in_(AUTHORED_SOURCES))
        .order_by(Revision.place_id, Revision.version)).all()
    theirs: dict[int, list[int]] = {}
    for place_id, version in rows:
        theirs.setdefault(place_id, []).append(version)
    plans = []
    for place_id, versions in theirs.items():
        place = session.get(Place, place_id)
        plans.append(_plan_for_place(session, author, place, versions))
    return plans


def _plan_for_place(session: Session, author: Author, place: Place, versions: list[int]) -> PlannedRevert:
    first = versions[0]
    later = session.execute(
        select(Revision.version, Revision.source, Submission.author_id, Submission.device_hash)
        .outerjoin(Submission, Submission.id == Revision.submission_id)
        .where(Revision.place_id == place.id, Revision.version > first).order_by(Revision.version)).all()
    by_others = [v for v, source, author_id, device in later if v not in versions
                 and not (source in ("undo", "revert") and author_id is None and device is None)]
    if first == 1:
        plan = PlannedRevert(place, versions, None, hide=True)
        if place.hidden_at is not None:
            plan.blocked = _("Already hidden.")
    else:
        plan = PlannedRevert(place, versions, first - 1)
    if by_others and plan.blocked is None:
        plan.blocked = _("Changed by someone else after them (version %(version)s); look at its history and revert "
                         "by hand.", version=by_others[-1])
    elif plan.to_version is not None and _already_restored(session, place, plan.to_version):
        plan.blocked = _("Already back to the values before their change.")
    return plan


def _already_restored(session: Session, place: Place, version: int) -> bool:
    target = values_at_version(session, place.id, version)
    current = snapshot(place)
    return all(current.get(k) == v for k, v in target.items())


def revert_changes(session: Session, actor: User, author: Author, place_ids=None) -> list[int]:
    """Revert (or hide, for places they created) every place of the plan that can be; return their ids.

    The plan is computed again under the caller's transaction, so what is reverted is what is true now,
    not what a preview showed a minute ago.
    """
    chosen = None if place_ids is None else {int(i) for i in place_ids}
    reverted = []
    for plan in revert_plan(session, author):
        if not plan.possible or (chosen is not None and plan.place.id not in chosen):
            continue
        details = {"ban_user_id": author.user_id} if author.user_id else {"ban_device": True}
        if plan.hide:
            reverts.set_hidden(session, plan.place.id, True, actor, reason="banned author's place")
        else:
            reverts.revert_place(session, plan.place.id, plan.to_version, actor, reason="banned author's change",
                                 details=details)
        reverted.append(plan.place.id)
    session.flush()
    return reverted
