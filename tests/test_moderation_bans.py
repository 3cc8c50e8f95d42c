"""Banning abusers: their pending work is rejected, their applied changes can be previewed and reverted."""

import pytest
from sqlalchemy import select

from app.errors import Forbidden, ValidationError
from app.models import DeviceBan, ModerationEvent, Place, Submission
from app.services import bans, moderation
from app.services.submissions import Submitter, hash_device_token, submit_new_place, submit_status
from tests.factories import make_place, make_user

pytestmark = pytest.mark.usefixtures("app_context")


def test_banning_a_user_rejects_all_pending_work(session):
    moderator = make_user(session, role="moderator")
    abuser = make_user(session)
    place = make_place(session)
    pending = [submit_status(session, Submitter(user=abuser), make_place(session).id, {"wheelchair": "no"})
               for _ in range(3)]
    bystander = submit_status(session, Submitter(user=make_user(session)), place.id, {"wheelchair": "yes"})
    rejected = bans.ban(session, moderator, bans.Author(user_id=abuser.id), "vandalism")
    assert sorted(rejected) == sorted(s.id for s in pending)
    for submission in pending:
        session.refresh(submission)
        assert (submission.state, submission.reason_code) == ("rejected", "banned")
    assert session.get(Submission, bystander.id).state == "pending"
    assert abuser.is_banned
    assert session.scalars(select(ModerationEvent.action).where(
        ModerationEvent.target_user_id == abuser.id)).all() == ["ban"]


def test_banning_a_device_blocks_it_and_rejects_its_work(session):
    moderator = make_user(session, role="moderator")
    device = Submitter(device_hash=hash_device_token("abusive-phone"))
    submission = submit_status(session, device, make_place(session).id, {"wheelchair": "no"})
    bans.ban(session, moderator, bans.Author(device_hash=device.device_hash), "spam")
    assert session.get(DeviceBan, device.device_hash).banned_by_id == moderator.id
    assert session.get(Submission, submission.id).reason_code == "banned"
    bans.unban_device(session, moderator, device.device_hash)
    assert session.get(DeviceBan, device.device_hash) is None


def test_moderator_cannot_ban_a_moderator(session):
    moderator, colleague = make_user(session, role="moderator"), make_user(session, role="moderator")
    with pytest.raises(Forbidden):
        bans.ban(session, moderator, bans.Author(user_id=colleague.id), "no")
    with pytest.raises(ValidationError):
        bans.Author()


def test_revert_plan_previews_and_reverts_only_what_is_safe(session):
    moderator = make_user(session, role="moderator")
    abuser = Submitter(device_hash=hash_device_token("vandal"))
    honest = Submitter(device_hash=hash_device_token("honest"))
    vandalised = make_place(session, wheelchair="yes")
    contested = make_place(session, wheelchair="yes")
    for place in (vandalised, contested):
        moderation.approve(session, submit_status(session, abuser, place.id, {"wheelchair": "no"}).id, moderator)
    # Someone else changed the contested place after the vandal: reverting would overwrite them.
    moderation.approve(session, submit_status(session, honest, contested.id, {"description": "Ramp"}).id,
                       moderator)
    created = submit_new_place(session, abuser, {"name": "Fake", "category": "food", "lon": 9.5, "lat": 47.1,
                                                 "wheelchair": "yes"})
    moderation.approve(session, created.id, moderator)
    author = bans.Author(device_hash=abuser.device_hash)
    plans = {plan.place.id: plan for plan in bans.revert_plan(session, author)}
    assert plans[vandalised.id].possible and plans[vandalised.id].to_version == 1
    assert not plans[contested.id].possible and "someone else" in plans[contested.id].blocked
    assert plans[created.place_id].hide
    reverted = bans.revert_changes(session, moderator, author)
    assert sorted(reverted) == sorted([vandalised.id, created.place_id])
    session.refresh(vandalised)
    session.refresh(contested)
    assert vandalised.wheelchair == "yes" and vandalised.version == 3
    assert contested.wheelchair == "no"
    assert session.get(Place, created.place_id).hidden_at is not None
    # A second run finds nothing left to do.
    assert bans.revert_changes(session, moderator, author) == []


def test_revert_changes_only_touches_the_chosen_places(session):
    moderator = make_user(session, role="moderator")
    abuser = Submitter(device_hash=hash_device_token("vandal-2"))
    first, second = make_place(session, wheelchair="yes"), make_place(session, wheelchair="yes")
    for place in (first, second):
        moderation.approve(session, submit_status(session, abuser, place.id, {"wheelchair": "no"}).id, moderator)
    bans.revert_changes(session, moderator, bans.Author(device_hash=abuser.device_hash), place_ids=[str(first.id)])
    session.refresh(first)
    session.refresh(second)
    assert (first.wheelchair, second.wheelchair) == ("yes", "no")


def test_admin_ban_from_the_users_page_also_rejects_pending_work(client, session, auth):
    from tests.conftest import csrf_token_from
    auth.login_as("admin")
    abuser = make_user(session)
    submission = submit_status(session, Submitter(user=abuser), make_place(session).id, {"wheelchair": "no"})
    session.commit()
    token = csrf_token_from(client.get("/admin/users").get_data(as_text=True))
    response = client.post(f"/admin/users/{abuser.id}/ban", data={"reason": "spam", "csrf_token": token})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Submission, submission.id).reason_code == "banned"
