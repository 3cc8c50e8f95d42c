"""Checking places again: "can't tell" answers in /check, and peer votes on other volunteers' changes.

A vote is an opinion on an applied change (a revision) by a signed-in volunteer other than its author. Each
agreement adds to the author's trust (app/policy.py). When `votes_to_reopen` volunteers disagree with a change
that is still the place's current version, the value is reopened: a report (origin `vote`) that names the
revision goes to the moderation queue, where a moderator keeps, corrects or reverts it. Locks follow the
order every writer keeps: the place, then the revision, then new submission rows.
"""

from flask_babel import gettext as _
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.errors import Forbidden, NotFound
from app.models import CheckSkip, Revision, Submission, User, Vote
from app.models.base import utcnow
from app.policy import DEFAULT_POLICY, ModerationPolicy
from app.services.audit import record_event
from app.services.places import get_place, place_point
from app.services.submissions import Submitter, ensure_may_submit

VOTABLE_SOURCES = ("moderation", "auto_approval", "correction")


def skip_place(session: Session, submitter: Submitter, place_id: int) -> None:
    """"Can't tell": leave the place out of this volunteer's /check from now on (repeating is a no-op)."""
    ensure_may_submit(session, submitter)
    place = get_place(session, place_id)
    if not place.is_published:
        raise NotFound(_("There is no place %(id)s.", id=place_id), "place_id")
    user_id = submitter.user.id if submitter.user else None
    values = {"place_id": place_id, "user_id": user_id, "device_hash": None if user_id else submitter.device_hash}
    target = (["user_id", "place_id"], "user_id IS NOT NULL") if user_id else (
        ["device_hash", "place_id"], "device_hash IS NOT NULL")
    session.execute(insert(CheckSkip).values(**values).on_conflict_do_nothing(
        index_elements=target[0], index_where=text(target[1])))


def is_own_change(session: Session, revision: Revision, user: User) -> bool:
    """Whether the volunteer made the change (as its author) or applied it (as its moderator)."""
    if revision.actor_id == user.id:
        return True
    if revision.submission_id is None:
        return False
    author = session.scalar(select(Submission.author_id).where(Submission.id == revision.submission_id))
    return author == user.id


def vote(session: Session, user: User | None, revision_id: int, agrees: bool, *,
         policy: ModerationPolicy = DEFAULT_POLICY) -> tuple[Revision, Submission | None]:
    """Record (or change) the volunteer's vote on a change; returns the revision and, when this vote reopened
    the value, the new moderation item."""
    if user is None:
        raise Forbidden(_("Sign in to agree or disagree with other volunteers' changes."), "revision_id",
                        code="sign_in_required")
    ensure_may_submit(session, Submitter(user=user))
    place_id = session.scalar(select(Revision.place_id).where(Revision.id == revision_id))
    if place_id is None:
        raise NotFound(_("There is no change %(id)s.", id=revision_id), "revision_id")
    place = get_place(session, place_id, for_update=True)
    revision = session.get(Revision, revision_id, with_for_update=True, populate_existing=True)
    if revision.source not in VOTABLE_SOURCES or not place.is_published:
        raise NotFound(_("Change %(id)s is not open to votes.", id=revision_id), "revision_id")
    if is_own_change(session, revision, user):
        raise Forbidden(_("You cannot vote on your own change."), "revision_id", code="own_change")
    existing = session.scalar(select(Vote).where(Vote.revision_id == revision_id, Vote.voter_id == user.id)
                              .with_for_update())
    if existing is not None and existing.agrees == agrees:
        return revision, None
    if existing is None:
        session.add(Vote(revision_id=revision_id, voter_id=user.id, agrees=agrees))
    else:  # a changed mind: take back the old vote before counting the new one
        existing.agrees, existing.updated_at = agrees, utcnow()
        if agrees:
            revision.disagree_count -= 1
        else:
            revision.agree_count -= 1
    if agrees:
        revision.agree_count += 1
    else:
        revision.disagree_count += 1
    session.flush()
    reopened = None
    if (not agrees and revision.disagree_count >= policy.votes_to_reopen and place.version == revision.version
            and not _has_open_dispute(session, revision_id)):
        reopened = _reopen(session, user, place, revision)
    return revision, reopened


def _has_open_dispute(session: Session, revision_id: int) -> bool:
    return session.scalar(select(Submission.id).where(Submission.revision_id == revision_id,
                                                      Submission.state == "pending")) is not None


def _reopen(session: Session, voter: User, place, revision: Revision) -> Submission:
    lon, lat = place_point(place)
    dispute = Submission(
        kind="report", state="pending", origin="vote", place_id=place.id, revision_id=revision.id,
        base_version=place.version, geom=from_shape(Point(lon, lat), srid=4326),
        proposed={"problem": "disputed",
                  "note": f"{revision.disagree_count} volunteers disagree with change {revision.version}."})
    session.add(dispute)
    session.flush()
    record_event(session, voter, "reopen", submission_id=dispute.id, place_id=place.id,
                 details={"revision_id": revision.id, "agree": revision.agree_count,
                          "disagree": revision.disagree_count})
    return dispute
