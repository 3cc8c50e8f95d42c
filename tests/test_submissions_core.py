"""Submitting and deciding, at service level: the rules of DESIGN.md invariants 1-3 and 5."""

import pytest
from sqlalchemy import select

from app.errors import Conflict, Forbidden, NotFound, ValidationError
from app.models import DeviceBan, ModerationEvent, Place, Revision, Submission
from app.policy import ModerationPolicy
from app.services import moderation
from app.services.accounts import ban_user
from app.services.submissions import (
    Submitter,
    hash_device_token,
    is_trusted,
    submit_new_place,
    submit_report,
    submit_status,
)
from tests.factories import count_rows, make_place, make_user

DEVICE = Submitter(device_hash=hash_device_token("device-token-1"))


pytestmark = pytest.mark.usefixtures("app_context")



def test_anonymous_status_submission_waits_for_review(session):
    place = make_place(session, wheelchair="unknown")
    submission = submit_status(session, DEVICE, place.id, {"wheelchair": "limited"})
    assert submission.state == "pending"
    assert submission.base_version == place.version == 1
    assert submission.author_id is None and len(submission.device_hash) == 64
    session.refresh(place)
    assert place.wheelchair == "unknown"


@pytest.mark.parametrize("values, field", [
    ({"wheelchair": "maybe"}, "wheelchair"),
    ({"toilets_wheelchair": "limited"}, "toilets_wheelchair"),
    ({"description": "x" * 256}, "description"),
    ({}, "wheelchair"),
])
def test_status_submission_names_the_bad_field(session, values, field):
    place = make_place(session)
    with pytest.raises(ValidationError) as caught:
        submit_status(session, DEVICE, place.id, values)
    assert caught.value.field == field
    assert count_rows(session, Submission) == 0


def test_stale_base_version_is_refused_with_409(session):
    place = make_place(session)
    moderator = make_user(session, role="moderator")
    first = submit_status(session, DEVICE, place.id, {"wheelchair": "yes"})
    moderation.approve(session, first.id, moderator)
    with pytest.raises(Conflict) as caught:
        submit_status(session, DEVICE, place.id, {"wheelchair": "no"}, base_version=1)
    assert caught.value.status == 409 and caught.value.field == "base_version"


def test_unknown_place_is_404(session):
    with pytest.raises(NotFound):
        submit_status(session, DEVICE, 999999, {"wheelchair": "yes"})


def test_banned_user_and_banned_device_are_refused(session):
    admin = make_user(session, role="admin")
    user = make_user(session)
    ban_user(session, admin, user, "spam")
    place = make_place(session)
    with pytest.raises(Forbidden):
        submit_status(session, Submitter(user=user), place.id, {"wheelchair": "yes"})
    session.add(DeviceBan(device_hash=DEVICE.device_hash))
    session.flush()
    with pytest.raises(Forbidden):
        submit_status(session, DEVICE, place.id, {"wheelchair": "yes"})


def test_approve_applies_once_with_revision_and_event(session):
    place = make_place(session, wheelchair="unknown")
    moderator = make_user(session, role="moderator")
    submission = submit_status(session, DEVICE, place.id, {"wheelchair": "limited", "description": "One step"})
    moderation.approve(session, submission.id, moderator)
    moderation.approve(session, submission.id, moderator)  # idempotent
    session.refresh(place)
    assert (place.wheelchair, place.description, place.version) == ("limited", "One step", 2)
    revisions = session.scalars(select(Revision).where(Revision.submission_id == submission.id)).all()
    assert len(revisions) == 1
    assert revisions[0].before == {"wheelchair": "unknown", "description": None}
    assert revisions[0].after == {"wheelchair": "limited", "description": "One step"}
    assert count_rows(session, ModerationEvent, ModerationEvent.submission_id == submission.id,
                  ModerationEvent.action == "approve") == 1


def test_approving_a_stale_submission_is_a_conflict_until_confirmed(session):
    place = make_place(session, wheelchair="unknown")
    moderator = make_user(session, role="moderator")
    older = submit_status(session, DEVICE, place.id, {"wheelchair": "no"})
    # From another device: the same device's second answer would update its first, still pending one.
    newer = submit_status(session, Submitter(device_hash=hash_device_token("device-token-2")), place.id,
                          {"wheelchair": "yes"})
    moderation.approve(session, newer.id, moderator)
    with pytest.raises(moderation.StaleBaseVersion):
        moderation.approve(session, older.id, moderator)
    session.refresh(place)
    assert place.wheelchair == "yes"
    assert session.get(Submission, older.id).state == "pending"
    moderation.approve(session, older.id, moderator, over_conflict=True)
    session.refresh(place)
    assert (place.wheelchair, place.version) == ("no", 3)


