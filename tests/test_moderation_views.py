"""The moderation pages through the Flask test client: queue, filters, review, decisions, log, place page."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import ModerationEvent, Place, Submission
from app.models.base import utcnow
from app.services import claims, moderation
from app.services.submissions import Submitter, hash_device_token, submit_new_place, submit_report, submit_status
from tests.conftest import csrf_token_from
from tests.factories import make_place, make_user

DEVICE = Submitter(device_hash=hash_device_token("views-device"))
# A second volunteer: one device's repeated answer for a place updates its pending one instead of adding one.
OTHER_DEVICE = Submitter(device_hash=hash_device_token("views-device-2"))


@pytest.fixture
def moderator(auth):
    return auth.login_as("moderator", display_name="Mo Derator")


def _token(client):
    return csrf_token_from(client.get("/moderate").get_data(as_text=True))


def _post(client, path, **data):
    return client.post(path, data={"csrf_token": _token(client), **data})


def _status(session, place, value="yes", device=DEVICE):
    with_app = submit_status(session, device, place.id, {"wheelchair": value})
    session.commit()
    return with_app


def test_queue_shows_counts_per_kind_oldest_first(client, session, app, moderator):
    with app.app_context():
        place = make_place(session, name="Old Mill")
        first = _status(session, place)
        submit_report(session, DEVICE, place.id, {"problem": "closed"})
        session.commit()
    page = client.get("/moderate").get_data(as_text=True)
    counts = dict(re.findall(r'data-kind="(\w+)">(\d+)<', page))
    assert counts == {"status": "1", "new_place": "0", "correction": "0", "report": "1", "still_correct": "0",
                      "details": "0", "photo": "0", "photo_report": "0", "duplicate": "0"}
    assert page.index(f">{first.id}</a>") < page.index("Report</td>")
    assert "Old Mill" in page and "Keyboard shortcuts" in page


@pytest.mark.parametrize("query, expected", [
    ("kind=report", {"report"}),
    ("kind=status,new_place", {"status", "new place"}),
    ("author=anonymous", {"status", "report"}),
    ("author=new", {"new place"}),
    ("author=trusted", set()),
    ("bbox=9.0,47.0,9.6,47.2", {"status", "report"}),
    ("bbox=10,40,11,41", set()),
    ("age=day", {"status", "report", "new place"}),
    ("age=older", set()),
])
def test_queue_filters(client, session, app, moderator, query, expected):
    with app.app_context():
        place = make_place(session, lon=9.52, lat=47.14)
        _status(session, place)
        submit_report(session, DEVICE, place.id, {"problem": "closed"})
        submit_new_place(session, Submitter(user=make_user(session)), {"name": "Far café", "category": "food",
                                                                       "lon": 12.0, "lat": 50.0,
                                                                       "wheelchair": "no"})
        session.commit()
    page = client.get(f"/moderate?{query}").get_data(as_text=True)
    kinds = set(re.findall(r"<td>(Status|Report|New place)</td>", page))
    assert {k.lower() for k in kinds} == expected


def test_queue_rejects_a_bad_filter_naming_it(client, moderator):
    response = client.get("/moderate?bbox=1,2,3", headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "bbox"
    assert client.get("/moderate?kind=gossip").status_code == 400


def test_review_next_claims_and_decisions_move_on(client, session, app, moderator):
    with app.app_context():
        place = make_place(session, wheelchair="unknown")
        first, second = _status(session, place, "limited"), _status(session, make_place(session), "no")
    response = _post(client, "/moderate/next")
    assert response.status_code == 302 and response.location.endswith(f"/moderate/submissions/{first.id}")
    page = client.get(response.location).get_data(as_text=True)
    assert "You are reviewing this item" in page and "Approve" in page
    response = _post(client, f"/moderate/submissions/{first.id}/approve")
    assert response.location.endswith(f"/moderate/submissions/{second.id}")
    session.refresh(place)
    assert place.wheelchair == "limited"
    response = _post(client, f"/moderate/submissions/{second.id}/reject", reason="duplicate", note="See #1")
    assert response.location.endswith("/moderate")
    session.expire_all()
    assert session.get(Submission, second.id).reason_code == "duplicate"


def test_reject_without_reason_is_refused_on_the_review_screen(client, session, app, moderator):
    with app.app_context():
        submission = _status(session, make_place(session))
    response = _post(client, f"/moderate/submissions/{submission.id}/reject")
    assert response.status_code == 400 and "Choose a reason" in response.get_data(as_text=True)


def test_conflict_banner_and_refusal_of_someone_elses_claim(client, session, app, moderator):
    with app.app_context():
        other = make_user(session, role="moderator", display_name="Other Mod")
        place = make_place(session)
        older, newer = _status(session, place, "no"), _status(session, place, "yes", device=OTHER_DEVICE)
        moderation.approve(session, newer.id, other)
        claims.claim(session, older.id, other)
        session.commit()
    page = client.get(f"/moderate/submissions/{older.id}").get_data(as_text=True)
    assert "Conflict: the place changed after this submission was made" in page
    assert "Other Mod is reviewing this item" in page
    response = _post(client, f"/moderate/submissions/{older.id}/approve", over_conflict="1")
    assert response.status_code == 409 and "another moderator" in response.get_data(as_text=True)


def test_stale_approval_needs_the_confirmation(client, session, app, moderator):
    with app.app_context():
        place = make_place(session)
        older, newer = _status(session, place, "no"), _status(session, place, "yes", device=OTHER_DEVICE)
        moderation.approve(session, newer.id, make_user(session, role="moderator"))
        session.commit()
    response = _post(client, f"/moderate/submissions/{older.id}/approve")
    assert response.status_code == 409 and "version" in response.get_data(as_text=True)
    assert _post(client, f"/moderate/submissions/{older.id}/approve", over_conflict="1").status_code == 302
    session.refresh(place)
    assert place.wheelchair == "no"


def test_undo_restores_the_last_decision(client, session, app, moderator):
    with app.app_context():
        place = make_place(session, wheelchair="no")
        submission = _status(session, place, "yes")
    _post(client, f"/moderate/submissions/{submission.id}/approve")
    response = _post(client, "/moderate/undo")
    assert response.location.endswith(f"/moderate/submissions/{submission.id}")
    session.refresh(place)
    assert place.wheelchair == "no"
    assert session.get(Submission, submission.id).state == "pending"


def test_skip_releases_and_moves_past_the_item(client, session, app, moderator):
    with app.app_context():
        first, second = _status(session, make_place(session)), _status(session, make_place(session))
    _post(client, "/moderate/next")
    response = _post(client, f"/moderate/submissions/{first.id}/skip")
    assert response.location.endswith(f"/moderate/submissions/{second.id}")
    session.expire_all()
    assert session.get(Submission, first.id).claimed_by_id is None


def test_bulk_rejects_selected_each_recorded(client, session, app, moderator):
    with app.app_context():
        subs = [_status(session, make_place(session)) for _ in range(3)]
    response = client.post("/moderate/bulk", data={"csrf_token": _token(client), "action": "reject",
                                                   "reason": "spam", "ids": [s.id for s in subs[:2]]})
    assert response.status_code == 302
    session.expire_all()
    assert [session.get(Submission, s.id).state for s in subs] == ["rejected", "rejected", "pending"]
    events = session.scalars(select(ModerationEvent).where(ModerationEvent.action == "reject")).all()
    assert sorted(e.submission_id for e in events) == sorted(s.id for s in subs[:2])


def test_new_place_review_lists_neighbours_within_50_m(client, session, app, moderator):
    with app.app_context():
        make_place(session, name="Twin Café", lon=9.50010, lat=47.1)
        make_place(session, name="Far Bakery", lon=9.51, lat=47.1)
        submission = submit_new_place(session, DEVICE, {"name": "Twin Cafe", "category": "food", "lon": 9.5,
                                                        "lat": 47.1, "wheelchair": "yes"})
        session.commit()
    page = client.get(f"/moderate/submissions/{submission.id}").get_data(as_text=True)
    assert "Twin Café</a>, 8 m" in page and "Far Bakery" not in page
    assert "Anonymous device" in page


def test_report_actions_from_the_review_screen(client, session, app, moderator):
    with app.app_context():
        place = make_place(session, name="Rude name")
        report = submit_report(session, DEVICE, place.id, {"problem": "offensive"})
        session.commit()
    page = client.get(f"/moderate/submissions/{report.id}").get_data(as_text=True)
    assert "Hide the place" in page and "Dismiss the report" in page
    _post(client, f"/moderate/submissions/{report.id}/claim")
    assert _post(client, f"/moderate/submissions/{report.id}/hide").status_code == 302
    session.refresh(place)
    assert place.hidden_at is not None


def test_audit_log_filters_by_action_and_moderator(client, session, app, moderator):
    with app.app_context():
        other = make_user(session, role="moderator", display_name="Log Other")
        first, second = _status(session, make_place(session)), _status(session, make_place(session))
        moderation.reject(session, first.id, other, "spam")
        moderation.approve(session, second.id, moderator)
        session.commit()
    page = client.get("/moderate/log?action=reject").get_data(as_text=True)
    assert f"submission {first.id}" in page and f"submission {second.id}" not in page
    page = client.get(f"/moderate/log?actor={moderator.id}").get_data(as_text=True)
    assert f"submission {second.id}" in page and f"submission {first.id}" not in page
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    assert "No events match" in client.get(f"/moderate/log?since={tomorrow}").get_data(as_text=True)
    assert client.get("/moderate/log?since=yesterday").status_code == 400


def test_place_page_shows_status_in_words_and_history(client, session, app):
    with app.app_context():
        place = make_place(session, name="Town Hall", wheelchair="no")
        moderation.approve(session, _status(session, place, "limited").id, make_user(session, role="moderator"))
        session.commit()
    page = client.get(f"/places/{place.id}").get_data(as_text=True)
    assert "Partly accessible" in page and "Version 2" in page
    assert "Not accessible (no) → Partly accessible (limited)" in page
    assert "Revert to version" not in page and "by a moderator" in page


def test_hidden_place_is_only_for_moderators_who_can_revert(client, session, app, auth):
    with app.app_context():
        place = make_place(session, wheelchair="yes")
        moderator = make_user(session, role="moderator")
        moderation.approve(session, _status(session, place, "no").id, moderator)
        from app.services.reverts import set_hidden
        set_hidden(session, place.id, True, moderator)
        session.commit()
    assert client.get(f"/places/{place.id}").status_code == 404
    auth.login_as("moderator")
    page = client.get(f"/places/{place.id}").get_data(as_text=True)
    assert "Hidden" in page and "Revert to version 2" in page
    response = client.post(f"/moderate/places/{place.id}/revert", data={"csrf_token": _token(client), "version": 1})
    assert response.status_code == 303
    session.refresh(place)
    assert place.wheelchair == "yes" and place.version == 4


def test_ban_preview_then_ban(client, session, app, moderator):
    device = Submitter(device_hash=hash_device_token("view-vandal"))
    with app.app_context():
        place = make_place(session, name="Vandalised", wheelchair="yes")
        moderation.approve(session, _status(session, place, "no", device).id, moderator)
        pending = _status(session, make_place(session), "no", device)
    page = client.get(f"/moderate/ban?device={device.device_hash}").get_data(as_text=True)
    assert "Vandalised" in page and "Revert to version 1" in page and "1 pending submission" in page
    response = client.post("/moderate/ban", data={"csrf_token": _token(client), "device": device.device_hash,
                                                  "reason": "vandal", "place": [place.id]})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Place, place.id).wheelchair == "yes"
    assert session.get(Submission, pending.id).reason_code == "banned"
    assert client.get("/moderate/ban?device=nothex").status_code == 400


def test_queue_pages_through_older_items(client, session, app, moderator):
    with app.app_context():
        place = make_place(session)
        ids = [submit_status(session, Submitter(device_hash=hash_device_token(f"pager-{n}")), place.id,
                             {"wheelchair": "yes"}).id for n in range(52)]
        session.commit()
    first = client.get("/moderate").get_data(as_text=True)
    assert "showing 1–50" in first and f">{ids[49]}</a>" in first and f">{ids[50]}</a>" not in first
    second = client.get("/moderate?page=2").get_data(as_text=True)
    assert "showing 51–52" in second and f">{ids[51]}</a>" in second and "Newer 50" in second
    assert client.get("/moderate?page=0").status_code == 400


def test_bulk_with_many_skipped_keeps_the_session_cookie_small(client, session, app, moderator):
    """Each skipped item once added its own flash to the cookie, until requests failed with 431."""
    with app.app_context():
        subs = [_status(session, make_place(session)) for _ in range(60)]
        for s in subs:
            moderation.reject(session, s.id, moderator, "spam")
        session.commit()
    response = client.post("/moderate/bulk", data={"csrf_token": _token(client), "action": "approve",
                                                   "ids": [s.id for s in subs]})
    assert response.status_code == 302
    assert len(response.headers["Set-Cookie"]) < 2048
    page = client.get("/moderate")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Left 60 pending" in text and "and 55 more" in text


def test_refused_decision_on_a_missing_submission_is_a_404_not_a_review(client, moderator):
    response = _post(client, "/moderate/submissions/999999/approve")
    assert response.status_code == 404
    assert "Approve" not in response.get_data(as_text=True)


def test_refused_role_check_never_renders_the_review_screen(client, session, app, auth):
    with app.app_context():
        submission = _status(session, make_place(session, name="Secret Café"))
    auth.login_as("volunteer")
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    response = client.post(f"/moderate/submissions/{submission.id}/approve", data={"csrf_token": token})
    assert response.status_code == 403
    assert "Secret Café" not in response.get_data(as_text=True)
