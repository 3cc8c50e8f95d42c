"""Tagging on a phone in German and in Arabic (right to left), and axe in every language (issue 13).

Screenshots of each language's map and sheet are kept in test-artifacts/languages/ for people to look at.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Submission
from tests.browser.conftest import LAPTOP, PHONE, _close, _page, axe_violations, describe
from tests.browser.test_map_phone import _load_demo, _marker, _single_marker, open_single_place
from tests.test_i18n import _read

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "languages"
LANGUAGES = ("en", "de", "fr", "es", "ar")


def _in(code: str, message: str) -> str:
    """The message as the language's catalog says it (English is its own)."""
    if code == "en":
        return message
    entry = _read(code).get(message)
    assert entry is not None and entry.string, f"{code} has no {message!r}"
    return entry.string


@pytest.fixture
def open_page(browser, live_server):
    contexts = []

    def opener(code: str, options=PHONE):
        context, page = _page(browser, options)
        context.add_cookies([{"name": "stepfree_lang", "value": code, "url": live_server}])
        contexts.append(context)
        return page

    yield opener
    for context in contexts:
        _close(context)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _open_map(page, live_server, code):
    page.goto(f"{live_server}/")
    expect(page.locator("html")).to_have_attribute("lang", code)
    expect(page.locator(".leaflet-marker-icon").first).to_be_visible()


@pytest.mark.parametrize("code", LANGUAGES)
def test_map_and_sheet_are_axe_clean_in_each_language(open_page, live_server, live_db, code):
    places = _load_demo(live_db)
    page = open_page(code)
    _open_map(page, live_server, code)
    assert axe_violations(page) == [], describe(axe_violations(page))
    target = _single_marker(page, places, "yes")
    _marker(page, target).tap()
    expect(page.get_by_role("dialog", name=target.name)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^" + re.escape(_in(code, "Partly accessible"))))) \
        .to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))
    _shot(page, f"map-sheet-{code}")


def test_phone_volunteer_tags_a_place_in_german(open_page, live_server, live_db):
    places = _load_demo(live_db)
    page = open_page("de")
    _open_map(page, live_server, "de")
    target, sheet = open_single_place(page, places, "yes", _in("de", "Accessible"),
                                      _in("de", "%(name)s, %(status)s"))
    sheet.get_by_role("button", name=re.compile("^" + re.escape(_in("de", "Partly accessible")))).tap()
    expect(sheet.get_by_role("status")).to_contain_text(_in("de", "Sent for review. Thank you! A moderator will "
                                                                  "check it soon."))
    _shot(page, "tagged-de")
    stored = live_db.scalars(select(Submission).where(Submission.place_id == target.id)).one()
    assert (stored.kind, stored.state, stored.proposed) == ("status", "pending", {"wheelchair": "limited"})


def test_phone_volunteer_tags_a_place_in_arabic_right_to_left(open_page, live_server, live_db):
    places = _load_demo(live_db)
    page = open_page("ar")
    _open_map(page, live_server, "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    target, sheet = open_single_place(page, places, "yes", _in("ar", "Accessible"),
                                      _in("ar", "%(name)s, %(status)s"))
    # Each answer reads right to left: its symbol at the right, its words to the left of it, aligned right.
    for value in ("yes", "limited", "no"):
        answer = sheet.locator(f'.answer[data-wheelchair="{value}"]')
        icon, words = answer.locator(".sf-marker").bounding_box(), \
            answer.locator(".answer-text").bounding_box()
        assert icon["x"] > words["x"], (value, icon, words)
        assert answer.evaluate("e => getComputedStyle(e).direction") == "rtl"
    # The map does not flip; its zoom control moves to the mirrored corner (bottom right on an English phone).
    zoom = page.locator(".leaflet-control-zoom").bounding_box()
    assert zoom["x"] + zoom["width"] < 390 / 2, zoom
    assert page.locator(".leaflet-map-pane").evaluate("e => getComputedStyle(e).direction") == "ltr"
    sheet.get_by_role("button", name=re.compile("^" + re.escape(_in("ar", "Not accessible")))).tap()
    expect(sheet.get_by_role("status")).to_contain_text(_in("ar", "Sent for review. Thank you! A moderator will "
                                                                  "check it soon."))
    _shot(page, "tagged-ar")
    stored = live_db.scalars(select(Submission).where(Submission.place_id == target.id)).one()
    assert stored.proposed == {"wheelchair": "no"}


def test_on_a_laptop_the_sheet_opens_from_the_mirrored_side_in_arabic(open_page, live_server, live_db):
    places = _load_demo(live_db)
    sides = {}
    for code in ("en", "ar"):
        page = open_page(code, LAPTOP)
        _open_map(page, live_server, code)
        target = next(p for p in places if _marker(page, p).count() == 1)
        _marker(page, target).click()
        sheet = page.get_by_role("dialog", name=target.name)
        expect(sheet).to_be_visible()
        box, width = sheet.bounding_box(), page.viewport_size["width"]
        sides[code] = "right" if box["x"] + box["width"] >= width - 1 else "left" if box["x"] <= 1 else "middle"
        _shot(page, f"laptop-sheet-{code}")
    assert sides == {"en": "right", "ar": "left"}, sides


@pytest.mark.parametrize("code", LANGUAGES)
def test_other_pages_are_axe_clean_in_each_language(open_page, live_server, live_db, code):
    _load_demo(live_db)
    page = open_page(code)
    found = {}
    for path in ("/check", "/me", "/my/submissions", "/stats", "/data", "/events", "/account/login",
                 "/account/register", "/ogc?f=html"):
        page.goto(f"{live_server}{path}")
        expect(page.locator("html")).to_have_attribute("lang", code)
        violations = axe_violations(page)
        if violations:
            found[path] = violations
    assert found == {}, describe(found)
