"""The OGC API's HTML pages at phone size in real Chromium: axe clean, no sideways scroll of the page."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, describe
from tests.factories import make_place

PAGES = ["/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/places",
         "/ogc/collections/places/queryables", "/ogc/collections/places/items?limit=2",
         "/ogc/collections/places/items/{id}"]


@pytest.mark.parametrize("width, height", [(390, 844), (375, 667)])
def test_ogc_html_pages_pass_axe_at_phone_size(phone_page, live_server, live_db, width, height):
    places = [make_place(live_db, name=f"Library {n}", description="Ramp at the side entrance")
              for n in range(3)]
    live_db.commit()
    page = phone_page
    page.set_viewport_size({"width": width, "height": height})
    for path in PAGES:
        # A browser's own Accept header picks the HTML page.
        page.goto(live_server + path.format(id=places[0].id))
        expect(page.locator("h1")).to_be_visible()
        assert axe_violations(page) == [], f"{path}: {describe(axe_violations(page))}"
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px"
    page.goto(f"{live_server}/ogc/collections/places/items?limit=2")
    page.get_by_role("link", name="Next page").tap()
    expect(page.get_by_role("link", name="Previous page")).to_be_visible()
    page.get_by_role("link", name=f"{places[2].id}", exact=True).tap()
    expect(page.get_by_role("heading", name="Library 2")).to_be_visible()