def test_reject_never_touches_the_place(session):
    place = make_place(session, wheelchair="yes")
    moderator = make_user(session, role="moderator")
    submission = submit_status(session, DEVICE, place.id, {"wheelchair": "no"})
    moderation.reject(session, submission.id, moderator, "wrong", "The ramp is there.")
    moderation.reject(session, submission.id, moderator, "wrong")  # idempotent
    session.refresh(place)
    assert (place.wheelchair, place.version) == ("yes", 1)
    assert submission.state == "rejected" and submission.reason_note == "The ramp is there."
    with pytest.raises(Conflict):
        moderation.approve(session, submission.id, moderator)


def test_reject_needs_a_known_reason(session):
    place = make_place(session)
    submission = submit_status(session, DEVICE, place.id, {"wheelchair": "no"})
    with pytest.raises(ValidationError) as caught:
        moderation.reject(session, submission.id, make_user(session, role="moderator"), "meh")
    assert caught.value.field == "reason"


def test_new_place_is_created_on_approval(session):
    moderator = make_user(session, role="moderator")
    submission = submit_new_place(session, DEVICE, {"name": "Corner café", "category": "food", "lon": 9.5,
                                                    "lat": 47.1, "wheelchair": "yes"})
    assert count_rows(session, Place, Place.name == "Corner café") == 0
    moderation.approve(session, submission.id, moderator)
    place = session.get(Place, submission.place_id)
    assert (place.name, place.wheelchair, place.source, place.version) == ("Corner café", "yes", "volunteer", 1)


@pytest.mark.parametrize("values, field", [
    ({"name": "", "category": "food", "lon": 9.5, "lat": 47.1, "wheelchair": "yes"}, "name"),
    ({"name": "A", "category": "spaceport", "lon": 9.5, "lat": 47.1, "wheelchair": "yes"}, "category"),
    ({"name": "A", "category": "food", "lon": 190, "lat": 47.1, "wheelchair": "yes"}, "lon"),
    ({"name": "A", "category": "food", "lon": 9.5, "lat": -91, "wheelchair": "yes"}, "lat"),
    ({"name": "A", "category": "food", "lon": "east", "lat": 47.1, "wheelchair": "yes"}, "lon"),
    ({"name": "A", "category": "food", "lon": 9.5, "lat": 47.1, "wheelchair": "perhaps"}, "wheelchair"),
    ({"name": "A" * 201, "category": "food", "lon": 9.5, "lat": 47.1, "wheelchair": "yes"}, "name"),
])
def test_new_place_names_the_bad_field(session, values, field):
    with pytest.raises(ValidationError) as caught:
        submit_new_place(session, DEVICE, values)
    assert caught.value.field == field


def _record_of(session, author: Submitter, verdicts: str, policy: ModerationPolicy) -> None:
    """Give the author one reviewed status answer per letter of `verdicts`: a = approved, r = rejected."""
    moderator = make_user(session, role="moderator")
    for verdict in verdicts:
        submission = submit_status(session, author, make_place(session).id, {"wheelchair": "yes"}, policy=policy)
        assert submission.state == "pending"
        if verdict == "r":
            moderation.reject(session, submission.id, moderator, "wrong")
        else:
            moderation.approve(session, submission.id, moderator)


def test_trusted_volunteer_is_auto_approved_through_the_same_service(session, app):
    policy = ModerationPolicy(trust_min_approved=2)
    volunteer = make_user(session)
    author = Submitter(user=volunteer)
    _record_of(session, author, "aa", policy)
    assert is_trusted(session, volunteer, policy)
    place = make_place(session, wheelchair="unknown")
    submission = submit_status(session, author, place.id, {"wheelchair": "no"}, policy=policy)
    assert submission.state == "approved" and submission.auto_approved
    session.refresh(place)
    assert place.wheelchair == "no"
    revision = session.scalars(select(Revision).where(Revision.submission_id == submission.id)).one()
    assert revision.source == "auto_approval" and revision.actor_id == volunteer.id
    assert count_rows(session, ModerationEvent, ModerationEvent.submission_id == submission.id,
                  ModerationEvent.action == "auto_approve") == 1


def test_volunteer_with_too_many_rejections_is_not_trusted(session, app):
    policy = ModerationPolicy(trust_min_approved=2)
    volunteer = make_user(session)
    author = Submitter(user=volunteer)
    _record_of(session, author, "raa", policy)
    assert not is_trusted(session, volunteer, policy)  # 2 approved, but 1 of 3 rejected is over 5 %
    place = make_place(session)
    assert submit_status(session, author, place.id, {"wheelchair": "yes"}, policy=policy).state == "pending"


def test_report_always_waits_for_review(session):
    place = make_place(session)
    moderator = make_user(session, role="moderator")
    report = submit_report(session, Submitter(user=moderator), place.id, {"problem": "closed", "note": "Shut"})
    assert report.state == "pending" and report.kind == "report"
