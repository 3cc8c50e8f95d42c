"""An unnamed toilet from OpenStreetMap on the phone (issue 15): found by its street, called by its category,
its address on the sheet, in real headless Chromium."""

from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, describe
from tests.factories import make_place


def test_an_unnamed_toilet_is_found_by_street_and_called_by_its_category(phone_page, live_server, live_db):
    toilet = make_place(live_db, name=None, category="toilets", wheelchair="yes", lon=9.5215, lat=47.1395,
                        source="osm", osm_type="node", osm_id=777)
    toilet.address = {"street": "Städtle", "housenumber": "35", "postcode": "9490", "city": "Vaduz"}
    live_db.commit()
    page = phone_page
    page.goto(f"{live_server}/#map=18/47.1395/9.5215")
    # The marker's name for screen readers, and the list.
    expect(page.get_by_role("button", name="Public toilets, Accessible")).to_be_visible()

    page.get_by_role("searchbox", name="Find a place by name or street").fill("Städtle 35")
    page.get_by_role("button", name="Search").tap()
    result = page.get_by_role("list", name="Search results").get_by_role("button").first
    expect(result).to_have_text("Public toilets — Accessible")
    result.tap()
    sheet = page.get_by_role("dialog", name="Public toilets")
    expect(sheet.locator("#sheet-address")).to_have_text("Städtle 35, 9490 Vaduz")
    expect(sheet).not_to_contain_text("null")
    assert axe_violations(page) == [], describe(axe_violations(page))
