"""Checking places again, at service level: "still correct", which places are due, peer votes that add to
trust or reopen a value, and notices of verdicts."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.errors import Forbidden
from app.models import ModerationEvent, Notice, Place, Revision, Submission
from app.models.base import utcnow
from app.policy import ModerationPolicy
from app.queries.check import due_places, peer_checks
from app.services import checks, moderation
from app.services.submissions import Submitter, hash_device_token, is_trusted, submit_status, submit_still_correct
from tests.factories import count_rows, make_place, make_user

DEVICE = Submitter(device_hash=hash_device_token("engagement-device"))
OTHER_DEVICE = Submitter(device_hash=hash_device_token("another-device"))
POLICY = ModerationPolicy(trust_min_approved=20, trust_agreement_weight=0.5, votes_to_reopen=2,
                          recheck_after=timedelta(days=4 * 365), recheck_limited_no_after=timedelta(days=2 * 365))
HERE = (9.52, 47.14)


pytestmark = pytest.mark.usefixtures("app_context")



def _years_ago(years: float):
    return utcnow() - timedelta(days=365 * years)


# --- "still correct" ---------------------------------------------------------------------------------------

def test_still_correct_moves_the_check_date_and_changes_nothing_else(session):
    place = make_place(session, wheelchair="limited", description="Ramp at the back")
    place.last_verified_at = _years_ago(3)
    session.flush()
    before = (place.snapshot(), place.version, place.updated_at)
    revisions = count_rows(session, Revision, Revision.place_id == place.id)
    moderator = make_user(session, role="moderator")

    submission = submit_still_correct(session, Submitter(user=moderator), place.id, place.version)

    assert submission.kind == "still_correct" and submission.state == "approved"
    session.refresh(place)
    assert place.last_verified_at > utcnow() - timedelta(minutes=1)
    assert (place.snapshot(), place.version, place.updated_at) == before
    assert count_rows(session, Revision, Revision.place_id == place.id) == revisions


def test_still_correct_from_an_anonymous_device_waits_then_applies_on_approval(session):
    place = make_place(session, wheelchair="yes")
    place.last_verified_at = _years_ago(5)
    session.flush()
    submission = submit_still_correct(session, DEVICE, place.id)
    assert submission.state == "pending"
    session.refresh(place)
    assert place.last_verified_at < _years_ago(4)

    moderation.approve(session, submission.id, make_user(session, role="moderator"))
    session.refresh(place)
    assert place.last_verified_at > utcnow() - timedelta(minutes=1)
    assert place.version == 1


# --- which places are due ----------------------------------------------------------------------------------

# wheelchair, years since the last check (None: never checked) → due?
FRESHNESS = {
    "unknown, checked yesterday": ("unknown", 0.003, True),
    "yes, never checked": ("yes", None, True),
    "yes, checked 1 year ago": ("yes", 1, False),
    "yes, checked 3 years ago": ("yes", 3, False),
    "yes, checked 5 years ago": ("yes", 5, True),
    "limited, checked 1 year ago": ("limited", 1, False),
    "limited, checked 3 years ago": ("limited", 3, True),
    "no, checked 3 years ago": ("no", 3, True),
    "no, checked 1 year ago": ("no", 1, False),
}


def test_freshness_rule_agrees_in_python_and_sql_and_due_places_follow_it(session):
    now = utcnow()
    places = {}
    for label, (wheelchair, years, _) in FRESHNESS.items():
        place = make_place(session, wheelchair=wheelchair, lon=HERE[0], lat=HERE[1])
        place.last_verified_at = None if years is None else now - timedelta(days=365 * years)
        places[label] = place
    hidden = make_place(session, lon=HERE[0], lat=HERE[1])
    hidden.hidden_at = now
    session.flush()

    sql_due = set(session.scalars(select(Place.id).where(
        POLICY.due_clause(Place.wheelchair, Place.last_verified_at, now))))
    offered = {p.id for p in due_places(session, POLICY, lon=HERE[0], lat=HERE[1], submitter=DEVICE, limit=50,
                                        now=now)}
    for label, place in places.items():
        expected = FRESHNESS[label][-1]
        assert POLICY.is_due(wheelchair=place.wheelchair, last_verified_at=place.last_verified_at,
                             now=now) is expected, label
        assert (place.id in sql_due) is expected, label
        assert (place.id in offered) is expected, label
    assert hidden.id not in offered


def test_due_places_come_nearest_first_and_leave_out_skipped_and_answered_ones(session):
    near, middle, far = (make_place(session, lon=HERE[0] + d, lat=HERE[1]) for d in (0.0001, 0.001, 0.01))
    found = due_places(session, POLICY, lon=HERE[0], lat=HERE[1], submitter=DEVICE, limit=10)
    assert [p.id for p in found][:3] == [near.id, middle.id, far.id]
    assert found[0].distance_m < found[1].distance_m < found[2].distance_m

    checks.skip_place(session, DEVICE, near.id)
    checks.skip_place(session, DEVICE, near.id)  # repeating "can't tell" is a no-op
    submit_status(session, DEVICE, middle.id, {"wheelchair": "no"})
    mine = [p.id for p in due_places(session, POLICY, lon=HERE[0], lat=HERE[1], submitter=DEVICE, limit=10)]
    assert near.id not in mine and middle.id not in mine and far.id in mine
    # Another volunteer is still asked about both.
    theirs = [p.id for p in due_places(session, POLICY, lon=HERE[0], lat=HERE[1], submitter=OTHER_DEVICE,
                                       limit=10)]
    assert near.id in theirs and middle.id in theirs


# --- peer votes --------------------------------------------------------------------------------------------

def _applied_change(session, author, place=None, wheelchair="no"):
    """A status change by `author`, approved by a moderator: the revision others may vote on."""
    place = place or make_place(session, lon=HERE[0], lat=HERE[1])
    submission = submit_status(session, Submitter(user=author), place.id, {"wheelchair": wheelchair})
    moderation.approve(session, submission.id, make_user(session, role="moderator"))
    revision = session.scalar(select(Revision).where(Revision.submission_id == submission.id))
    return place, revision


def test_two_disagreements_reopen_the_value_once_as_a_moderation_item(session):
    author = make_user(session)
    place, revision = _applied_change(session, author)
    first, second, third = (make_user(session) for _ in range(3))

    _, reopened = checks.vote(session, first, revision.id, False, policy=POLICY)
    assert reopened is None
    _, reopened = checks.vote(session, second, revision.id, False, policy=POLICY)
    assert reopened is not None
    assert (reopened.kind, reopened.origin, reopened.state, reopened.place_id, reopened.revision_id) == (
        "report", "vote", "pending", place.id, revision.id)
    assert reopened.proposed["problem"] == "disputed"
    assert count_rows(session, ModerationEvent, ModerationEvent.action == "reopen",
                  ModerationEvent.submission_id == reopened.id) == 1
    # A third voice adds to the counts but not another item.
    _, again = checks.vote(session, third, revision.id, False, policy=POLICY)
    assert again is None
    assert count_rows(session, Submission, Submission.revision_id == revision.id) == 1
    session.refresh(revision)
    assert (revision.agree_count, revision.disagree_count) == (0, 3)


def test_one_disagreement_and_a_changed_mind_do_not_reopen(session):
    place, revision = _applied_change(session, make_user(session))
    voter, other = make_user(session), make_user(session)
    checks.vote(session, voter, revision.id, False, policy=POLICY)
    checks.vote(session, voter, revision.id, False, policy=POLICY)  # the same vote again counts once
    checks.vote(session, voter, revision.id, True, policy=POLICY)   # changed their mind
    _, reopened = checks.vote(session, other, revision.id, False, policy=POLICY)
    assert reopened is None
    session.refresh(revision)
    assert (revision.agree_count, revision.disagree_count) == (1, 1)


def test_votes_on_a_value_changed_since_do_not_reopen_it(session):
    author = make_user(session)
    place, revision = _applied_change(session, author)
    _, newer = _applied_change(session, make_user(session), place, wheelchair="limited")
    assert newer.version == revision.version + 1  # a newer change replaced the value
    for voter in (make_user(session), make_user(session)):
        _, reopened = checks.vote(session, voter, revision.id, False, policy=POLICY)
        assert reopened is None


def test_own_changes_are_never_offered_and_cannot_be_voted_on(session):
    author, neighbour = make_user(session), make_user(session)
    _, revision = _applied_change(session, author)
    offered_to_author = peer_checks(session, POLICY, lon=HERE[0], lat=HERE[1], user=author)
    offered_to_neighbour = peer_checks(session, POLICY, lon=HERE[0], lat=HERE[1], user=neighbour)
    assert revision.id not in {c.revision_id for c in offered_to_author}
    assert revision.id in {c.revision_id for c in offered_to_neighbour}
    with pytest.raises(Forbidden) as refused:
        checks.vote(session, author, revision.id, True, policy=POLICY)
    assert refused.value.code == "own_change"
    # The moderator who applied it may not vote on it either.
    with pytest.raises(Forbidden):
        checks.vote(session, session.get(type(author), revision.actor_id), revision.id, True, policy=POLICY)
    # Once voted on, a change is not offered again.
    checks.vote(session, neighbour, revision.id, True, policy=POLICY)
    assert revision.id not in {c.revision_id for c in peer_checks(session, POLICY, lon=HERE[0], lat=HERE[1],
                                                                  user=neighbour)}


def test_votes_need_an_account(session):
    _, revision = _applied_change(session, make_user(session))
    with pytest.raises(Forbidden) as refused:
        checks.vote(session, None, revision.id, True, policy=POLICY)
    assert refused.value.code == "sign_in_required"


def test_agreement_adds_to_the_authors_trust_in_python_and_in_sql(session):
    author = make_user(session)
    place = make_place(session)
    session.execute(text("""
        INSERT INTO submissions (kind, state, origin, place_id, proposed, author_id, decided_at)
        SELECT 'status', 'approved', 'volunteer', :place, '{"wheelchair": "yes"}', :user, now()
        FROM generate_series(1, 18)"""), {"place": place.id, "user": author.id})
    _, revision = _applied_change(session, author)  # the 19th approval
    assert not is_trusted(session, author, POLICY)
    assert author.id not in set(session.scalars(POLICY.trusted_user_ids()))
    for voter in (make_user(session), make_user(session)):  # 2 agreements × 0.5 = one more approval
        checks.vote(session, voter, revision.id, True, policy=POLICY)
    assert is_trusted(session, author, POLICY)
    assert author.id in set(session.scalars(POLICY.trusted_user_ids()))


# --- notices -----------------------------------------------------------------------------------------------

def test_verdicts_notify_the_volunteer_but_auto_approvals_do_not(session):
    moderator = make_user(session, role="moderator")
    volunteer = make_user(session)
    place = make_place(session)
    approved = submit_status(session, Submitter(user=volunteer), place.id, {"wheelchair": "yes"})
    rejected = submit_status(session, DEVICE, place.id, {"wheelchair": "no"})
    moderation.approve(session, approved.id, moderator)
    moderation.reject(session, rejected.id, moderator, "wrong", "There are three steps.")
    auto = submit_status(session, Submitter(user=moderator), place.id, {"toilets_wheelchair": "yes"})
    assert auto.state == "approved"

    notices = {n.submission_id: n for n in session.scalars(select(Notice))}
    assert set(notices) == {approved.id, rejected.id}
    assert (notices[approved.id].user_id, notices[approved.id].verdict) == (volunteer.id, "approved")
    assert (notices[rejected.id].device_hash, notices[rejected.id].verdict) == (DEVICE.device_hash, "rejected")
    assert all(n.read_at is None for n in notices.values())


def test_an_undone_verdict_takes_its_unread_notice_back(session):
    from app.services import reverts
    moderator = make_user(session, role="moderator")
    place = make_place(session)
    submission = submit_status(session, DEVICE, place.id, {"wheelchair": "yes"})
    moderation.reject(session, submission.id, moderator, "wrong")
    assert count_rows(session, Notice, Notice.submission_id == submission.id) == 1
    reverts.undo_decision(session, submission.id, moderator)
    assert count_rows(session, Notice, Notice.submission_id == submission.id) == 0
