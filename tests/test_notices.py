"""Notices of verdicts: created by a moderator's decision (not by an auto-approval), shown in words on
/notices, counted in the menu, marked read through a CSRF-protected form, and private to their volunteer."""

import re

import pytest
from sqlalchemy import func, select

from app.device import COOKIE
from app.errors import error_response
from app.models import Notice
from app.queries import notices as notice_queries
from app.services import moderation
from app.services.submissions import Submitter, hash_device_token, submit_new_place, submit_status
from tests.conftest import csrf_token_from
from tests.factories import make_place, make_user

TOKEN = "notices-device-token-0123456789abcdefghijk"
OTHER_TOKEN = "notices-other-device-0123456789abcdefghij"
DEVICE = Submitter(device_hash=hash_device_token(TOKEN))


def _words(html: str) -> str:
    """The page's text as a reader meets it: tags out, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" ,", ",")


def _notices_of(session, volunteer: Submitter) -> list[tuple[int, str]]:
    column = Notice.user_id == volunteer.user.id if volunteer.user else Notice.device_hash == volunteer.device_hash
    return list(session.execute(select(Notice.submission_id, Notice.verdict).where(column).order_by(Notice.id)))


def _decide_some(session, volunteer: Submitter):
    """One approved and one rejected answer (with a note) for the volunteer; returns (approved, rejected)."""
    cafe = make_place(session, name="Café <Sonne>")
    moderator = make_user(session, role="moderator")
    approved = submit_status(session, volunteer, cafe.id, {"wheelchair": "yes"})
    rejected = submit_new_place(session, volunteer, {"name": "Kiosk", "category": "shopping", "wheelchair": "no",
                                                     "lon": 9.52, "lat": 47.14})
    moderation.approve(session, approved.id, moderator)
    moderation.reject(session, rejected.id, moderator, "unverifiable", "Photo please <b>")
    session.commit()
    return approved, rejected


@pytest.mark.parametrize("who", ["account", "device"])
def test_moderators_verdicts_create_notices_for_the_author(session, who):
    volunteer = Submitter(user=make_user(session)) if who == "account" else DEVICE
    approved, rejected = _decide_some(session, volunteer)
    assert _notices_of(session, volunteer) == [(approved.id, "approved"), (rejected.id, "rejected")]
    row = session.scalar(select(Notice).where(Notice.submission_id == approved.id))
    # Exactly one of the two identities, and unread.
    assert (row.user_id is None) == (who == "device") and (row.device_hash is None) == (who == "account")
    assert row.read_at is None


def test_an_auto_approval_creates_no_notice(session):
    moderator = make_user(session, role="moderator")
    place = make_place(session)
    submission = submit_status(session, Submitter(user=moderator), place.id, {"wheelchair": "no"})
    assert submission.state == "approved" and submission.auto_approved
    assert session.scalar(select(func.count()).select_from(Notice)) == 0


def test_notices_page_tells_each_verdict_in_words(client, session):
    approved, rejected = _decide_some(session, DEVICE)
    client.set_cookie(COOKIE, TOKEN)
    html = client.get("/notices").get_data(as_text=True)
    text = _words(html)
    assert "Your answer for Café &lt;Sonne&gt; was approved" in text
    assert ("Your new place Kiosk was not accepted: A moderator could not confirm it — the moderator wrote: "
            "“Photo please &lt;b&gt;”") in text
    # Newest first, and a link to the place that exists.
    assert text.index("Your new place Kiosk") < text.index("Your answer for Café")
    assert f'href="/places/{approved.place_id}"' in html
    assert text.count("New ") >= 2


def test_menu_shows_the_unread_count_and_mark_all_read_clears_it(client, session):
    _decide_some(session, DEVICE)
    client.set_cookie(COOKIE, TOKEN)
    home = client.get("/").get_data(as_text=True)
    assert 'Notices (2<span class="visually-hidden"> unread</span>)' in home
    assert 'Menu (2<span class="visually-hidden"> unread notices</span>)' in home

    page = client.get("/notices").get_data(as_text=True)
    assert "Mark all as read" in page
    refused = client.post("/notices/read")  # no CSRF token
    assert refused.status_code == 400
    assert session.scalar(select(func.count()).where(Notice.read_at.is_(None))) == 2

    done = client.post("/notices/read", data={"csrf_token": csrf_token_from(page)})
    assert done.status_code == 303 and done.headers["Location"].endswith("/notices")
    session.expire_all()
    assert session.scalar(select(func.count()).where(Notice.read_at.is_(None))) == 0
    after = client.get("/notices").get_data(as_text=True)
    assert '<a href="/notices" id="notices-link">Notices</a>' in after  # still there, without a count
    assert "Mark all as read" not in after and "unread" not in after


def test_menu_count_for_a_signed_in_volunteer(client, session, auth):
    user = auth.login_as("volunteer")
    html = client.get("/").get_data(as_text=True)
    assert '<a href="/notices" id="notices-link">Notices</a>' in html  # an account always has the link
    _decide_some(session, Submitter(user=user))
    html = client.get("/").get_data(as_text=True)
    assert 'Notices (2<span class="visually-hidden"> unread</span>)' in html


def test_a_device_without_notices_has_no_notices_link(client, session):
    assert 'id="notices-link"' not in client.get("/").get_data(as_text=True)
    client.set_cookie(COOKIE, TOKEN)
    assert 'id="notices-link"' not in client.get("/").get_data(as_text=True)


def test_one_volunteer_never_sees_or_clears_anothers_notices(app, client, session, auth):
    _decide_some(session, DEVICE)
    # Another device.
    other = app.test_client()
    other.set_cookie(COOKIE, OTHER_TOKEN)
    page = other.get("/notices").get_data(as_text=True)
    assert "Sonne" not in page and "No notices yet" in page and "unread" not in page
    other.post("/notices/read", data={"csrf_token": csrf_token_from(page)})
    # An account, on the same browser as the device: the account's notices only.
    client.set_cookie(COOKIE, TOKEN)
    auth.login_as("volunteer")
    page = client.get("/notices").get_data(as_text=True)
    assert "Sonne" not in page and "unread" not in page
    client.post("/notices/read", data={"csrf_token": csrf_token_from(page)})
    assert session.scalar(select(func.count()).where(Notice.read_at.is_(None))) == 2


def test_the_503_page_and_static_files_never_ask_for_notices(app, monkeypatch):
    def refuse(*args):
        raise AssertionError("the notice count was asked for")
    monkeypatch.setattr(notice_queries, "notice_summary", refuse)
    monkeypatch.setattr("app.blueprints.me.notice_summary", refuse)
    headers = {"Cookie": f"{COOKIE}={TOKEN}", "Accept": "text/html"}
    with app.test_request_context("/places/1", headers=headers):
        page = error_response(503, "unavailable", "No database.", database_down=True).get_data(as_text=True)
    assert "No database." in page and "Notices" not in page
    for path in ("/static/css/me.css", "/api/places/1"):
        with app.test_request_context(path, headers=headers):
            assert "notices_menu" not in app.jinja_env.globals
            context = {}
            app.update_template_context(context)
            assert "notices_menu" not in context
