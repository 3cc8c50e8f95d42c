"""The map page's rough edges of issue 12, measured in real headless Chromium on 390×844 and 375×667 phones."""

import json
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Submission
from app.services.places import create_place
from geo.vocabulary import WHEELCHAIR_LABELS
from tests.browser.conftest import PHONE, _close, _page, axe_violations, describe
from tests.browser.test_map_phone import _load_demo, _marker, _single_marker

SMALL_PHONE = {**PHONE, "viewport": {"width": 375, "height": 667}}


@pytest.fixture
def small_phone_page(browser, live_db):
    context, page = _page(browser, SMALL_PHONE)
    yield page
    _close(context)


def _box(locator):
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not rendered"
    return box


def _open_map(page, live_server, path="/"):
    page.goto(f"{live_server}{path}")
    expect(page.get_by_role("status").filter(has_text="places shown")).to_be_visible()


def _lowest_marker_place_id(page):
    """The place whose marker is lowest on the screen: the one a bottom sheet would cover."""
    return page.evaluate("""() => {
        const markers = [...document.querySelectorAll('.leaflet-marker-icon[data-place-id]')]
          .filter(m => { const r = m.getBoundingClientRect(); return r.bottom < innerHeight - 60 && r.top > 250; });
        markers.sort((a, b) => b.getBoundingClientRect().top - a.getBoundingClientRect().top);
        return markers[0].dataset.placeId;
    }""")


def test_new_pin_sits_above_the_add_sheet_and_waits_until_cancelled(phone_page, live_server, live_db):
    _load_demo(live_db)
    page = phone_page
    _open_map(page, live_server)
    page.get_by_role("button", name="Add place").tap()
    sheet = page.get_by_role("dialog", name="Add a missing place")
    expect(sheet).to_be_visible()
    pin = page.locator(".sf-new-pin")
    pin_box, sheet_box, map_box = _box(pin), _box(sheet), _box(page.locator("#map"))
    assert map_box["y"] <= pin_box["y"] and pin_box["y"] + pin_box["height"] <= sheet_box["y"], (pin_box, sheet_box)

    # Visible, so it can be dragged: the position it reports follows.
    before = page.locator("#pin-position").text_content()
    x, y = pin_box["x"] + 22, pin_box["y"] + 22
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 10, steps=5)
    page.mouse.up()
    expect(page.locator("#pin-position")).not_to_have_text(before)
    moved = page.locator("#pin-position").text_content()

    # Closing the form keeps the pin and what was typed; Add place brings both back; Cancel drops them.
    sheet.get_by_label("Name").fill("Bäckerei am Markt")
    sheet.get_by_role("button", name=re.compile("^Close the form")).tap()
    expect(sheet).to_be_hidden()
    expect(pin).to_be_visible()
    page.get_by_role("button", name="Add place").tap()
    expect(sheet.get_by_label("Name")).to_have_value("Bäckerei am Markt")
    expect(page.locator("#pin-position")).to_have_text(moved)
    sheet.get_by_role("button", name="Cancel and remove the pin").tap()
    expect(sheet).to_be_hidden()
    expect(pin).to_have_count(0)
    page.get_by_role("button", name="Add place").tap()
    expect(sheet.get_by_label("Name")).to_have_value("")


def test_report_thank_you_is_in_view_and_focused(phone_page, live_server, live_db):
    _load_demo(live_db)
    page = phone_page
    _open_map(page, live_server)
    page.locator(".leaflet-marker-icon.sf-marker").first.tap()
    sheet = page.locator("#sheet")
    expect(sheet).to_be_visible()
    sheet.get_by_text("Report a problem with this place").tap()
    sheet.get_by_label("Closed or gone").check()
    sheet.get_by_role("button", name="Send report").tap()
    message = page.locator("#sheet-message")
    expect(message).to_contain_text("Report sent")
    box, sheet_box = _box(message), _box(sheet)
    assert sheet_box["y"] <= box["y"] and box["y"] + box["height"] <= 844, (box, sheet_box)
    expect(message).to_be_focused()


