"""/my/submissions on a small phone (375×667) in real Chromium: a list that fits, dates on one line, the state
in words rather than an emoji that a phone without an emoji font draws as an empty box."""

import pytest
from playwright.sync_api import expect

from app.services import moderation
from app.services.submissions import Submitter, submit_new_place, submit_status
from tests.browser.conftest import PHONE, axe_violations, describe, open_context, sign_in
from tests.conftest import TEST_PASSWORD
from tests.factories import make_place, make_user

SMALL_PHONE = {**PHONE, "viewport": {"width": 375, "height": 667}}


@pytest.fixture
def small_phone(browser, live_db):
    context = open_context(browser, SMALL_PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    violations = context.csp_violations
    context.close()
    assert violations == [], f"Content-Security-Policy violations: {violations}"


def test_my_submissions_fit_a_small_phone(small_phone, live_server, live_db):
    volunteer = make_user(live_db, password=TEST_PASSWORD)
    moderator = make_user(live_db, role="moderator")
    author = Submitter(user=volunteer)
    cafe = make_place(live_db, name="Café Sonnenblume am Rathausplatz")
    submit_status(live_db, author, cafe.id, {"wheelchair": "no", "description": "Two steps at the side door"})
    refused = submit_status(live_db, author, make_place(live_db, name="Bakery").id, {"wheelchair": "yes"})
    moderation.reject(live_db, refused.id, moderator, "unverifiable", "A photo of the entrance, please")
    added = submit_new_place(live_db, author, {"name": "Kiosk", "category": "shopping", "wheelchair": "limited",
                                               "lon": 9.5205, "lat": 47.1405})
    moderation.approve(live_db, added.id, moderator)
    live_db.commit()
    page = small_phone
    sign_in(page, live_server, volunteer.email, TEST_PASSWORD)
    page.goto(f"{live_server}/my/submissions")

    dates = page.locator("time")
    expect(dates).to_have_count(3)
    for i in range(3):
        lines = dates.nth(i).evaluate(
            "t => t.getBoundingClientRect().height / parseFloat(getComputedStyle(t).lineHeight)")
        assert lines < 1.5, f"date {i} spans {lines:.1f} lines"
        assert dates.nth(i).get_attribute("datetime")

    for label in ("Awaiting review", "Not accepted", "Approved"):
        badge = page.locator(".state-badge", has_text=label)
        expect(badge).to_be_visible()
        # The words are the badge's text; any symbol beside them is hidden from assistive technology.
        assert badge.evaluate("b => b.innerText.trim()").endswith(label)
        assert badge.locator("[aria-hidden='true']").count() == 1
    assert "⏳" not in page.content()

    expect(page.get_by_role("heading", name="3 submissions, newest first")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px"
    assert axe_violations(page) == [], describe(axe_violations(page))
