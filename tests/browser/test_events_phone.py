"""Mapping events on a phone, in real headless Chromium at 390×844 with touch: an organiser draws an event's area
by tapping corners, the event page shows its progress, and a visitor without an account joins."""

import re
from datetime import timedelta

from geoalchemy2.shape import to_shape
from playwright.sync_api import expect
from shapely.geometry import Point
from sqlalchemy import select

from app.models import EventParticipant, MappingEvent
from app.models.base import utcnow
from app.services import events as event_service
from tests.browser.conftest import axe_violations, describe, sign_in
from tests.conftest import TEST_PASSWORD
from tests.factories import make_place, make_user

# The map opens on Vaduz (MAP_CENTER_LAT/LON); these places sit in the middle of that first view.
CENTRE = (9.521, 47.141)


def _assert_accessible(page):
    assert axe_violations(page) == [], describe(axe_violations(page))


def _local(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_phone_organiser_draws_an_area_and_the_event_shows_progress(phone_page, live_server, live_db):
    organiser = make_user(live_db, role="organiser", password=TEST_PASSWORD)
    for offset, wheelchair in enumerate(("yes", "no", "unknown", "unknown")):
        make_place(live_db, lon=CENTRE[0] + (offset - 1.5) * 2e-4, lat=CENTRE[1], wheelchair=wheelchair)
    live_db.commit()
    page = phone_page
    sign_in(page, live_server, organiser.email, TEST_PASSWORD)

    page.goto(f"{live_server}/events")
    _assert_accessible(page)
    page.get_by_role("link", name="Create an event").tap()
    expect(page.get_by_role("heading", name="Create a mapping event")).to_be_visible()
    page.get_by_label("Name").fill("Städtle check-up")
    now = utcnow()
    page.get_by_label("Starts").fill(_local(now - timedelta(hours=1)))
    page.get_by_label("Ends").fill(_local(now + timedelta(days=1)))
    page.get_by_label("Time zone of these times").select_option("UTC")
    page.get_by_label(re.compile("^Goal")).fill("60")

    status = page.locator("#area-status")
    expect(status).to_contain_text("No corners yet")
    area_map = page.locator("#area-map")
    area_map.scroll_into_view_if_needed()
    box = area_map.bounding_box()
    centre_x, centre_y = box["width"] / 2, box["height"] / 2
    for dx, dy in ((-90, -70), (90, -70), (90, 70), (-90, 70), (0, 100)):
        area_map.tap(position={"x": centre_x + dx, "y": centre_y + dy})
    expect(status).to_contain_text("5 corners: the area is ready")
    page.get_by_role("button", name="Undo last corner").tap()
    expect(status).to_contain_text("4 corners: the area is ready")
    _assert_accessible(page)

    page.get_by_role("button", name="Create event").tap()
    page.wait_for_url(f"{live_server}/events/stadtle-check-up")
    expect(page.get_by_role("heading", name="Städtle check-up")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("is created")
    progress = page.get_by_role("progressbar", name="Places with a known status")
    expect(progress).to_have_attribute("max", "4")
    expect(progress).to_have_attribute("value", "2")
    expect(page.locator("#known-text")).to_contain_text("50 % known: 2 of the 4 places in the area")
    expect(page.locator("#known-text")).to_contain_text("The goal is 60 %")
    expect(page.get_by_role("img", name="QR code for the join link")).to_be_visible()
    _assert_accessible(page)

    event = live_db.scalars(select(MappingEvent).where(MappingEvent.slug == "stadtle-check-up")).one()
    corners = list(to_shape(event.area).geoms[0].exterior.coords)
    assert len(corners) == 5 and event.goal_known_pct == 60 and event.created_by_id == organiser.id
    assert to_shape(event.area).contains(Point(*CENTRE))


def test_phone_visitor_joins_an_event_without_an_account(phone_page, live_server, live_db):
    now = utcnow()
    event = event_service.create_event(live_db, make_user(live_db, role="organiser"), {
        "name": "Saturday mapping", "starts_at": _local(now - timedelta(hours=1)),
        "ends_at": _local(now + timedelta(hours=5)), "time_zone": "UTC", "bbox": "9.50,47.13,9.54,47.15"})
    live_db.commit()
    page = phone_page

    page.goto(f"{live_server}/events/{event.slug}")
    expect(page.locator("#participant-count")).to_have_text("0")
    _assert_accessible(page)
    page.get_by_role("button", name="Join this event").tap()

    expect(page.get_by_text("You have joined this event.")).to_be_visible()
    expect(page.locator("#participant-count")).to_have_text("1")
    expect(page.get_by_role("link", name="Check places in this area")).to_have_attribute(
        "href", f"/check?event={event.slug}")
    joined = live_db.execute(select(EventParticipant.user_id, EventParticipant.device_hash)
                             .where(EventParticipant.event_id == event.id)).all()
    assert len(joined) == 1 and joined[0].user_id is None and len(joined[0].device_hash) == 64
    _assert_accessible(page)