def test_tapped_place_shows_above_the_sheet(phone_page, live_server, live_db):
    _load_demo(live_db)
    page = phone_page
    _open_map(page, live_server)
    place_id = _lowest_marker_place_id(page)
    marker = page.locator(f'.leaflet-marker-icon[data-place-id="{place_id}"]')
    marker.tap()
    sheet = page.locator("#sheet")
    expect(sheet).to_be_visible()
    # Loading the area the map panned to may group the place with a neighbour: then that marker stands for it.
    marker = page.locator(f'.leaflet-marker-icon[data-place-id="{place_id}"], .sf-near[data-place-ids~="{place_id}"]')
    page.wait_for_load_state("networkidle")
    expect(marker).to_be_visible()
    marker_box, sheet_box, map_box = _box(marker), _box(sheet), _box(page.locator("#map"))
    assert map_box["y"] <= marker_box["y"] and marker_box["y"] + marker_box["height"] <= sheet_box["y"], \
        (marker_box, sheet_box)
    assert axe_violations(page) == [], describe(axe_violations(page))


def test_three_answers_fit_a_small_phone_without_scrolling(small_phone_page, live_server, live_db):
    _load_demo(live_db)
    page = small_phone_page
    _open_map(page, live_server)
    page.locator(".leaflet-marker-icon.sf-marker").first.tap()
    expect(page.locator("#sheet")).to_be_visible()
    assert page.evaluate("document.querySelector('#sheet').scrollTop") == 0
    for value in ("yes", "limited", "no"):
        box = _box(page.locator(f'.answer[data-wheelchair="{value}"]'))
        assert box["y"] >= 0 and box["y"] + box["height"] <= 667, (value, box)


def test_add_form_error_summary_links_to_the_marked_field(phone_page, live_server, live_db):
    _load_demo(live_db)
    page = phone_page
    _open_map(page, live_server)
    page.get_by_role("button", name="Add place").tap()
    page.get_by_role("button", name="Send new place").tap()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    # The summary is the form's first thing, above the fields.
    assert _box(summary)["y"] < _box(page.get_by_label("Name", exact=True))["y"]
    for label, field_id in (("Name", "add-name"), ("Category", "add-category")):
        link = summary.get_by_role("link", name=f"{label} is required.")
        expect(link).to_have_attribute("href", f"#{field_id}")
        field = page.locator(f"#{field_id}")
        expect(field).to_have_attribute("aria-invalid", "true")
        inline = page.locator("#" + field.get_attribute("aria-describedby"))
        expect(inline).to_have_text(f"{label} is required.")
        expect(inline).to_be_visible()
        link.tap()
        expect(field).to_be_focused()
    assert axe_violations(page) == [], describe(axe_violations(page))

    # Fixed, the field loses its mark.
    page.get_by_label("Name", exact=True).fill("Bäckerei am Markt")
    page.get_by_role("button", name="Send new place").tap()
    expect(page.get_by_label("Name", exact=True)).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#add-category")).to_have_attribute("aria-invalid", "true")


def test_url_keeps_the_view_and_the_place_and_share_copies_it(browser, live_server, live_db):
    _load_demo(live_db)
    context, page = _page(browser, PHONE)
    try:
        # No Web Share here, as on a desktop browser: the copy fallback is what is tested.
        context.add_init_script("delete Navigator.prototype.share;")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
        _open_map(page, live_server)
        page.locator(".leaflet-control-zoom-in").tap()
        page.wait_for_url(re.compile(r"/#map=16/47\.\d+/9\.\d+$"))
        page.locator(".leaflet-marker-icon.sf-marker").first.tap()
        title = page.locator("#sheet-title")
        expect(title).not_to_be_empty()
        page.wait_for_url(re.compile(r"/\?place=\d+#map=16/"))
        shared_url, name = page.url, title.text_content()

        page.get_by_role("button", name="Share this place").tap()
        expect(page.locator("#sheet-message")).to_contain_text("Link copied")
        assert page.evaluate("navigator.clipboard.readText()") == shared_url

        # Opening the link shows the same view and place.
        page.goto("about:blank")
        page.goto(shared_url)
        expect(page.locator("#sheet-title")).to_have_text(name)
        view = shared_url.split("#map=")[1]
        page.wait_for_timeout(500)
        assert page.url.split("#map=")[1].split("/")[0] == view.split("/")[0]
        lat, lon = (float(v) for v in view.split("/")[1:])
        now_lat, now_lon = (float(v) for v in page.url.split("#map=")[1].split("/")[1:])
        # The sheet may pan the place into view, never far.
        assert abs(now_lat - lat) < 0.01 and abs(now_lon - lon) < 0.01
        page.get_by_role("button", name="Close place details").tap()
        page.wait_for_url(re.compile(r"/#map=16/"))
    finally:
        _close(context)


