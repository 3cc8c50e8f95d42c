"""A repeat of one's own pending answer updates it instead of adding another queue item (issue 12, item 3)."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Submission
from app.services import claims, moderation
from app.services.submissions import (
    Submitter,
    hash_device_token,
    submit_correction,
    submit_report,
    submit_status,
)
from tests.factories import count_rows, make_place, make_user

DEVICE = Submitter(device_hash=hash_device_token("repeat-device"))
OTHER_DEVICE = Submitter(device_hash=hash_device_token("another-device"))

pytestmark = pytest.mark.usefixtures("app_context")


def _pending(session) -> list[Submission]:
    return list(session.scalars(select(Submission).where(Submission.state == "pending").order_by(Submission.id)))


def test_thirteen_identical_answers_make_one_queue_item(session):
    place = make_place(session, wheelchair="unknown")
    ids = {submit_status(session, DEVICE, place.id, {"wheelchair": "limited"}).id for _ in range(13)}
    assert len(ids) == 1
    assert len(_pending(session)) == 1


def test_a_changed_answer_updates_the_pending_one_and_keeps_what_it_left_out(session):
    place = make_place(session, wheelchair="unknown")
    first = submit_status(session, DEVICE, place.id, {"wheelchair": "yes", "description": "Ramp at the side door"})
    created_at = first.created_at
    assert first.updated_by_repeat is False
    second = submit_status(session, DEVICE, place.id, {"wheelchair": "limited"})
    assert second.id == first.id and second.updated_by_repeat is True
    session.expire_all()
    [only] = _pending(session)
    assert only.proposed == {"wheelchair": "limited", "description": "Ramp at the side door"}
    # It keeps its place in the queue: oldest first stays fair to the others waiting.
    assert only.created_at == created_at


def test_other_senders_places_and_kinds_are_separate_items(session):
    place, other_place = make_place(session), make_place(session, lon=9.6, lat=47.2)
    user = make_user(session)
    submit_status(session, DEVICE, place.id, {"wheelchair": "yes"})
    submit_status(session, OTHER_DEVICE, place.id, {"wheelchair": "yes"})
    submit_status(session, Submitter(user=user), place.id, {"wheelchair": "yes"})
    submit_status(session, DEVICE, other_place.id, {"wheelchair": "yes"})
    submit_correction(session, DEVICE, place.id, {"name": "Another name"})
    assert len(_pending(session)) == 5


def test_a_signed_in_volunteer_repeats_across_devices(session):
    user = make_user(session)
    place = make_place(session)
    on_phone = Submitter.for_device_token(user, "phone")
    on_laptop = Submitter.for_device_token(user, "laptop")
    first = submit_status(session, on_phone, place.id, {"wheelchair": "no"})
    assert submit_status(session, on_laptop, place.id, {"wheelchair": "yes"}).id == first.id
    assert len(_pending(session)) == 1


def test_a_decided_answer_is_not_reopened_by_a_repeat(session):
    place = make_place(session)
    moderator = make_user(session, role="moderator")
    first = submit_status(session, DEVICE, place.id, {"wheelchair": "yes"})
    moderation.reject(session, first.id, moderator, "wrong")
    second = submit_status(session, DEVICE, place.id, {"wheelchair": "yes"})
    assert second.id != first.id and second.state == "pending"
    session.refresh(first)
    assert first.state == "rejected" and first.proposed == {"wheelchair": "yes"}


def test_an_answer_a_moderator_is_reviewing_is_not_changed_under_them(session):
    place = make_place(session)
    moderator = make_user(session, role="moderator")
    first = submit_status(session, DEVICE, place.id, {"wheelchair": "yes"})
    claims.claim_next(session, moderator)
    second = submit_status(session, DEVICE, place.id, {"wheelchair": "no"})
    assert second.id != first.id
    session.refresh(first)
    assert first.proposed == {"wheelchair": "yes"}
    # Once the lease has run out, the repeat updates the newest pending answer again.
    session.execute(Submission.__table__.update().where(Submission.id == first.id).values(
        claim_expires_at=func.now() - timedelta(minutes=1)))
    session.expire_all()
    assert submit_status(session, DEVICE, place.id, {"wheelchair": "limited"}).id == second.id


def test_a_repeat_after_the_place_changed_takes_the_new_version(session):
    place = make_place(session)
    moderator = make_user(session, role="moderator")
    mine = submit_status(session, DEVICE, place.id, {"wheelchair": "yes"})
    theirs = submit_status(session, OTHER_DEVICE, place.id, {"description": "Bell at the door"})
    moderation.approve(session, theirs.id, moderator)
    session.refresh(place)
    again = submit_status(session, DEVICE, place.id, {"wheelchair": "yes"}, base_version=place.version)
    assert again.id == mine.id and again.base_version == place.version == 2


def test_a_report_of_the_same_problem_updates_another_problem_adds(session):
    place = make_place(session)
    first = submit_report(session, DEVICE, place.id, {"problem": "closed"})
    assert submit_report(session, DEVICE, place.id, {"problem": "closed", "note": "Shut since May"}).id == first.id
    assert submit_report(session, DEVICE, place.id, {"problem": "offensive"}).id != first.id
    assert count_rows(session, Submission) == 2


def test_repeats_sent_at_once_still_make_one_item(live_app, live_db):
    """Requests of one device at the same moment: the place lock orders them, so all but the first update."""
    with live_app.app_context():
        place_id = make_place(live_db).id
        live_db.commit()
    engine = live_app.extensions["stepfree_db"].engine
    answers = ("yes", "no", "limited", "yes")
    barrier = threading.Barrier(len(answers))
    ids, errors = [], []

    def send(answer):
        try:
            with live_app.app_context(), Session(engine) as own:
                barrier.wait(timeout=10)
                ids.append(submit_status(own, DEVICE, place_id, {"wheelchair": answer}).id)
                own.commit()
        except Exception as error:  # surfaced by the assertion below
            errors.append(repr(error))

    threads = [threading.Thread(target=send, args=(answer,)) for answer in answers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and len(ids) == len(answers)
    assert len(set(ids)) == 1
    with Session(engine) as check:
        assert check.scalar(select(func.count()).select_from(Submission)
                            .where(Submission.place_id == place_id, Submission.state == "pending")) == 1
