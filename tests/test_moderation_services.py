"""Moderation at service level: claims and leases, decisions, bulk, undo and reports (DESIGN.md invariants 1-3)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, ValidationError
from app.models import ModerationEvent, Place, Revision, Submission
from app.models.base import utcnow
from app.services import claims, moderation, reports, reverts
from app.services.submissions import Submitter, hash_device_token, submit_new_place, submit_report, submit_status
from tests.factories import make_place, make_user

DEVICE = Submitter(device_hash=hash_device_token("moderation-device"))


pytestmark = pytest.mark.usefixtures("app_context")


def _events(session, submission_id, action):
    return session.scalar(select(func.count()).select_from(ModerationEvent).where(
        ModerationEvent.submission_id == submission_id, ModerationEvent.action == action))


def _pending(session, n=1, **place_values):
    """A place and n pending answers about it, each from a device of its own (one device's repeat would update
    its first answer instead of adding another)."""
    place = make_place(session, **place_values)
    devices = [DEVICE] + [Submitter(device_hash=hash_device_token(f"moderation-device-{i}")) for i in range(1, n)]
    return place, [submit_status(session, device, place.id, {"wheelchair": "yes"}) for device in devices]


def test_claim_next_takes_the_oldest_and_records_it(session):
    moderator = make_user(session, role="moderator")
    _, (first, second) = _pending(session, 2)
    claimed = claims.claim_next(session, moderator)
    assert claimed.id == first.id
    assert claimed.claimed_by_id == moderator.id and claimed.claim_expires_at > utcnow()
    assert _events(session, first.id, "claim") == 1
    other = make_user(session, role="moderator")
    assert claims.claim_next(session, other).id == second.id
    assert claims.claim_next(session, make_user(session, role="moderator")) is None


def test_claim_next_honours_filters_and_exclusions(session):
    moderator = make_user(session, role="moderator")
    place = make_place(session)
    status = submit_status(session, DEVICE, place.id, {"wheelchair": "no"})
    report = submit_report(session, DEVICE, place.id, {"problem": "closed"})
    from app.queries.moderation import QueueFilters
    assert claims.claim_next(session, moderator, QueueFilters(kinds=("report",))).id == report.id
    other = make_user(session, role="moderator")
    assert claims.claim_next(session, other, QueueFilters(kinds=("report",))) is None
    assert claims.claim_next(session, other, exclude_ids=[status.id]) is None


def test_expired_lease_returns_the_item_to_the_queue(session):
    first_moderator, second_moderator = make_user(session, role="moderator"), make_user(session, role="moderator")
    _, (submission,) = _pending(session)
    claims.claim_next(session, first_moderator)
    assert claims.claim_next(session, second_moderator) is None
    submission.claim_expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    assert claims.claim_next(session, second_moderator).id == submission.id


def test_deciding_an_item_claimed_by_another_is_refused(session):
    holder, other = make_user(session, role="moderator"), make_user(session, role="moderator")
    place, (submission,) = _pending(session, wheelchair="unknown")
    claims.claim_next(session, holder)
    with pytest.raises(moderation.ClaimedByOther) as caught:
        moderation.approve(session, submission.id, other)
    assert "another moderator" in caught.value.message
    with pytest.raises(moderation.ClaimedByOther):
        moderation.reject(session, submission.id, other, "wrong")
    with pytest.raises(Conflict):
        claims.claim(session, submission.id, other)
    session.refresh(place)
    assert place.wheelchair == "unknown" and submission.state == "pending"


def test_only_the_holder_or_an_admin_releases_a_claim(session):
    holder, other = make_user(session, role="moderator"), make_user(session, role="moderator")
    admin = make_user(session, role="admin")
    _, (submission,) = _pending(session)
    claims.claim_next(session, holder)
    with pytest.raises(Forbidden):
        claims.release(session, submission.id, other)
    claims.release(session, submission.id, admin)
    assert submission.claimed_by_id is None and submission.claim_expires_at is None
    assert _events(session, submission.id, "release") == 1
    assert claims.claim_next(session, other).id == submission.id


def test_approve_applies_exactly_once(session):
    moderator = make_user(session, role="moderator")
    place, (submission,) = _pending(session, wheelchair="no")
    claims.claim_next(session, moderator)
    moderation.approve(session, submission.id, moderator)
    moderation.approve(session, submission.id, moderator)
    session.refresh(place)
    assert (place.wheelchair, place.version) == ("yes", 2)
    assert session.scalar(select(func.count()).select_from(Revision).where(
        Revision.submission_id == submission.id)) == 1
    assert _events(session, submission.id, "approve") == 1
    assert submission.claimed_by_id is None


def test_stale_base_version_is_a_conflict_not_applied(session):
    moderator = make_user(session, role="moderator")
    place, (older, newer) = _pending(session, 2, wheelchair="unknown")
    older.proposed = {"wheelchair": "no"}
    session.flush()
    moderation.approve(session, newer.id, moderator)
    with pytest.raises(moderation.StaleBaseVersion) as caught:
        moderation.approve(session, older.id, moderator)
    assert caught.value.status == 409 and caught.value.current_version == 2
    session.refresh(place)
    assert (place.wheelchair, place.version) == ("yes", 2)
    assert moderation.is_stale(session, older)


def test_reject_never_touches_the_place_and_keeps_the_note(session):
    moderator = make_user(session, role="moderator")
    place, (submission,) = _pending(session, wheelchair="no")
    moderation.reject(session, submission.id, moderator, "unverifiable", "Photo please")
    session.refresh(place)
    assert (place.wheelchair, place.version) == ("no", 1)
    assert (submission.state, submission.reason_code, submission.reason_note) == ("rejected", "unverifiable",
                                                                                  "Photo please")


def test_bulk_decides_each_individually_and_skips_what_it_cannot(session):
    moderator, other = make_user(session, role="moderator"), make_user(session, role="moderator")
    _, subs = _pending(session, 3)
    held = submit_status(session, DEVICE, make_place(session).id, {"wheelchair": "no"})
    claims.claim(session, held.id, other)
    result = moderation.bulk_decide(session, [s.id for s in subs] + [held.id], moderator, "reject", "spam")
    assert result.decided == [s.id for s in subs]
    assert [i for i, _ in result.skipped] == [held.id]
    for s in subs:
        session.refresh(s)
        assert s.state == "rejected" and _events(session, s.id, "reject") == 1
    assert session.get(Submission, held.id).state == "pending"


def test_bulk_approve_applies_each_and_reports_conflicts(session):
    moderator = make_user(session, role="moderator")
    place, (first, second) = _pending(session, 2)
    result = moderation.bulk_decide(session, [first.id, second.id], moderator, "approve")
    # The second was based on version 1, which the first just replaced: a conflict, left pending.
    assert result.decided == [first.id] and result.skipped[0][0] == second.id
    assert session.get(Submission, second.id).state == "pending"


def test_undo_restores_the_previous_state(session):
    moderator = make_user(session, role="moderator")
    place, (submission,) = _pending(session, wheelchair="no")
    moderation.approve(session, submission.id, moderator)
    reverts.undo_decision(session, submission.id, moderator)
    session.refresh(place)
    assert (place.wheelchair, place.version) == ("no", 3)
    assert submission.state == "pending" and submission.decided_at is None
    assert submission.claimed_by_id == moderator.id
    undo = session.scalars(select(Revision).where(Revision.place_id == place.id, Revision.version == 3)).one()
    assert undo.source == "undo" and undo.after == {"wheelchair": "no"}
    assert _events(session, submission.id, "undo") == 1
    # Decided again after the undo: it applies normally (base version no longer matches: confirm).
    moderation.approve(session, submission.id, moderator, over_conflict=True)
    session.refresh(place)
    assert place.wheelchair == "yes"


def test_undo_of_a_rejection_reopens_it(session):
    moderator = make_user(session, role="moderator")
    _, (submission,) = _pending(session)
    moderation.reject(session, submission.id, moderator, "wrong", "no")
    reverts.undo_decision(session, submission.id, moderator)
    assert (submission.state, submission.reason_code, submission.reason_note) == ("pending", None, None)


def test_undo_is_refused_when_the_place_changed_since(session):
    moderator = make_user(session, role="moderator")
    place, (first, second) = _pending(session, 2)
    second.proposed = {"wheelchair": "limited"}
    moderation.approve(session, first.id, moderator)
    moderation.approve(session, second.id, moderator, over_conflict=True)
    with pytest.raises(Conflict) as caught:
        reverts.undo_decision(session, first.id, moderator)
    assert caught.value.code == "changed_since"
    assert session.get(Submission, first.id).state == "approved"


def test_undo_is_refused_after_the_window_and_for_others(session, app):
    moderator, other = make_user(session, role="moderator"), make_user(session, role="moderator")
    _, (submission,) = _pending(session)
    moderation.reject(session, submission.id, moderator, "wrong")
    with pytest.raises(Forbidden):
        reverts.undo_decision(session, submission.id, other)
    submission.decided_at = utcnow() - timedelta(seconds=app.config["UNDO_WINDOW_SECONDS"] + 1)
    session.flush()
    with pytest.raises(Conflict) as caught:
        reverts.undo_decision(session, submission.id, moderator)
    assert caught.value.code == "undo_expired"


def test_undo_of_a_new_place_hides_it_and_reapproval_shows_it(session):
    moderator = make_user(session, role="moderator")
    submission = submit_new_place(session, DEVICE, {"name": "Kiosk", "category": "food", "lon": 9.5, "lat": 47.1,
                                                    "wheelchair": "yes"})
    moderation.approve(session, submission.id, moderator)
    place = session.get(Place, submission.place_id)
    reverts.undo_decision(session, submission.id, moderator)
    session.refresh(place)
    assert place.hidden_at is not None and submission.state == "pending"
    moderation.approve(session, submission.id, moderator)
    session.refresh(place)
    assert place.hidden_at is None and submission.place_id == place.id
    assert session.scalar(select(func.count()).select_from(Place).where(Place.name == "Kiosk")) == 1


def test_revert_creates_a_revision_and_keeps_history(session):
    moderator = make_user(session, role="moderator")
    place, (submission,) = _pending(session, wheelchair="limited", description="One step")
    moderation.approve(session, submission.id, moderator)
    reverts.revert_place(session, place.id, 1, moderator, reason="vandalism")
    session.refresh(place)
    assert (place.wheelchair, place.version) == ("limited", 3)
    versions = session.scalars(select(Revision.source).where(Revision.place_id == place.id)
                               .order_by(Revision.version)).all()
    assert versions == ["demo", "moderation", "revert"]
    with pytest.raises(ValidationError):
        reverts.revert_place(session, place.id, 3, moderator)


def test_hide_and_unhide_are_revisions(session):
    moderator = make_user(session, role="moderator")
    place = make_place(session)
    reverts.set_hidden(session, place.id, True, moderator)
    assert place.hidden_at is not None and not place.is_published and place.version == 2
    reverts.set_hidden(session, place.id, False, moderator)
    assert place.hidden_at is None and place.version == 3


def test_report_hide_resolves_it_and_undo_restores(session):
    moderator = make_user(session, role="moderator")
    place = make_place(session)
    report = submit_report(session, DEVICE, place.id, {"problem": "offensive", "note": "Rude name"})
    reports.hide_place(session, report.id, moderator)
    reports.hide_place(session, report.id, moderator)  # repeating is a no-op
    assert report.state == "approved" and place.hidden_at is not None and place.version == 2
    assert _events(session, report.id, "hide") == 1
    reverts.undo_decision(session, report.id, moderator)
    session.refresh(place)
    assert place.hidden_at is None and report.state == "pending"


def test_report_correct_applies_moderator_values(session):
    moderator = make_user(session, role="moderator")
    place = make_place(session, name="Caffe", wheelchair="unknown")
    report = submit_report(session, DEVICE, place.id, {"problem": "wrong_status"})
    reports.correct_place(session, report.id, moderator, {"name": "Café Rosa", "wheelchair": "yes", "lon": "",
                                                          "category": "food"})
    revision = session.scalars(select(Revision).where(Revision.submission_id == report.id)).one()
    assert revision.source == "correction" and revision.after == {"name": "Café Rosa", "wheelchair": "yes"}
    assert _events(session, report.id, "correct") == 1 and report.state == "approved"
    with pytest.raises(ValidationError) as caught:
        reports.correct_place(session, submit_report(session, DEVICE, place.id, {"problem": "other"}).id,
                              moderator, {"wheelchair": "sometimes"})
    assert caught.value.field == "wheelchair"


def test_report_dismiss_rejects_it_without_touching_the_place(session):
    moderator = make_user(session, role="moderator")
    place = make_place(session)
    report = submit_report(session, DEVICE, place.id, {"problem": "closed"})
    reports.dismiss(session, report.id, moderator, "unverifiable", "Still open on our visit")
    session.refresh(place)
    assert report.state == "rejected" and report.reason_code == "unverifiable" and place.version == 1
    assert _events(session, report.id, "dismiss") == 1


def test_report_revert_goes_back_to_a_version(session):
    moderator = make_user(session, role="moderator")
    place, (submission,) = _pending(session, wheelchair="no")
    moderation.approve(session, submission.id, moderator)
    report = submit_report(session, DEVICE, place.id, {"problem": "wrong_status"})
    reports.revert_place(session, report.id, moderator, 1)
    session.refresh(place)
    assert place.wheelchair == "no" and place.version == 3 and report.state == "approved"


def test_a_report_cannot_be_approved_as_such(session):
    moderator = make_user(session, role="moderator")
    report = submit_report(session, DEVICE, make_place(session).id, {"problem": "other"})
    with pytest.raises(ValidationError):
        moderation.approve(session, report.id, moderator)
    assert report.state == "pending"


def test_claim_next_offers_the_moderators_own_claim_before_others(session):
    moderator = make_user(session, role="moderator")
    _, (first, second) = _pending(session, 2)
    claims.claim(session, second.id, moderator)
    assert claims.claim_next(session, moderator, exclude_ids=[first.id]).id == second.id
    assert claims.claim_next(session, make_user(session, role="moderator")).id == first.id