def test_sheet_uses_the_vocabulary_labels_from_the_server(phone_page, live_server, live_db):
    _load_demo(live_db)
    page = phone_page
    _open_map(page, live_server)
    labels = json.loads(page.locator("#map").get_attribute("data-labels"))
    assert labels["wheelchair"] == WHEELCHAIR_LABELS
    page.locator(".leaflet-marker-icon.sf-marker").first.tap()
    answers = page.locator(".answer[data-wheelchair] strong")
    expect(answers).to_have_text([WHEELCHAIR_LABELS[v] for v in ("yes", "limited", "no")])
    expect(page.locator("#sheet-status")).to_contain_text(re.compile("|".join(WHEELCHAIR_LABELS.values())))


def test_map_controls_are_large_enough_and_clear_of_the_panel(phone_page, laptop_page, live_server, live_db):
    _load_demo(live_db)
    _open_map(phone_page, live_server)
    for control in (".leaflet-control-zoom-in", ".leaflet-control-zoom-out"):
        box = _box(phone_page.locator(control))
        assert box["width"] >= 44 and box["height"] >= 44, (control, box)
    links = phone_page.locator(".leaflet-control-attribution a")
    for i in range(links.count()):
        assert _box(links.nth(i))["height"] >= 24, links.nth(i).text_content()

    page = laptop_page
    _open_map(page, live_server)
    page.get_by_role("button", name="Filters").click()
    panel, zoom = _box(page.locator("#filters-panel")), _box(page.locator(".leaflet-control-zoom"))
    assert zoom["x"] + zoom["width"] <= panel["x"], (zoom, panel)


def test_places_too_close_to_tap_apart_share_one_marker_that_lists_them(phone_page, live_server, live_db):
    _load_demo(live_db)
    # Two shops a metre apart at the map's centre: their 44 px markers would all but cover each other.
    for name, lon in (("Bäckerei Nord", 9.52100), ("Bäckerei Süd", 9.52101)):
        create_place(live_db, {"name": name, "category": "food", "lon": lon, "lat": 47.141, "wheelchair": "yes"},
                     source="demo", revision_source="demo")
    live_db.commit()
    page = phone_page
    _open_map(page, live_server)
    boxes = page.evaluate("""() => [...document.querySelectorAll('.leaflet-marker-icon')].map(m => {
        const r = m.getBoundingClientRect(); return [m.getAttribute('aria-label'), r.left, r.top, r.right, r.bottom];
    })""")
    overlapping = [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                   if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]]
    assert overlapping == []
    group = page.locator('.leaflet-marker-icon.sf-near[aria-label*="Bäckerei Nord"]')
    expect(group).to_have_attribute("aria-label", re.compile(r"^\d+ places close together: .*Bäckerei Süd"))
    count = int(group.get_attribute("aria-label").split()[0])
    group.tap()
    listing = page.get_by_role("region", name=f"{count} places close together")
    expect(listing.get_by_role("button", name=re.compile("^Bäckerei"))).to_have_count(2)
    expect(listing.locator(".list-item")).to_have_count(count)
    listing.get_by_role("button", name=re.compile("Bäckerei Süd")).tap()
    expect(page.locator("#sheet-title")).to_have_text("Bäckerei Süd")


def test_answering_again_changes_the_pending_answer_instead_of_adding_one(phone_page, live_server, live_db):
    places = _load_demo(live_db)
    page = phone_page
    _open_map(page, live_server)
    target = _single_marker(page, places, "yes")
    _marker(page, target).tap()
    sheet = page.get_by_role("dialog", name=target.name)
    expect(sheet).to_be_visible()
    sheet.get_by_role("button", name=re.compile(r"^Partly accessible")).tap()
    expect(sheet.get_by_role("status")).to_contain_text("Sent for review")
    for answer in ("Not accessible", "Not accessible", "Partly accessible"):
        with page.expect_response(lambda r: r.url.endswith("/status") and r.request.method == "POST") as sent:
            sheet.get_by_role("button", name=re.compile(f"^{answer}")).tap()
        assert sent.value.json()["updated"] is True
        expect(sheet.get_by_role("status")).to_contain_text("Your answer waiting for review now says this")
    live_db.expire_all()
    stored = live_db.scalars(select(Submission).where(Submission.place_id == target.id)).all()
    assert [(s.state, s.proposed) for s in stored] == [("pending", {"wheelchair": "limited"})]
