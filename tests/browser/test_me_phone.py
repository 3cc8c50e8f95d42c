"""/me and /notices on a phone (390×844, touch) in real Chromium: they render, pass axe, and the menu shows
the unread count until the volunteer marks the notices read."""

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from app.device import COOKIE
from app.models import Notice
from app.services import moderation
from app.services.submissions import Submitter, hash_device_token, submit_new_place, submit_status, submit_still_correct
from tests.browser.conftest import axe_violations, describe, sign_in
from tests.conftest import TEST_PASSWORD
from tests.factories import make_place, make_user

TOKEN = "browser-me-device-token-0123456789abcdefgh"
# Chromium puts a space before the closing parenthesis: the visually hidden word is laid out as its own box.
MENU_3_UNREAD = re.compile(r"^Menu \(3 unread notices ?\)$")
NOTICES_3_UNREAD = re.compile(r"^Notices \(3 unread ?\)$")


def _record(session, volunteer: Submitter) -> None:
    """An added place, a checked one, a rejection with a note, and one answer still waiting."""
    moderator = make_user(session, role="moderator")
    cafe = make_place(session, name="Café Sonne", lon=9.52, lat=47.14)
    make_place(session, name="Bakery", wheelchair="yes", lon=9.521, lat=47.14)
    checked = submit_still_correct(session, volunteer, cafe.id)
    added = submit_new_place(session, volunteer, {"name": "Kiosk", "category": "shopping", "wheelchair": "no",
                                                  "lon": 9.5205, "lat": 47.1405})
    refused = submit_status(session, volunteer, cafe.id, {"wheelchair": "no"})
    submit_status(session, volunteer, cafe.id, {"toilets_wheelchair": "yes"})
    moderation.approve(session, checked.id, moderator)
    moderation.approve(session, added.id, moderator)
    moderation.reject(session, refused.id, moderator, "unverifiable", "A photo of the entrance, please")
    session.commit()


def _open_menu(page):
    menu = page.get_by_role("button", name="Menu")
    menu.tap()
    expect(menu).to_have_attribute("aria-expanded", "true")


def _unread(session) -> int:
    return session.scalar(select(func.count()).select_from(Notice).where(Notice.read_at.is_(None)))


def test_me_and_notices_for_a_signed_in_volunteer_at_phone_size(phone_page, live_server, live_db):
    user = make_user(live_db, password=TEST_PASSWORD, display_name="Phone Pat")
    _record(live_db, Submitter(user=user))
    page = phone_page
    sign_in(page, live_server, user.email, TEST_PASSWORD)

    page.goto(f"{live_server}/me")
    expect(page.get_by_role("heading", name="Your impact")).to_be_visible()
    expect(page.locator("#places-added")).to_have_text("1")
    expect(page.locator("#places-checked")).to_have_text("1")
    expect(page.get_by_text("2 of 3 places known (67 %)")).to_be_visible()
    expect(page.get_by_text("Moderator's note: “A photo of the entrance, please”")).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))

    # The folded menu says how many notices are unread, on its button and on the link inside.
    expect(page.get_by_role("button", name=MENU_3_UNREAD)).to_be_visible()
    _open_menu(page)
    link = page.get_by_role("link", name=NOTICES_3_UNREAD)
    expect(link).to_be_visible()
    link.tap()

    page.wait_for_url(f"{live_server}/notices")
    expect(page.get_by_text("Your answer for Café Sonne was approved")).to_be_visible()
    expect(page.get_by_text("Your new place Kiosk was approved")).to_be_visible()
    expect(page.get_by_text("Your answer for Café Sonne was not accepted: A moderator could not confirm it — "
                            "the moderator wrote: “A photo of the entrance, please”")).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))
    button = page.get_by_role("button", name="Mark all as read")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    button.tap()

    expect(page.get_by_role("status").filter(has_text="marked as read")).to_be_visible()
    assert _unread(live_db) == 0
    expect(page.get_by_role("button", name="Menu", exact=True)).to_be_visible()
    _open_menu(page)
    expect(page.get_by_role("link", name="Notices", exact=True)).to_be_visible()


def test_me_for_an_anonymous_device_and_a_new_visitor_at_phone_size(phone_page, live_server, live_db):
    page = phone_page
    page.goto(f"{live_server}/me")
    expect(page.get_by_text("Nothing sent yet")).to_be_visible()
    expect(page.get_by_role("link", name="Check places near you")).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))

    _record(live_db, Submitter(device_hash=hash_device_token(TOKEN)))
    page.context.add_cookies([{"name": COOKIE, "value": TOKEN, "url": live_server}])
    page.goto(f"{live_server}/me")
    expect(page.get_by_text("from this device without an account")).to_be_visible()
    expect(page.locator("#answers-rejected")).to_have_text("1")
    _open_menu(page)
    expect(page.get_by_role("link", name=NOTICES_3_UNREAD)).to_be_visible()
    page.goto(f"{live_server}/notices")
    expect(page.get_by_text("Your new place Kiosk was approved")).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))
