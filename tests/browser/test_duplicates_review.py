"""A moderator merges a possible duplicate by keyboard, in real headless Chromium (issue 15)."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Place, Submission
from app.services.duplicates import file_possible_duplicates
from tests.browser.conftest import axe_violations, describe, sign_in_with_keyboard
from tests.conftest import TEST_PASSWORD
from tests.factories import make_place, make_user

METRE = 1 / 111_320


def _seed(live_app, live_db):
    with live_app.app_context():
        moderator = make_user(live_db, role="moderator", password=TEST_PASSWORD, display_name="Dup Mod")
        volunteer = make_place(live_db, name="Café Löwen", category="food", lon=9.52, lat=47.14, source="volunteer",
                               wheelchair="yes", description="Ramp at the side door")
        osm = make_place(live_db, name="Cafe Loewen", category="food", lon=9.52, lat=47.14 + 18 * METRE,
                         source="osm", osm_type="node", osm_id=4242)
        file_possible_duplicates(live_db, [osm.id])
        live_db.commit()
    return moderator, volunteer, osm


def test_a_moderator_merges_a_possible_duplicate_by_keyboard(laptop_page, live_server, live_app, live_db):
    moderator, volunteer, osm = _seed(live_app, live_db)
    page = laptop_page
    sign_in_with_keyboard(page, live_server, moderator.email, TEST_PASSWORD)
    page.goto(f"{live_server}/moderate?kind=duplicate")
    page.keyboard.press("n")
    page.wait_for_url(re.compile(rf"{live_server}/moderate/submissions/\d+$"))

    pair = page.locator("#duplicate-pair")
    expect(pair).to_contain_text("18 m apart")
    expect(pair.get_by_role("link", name="Café Löwen")).to_be_visible()
    expect(pair.get_by_role("link", name="Cafe Loewen")).to_be_visible()
    expect(pair).to_contain_text("Ramp at the side door")
    expect(page.get_by_role("button", name=re.compile("Merge into the OpenStreetMap place"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Not the same place"))).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))

    page.keyboard.press("a")
    page.wait_for_url(f"{live_server}/places/{osm.id}")
    expect(page.get_by_text("Merged Café Löwen into Cafe Loewen")).to_be_visible()
    expect(page.locator("#wheelchair-status")).to_contain_text("Accessible")
    assert axe_violations(page) == [], describe(axe_violations(page))

    page.goto(f"{live_server}/places/{volunteer.id}")
    expect(page.locator("#merged-into").get_by_role("link", name="Cafe Loewen")).to_be_visible()
    live_db.expire_all()
    assert live_db.get(Place, volunteer.id).merged_into_id == osm.id
    assert live_db.scalar(select(Submission.state).where(Submission.kind == "duplicate")) == "approved"
