"""/moderate/osm in real headless Chromium: a moderator reads a change field by field, holds it back by keyboard
with a reason and releases it; no serious accessibility violation, at a laptop's width and a phone's."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.models import OsmNode, OsmUpstreamHold, Place
from app.services.places import apply_change
from tests.browser.conftest import axe_violations, describe, sign_in_with_keyboard
from tests.conftest import TEST_PASSWORD
from tests.factories import make_place, make_user


def _seed(live_app, live_db):
    with live_app.app_context():
        moderator = make_user(live_db, role="moderator", password=TEST_PASSWORD, display_name="Upstream Mod")
        seen = {"name": "Café Löwen", "category": "food", "wheelchair": "no", "toilets_wheelchair": "unknown",
                "description": None, "lon": 9.52, "lat": 47.14, "gone": False}
        place = make_place(live_db, name="Café Löwen", wheelchair="no", source="osm", osm_type="node", osm_id=777,
                           osm_seen=seen, lon=9.52, lat=47.14)
        live_db.add(OsmNode(id=777, version=3, tags={"amenity": "cafe", "name": "Café Löwen", "wheelchair": "no"},
                            x=95_200_000, y=471_400_000))
        locked = live_db.scalar(select(Place).where(Place.id == place.id).with_for_update())
        apply_change(live_db, locked, {"wheelchair": "limited"}, revision_source="moderation", verified=True)
        live_db.commit()
    return moderator, place


def test_a_moderator_holds_a_change_back_and_releases_it_by_keyboard(laptop_page, live_server, live_app, live_db):
    moderator, place = _seed(live_app, live_db)
    page = laptop_page
    sign_in_with_keyboard(page, live_server, moderator.email, TEST_PASSWORD)
    page.goto(f"{live_server}/moderate/osm")
    item = page.locator(f"#upstream-{place.id}").locator("xpath=..")
    expect(item.get_by_role("row", name=re.compile("Wheelchair access"))).to_contain_text("limited")
    expect(page.get_by_role("link", name=re.compile("Download the osmChange file"))).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))

    item.get_by_label("Reason to hold it back").focus()
    page.keyboard.type("The ramp is being rebuilt")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/moderate/osm")
    expect(page.get_by_text("Held back from OpenStreetMap")).to_be_visible()
    expect(page.get_by_text("The ramp is being rebuilt")).to_be_visible()
    assert live_db.get(OsmUpstreamHold, place.id) is not None
    assert axe_violations(page) == [], describe(axe_violations(page))

    page.get_by_role("button", name="Release").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/moderate/osm")
    expect(page.get_by_text("Released: the place's changes are offered to OpenStreetMap again.")).to_be_visible()
    live_db.expire_all()
    assert live_db.get(OsmUpstreamHold, place.id) is None


def test_the_upstream_queue_fits_a_phone(phone_page, live_server, live_app, live_db):
    moderator, place = _seed(live_app, live_db)
    page = phone_page
    sign_in_with_keyboard(page, live_server, moderator.email, TEST_PASSWORD)
    page.goto(f"{live_server}/moderate/osm")
    expect(page.locator(f"#upstream-{place.id}")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert axe_violations(page) == [], describe(axe_violations(page))
