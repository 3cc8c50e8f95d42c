"""The volunteer's flow on a phone, in real headless Chromium at 390×844 with touch."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.cli.demo import build_demo_places
from app.models import Submission
from app.services.places import create_place
from tests.browser.conftest import axe_violations, describe


def _load_demo(session):
    places = [create_place(session, values, source="demo", revision_source="demo") for values in build_demo_places()]
    session.commit()
    return places


def _marker(page, place):
    return page.locator(f'.leaflet-marker-icon[data-place-id="{place.id}"]')


def _single_marker(page, places, wheelchair):
    """A place of that status with a marker of its own, clear of the toolbar; places too close to tap apart share
    one marker, so zoom in until one stands alone."""
    for _ in range(4):
        for place in places:
            if place.wheelchair == wheelchair and _marker(page, place).count() == 1 \
                    and 200 < _marker(page, place).bounding_box()["y"] < 700:
                return place
        page.locator(".leaflet-control-zoom-in").click()
        page.wait_for_timeout(500)
    raise AssertionError(f"no {wheelchair} place has a marker of its own")


def open_single_place(page, places, wheelchair: str, label: str, name_and_status: str = "%(name)s, %(status)s"):
    """Tap a place of that status with a marker of its own, named with its status `label` (in the language's
    `name_and_status` pattern); its sheet opens."""
    target = _single_marker(page, places, wheelchair)
    marker = _marker(page, target)
    expect(marker).to_have_attribute("aria-label", name_and_status % {"name": target.name, "status": label})
    marker.tap()
    sheet = page.get_by_role("dialog", name=target.name)
    expect(sheet).to_be_visible()
    return target, sheet


def test_phone_volunteer_taps_a_place_and_answers_limited(phone_page, live_server, live_db):
    places = _load_demo(live_db)
    page = phone_page
    page.goto(f"{live_server}/")
    expect(page.locator(".leaflet-marker-icon.sf-marker").first).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="places shown")).to_be_visible()
    target, sheet = open_single_place(page, places, "yes", "Accessible")
    expect(sheet.get_by_text("Wheelchair: Accessible")).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))

    sheet.get_by_role("button", name=re.compile(r"^Partly accessible")).tap()
    expect(sheet.get_by_role("status")).to_contain_text("Sent for review")
    expect(sheet.get_by_text("awaits review")).to_be_visible()

    stored = live_db.scalars(select(Submission).where(Submission.place_id == target.id)).one()
    assert (stored.kind, stored.state, stored.proposed) == ("status", "pending", {"wheelchair": "limited"})
    assert stored.base_version == 1 and stored.device_hash is not None

    # The visitor finds it on their submissions page.
    page.goto(f"{live_server}/my/submissions")
    expect(page.get_by_role("link", name=target.name)).to_be_visible()
    expect(page.get_by_text("Awaiting review")).to_be_visible()


def test_phone_volunteer_adds_a_missing_place(phone_page, live_server, live_db):
    _load_demo(live_db)
    page = phone_page
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="Add place").tap()
    form = page.get_by_role("dialog", name="Add a missing place")
    expect(form).to_be_visible()
    expect(form.get_by_text(re.compile(r"Pin at latitude 47\.1"))).to_be_visible()
    form.get_by_label("Name").fill("Bäckerei am Markt")
    form.get_by_label("Category").select_option("food")
    form.get_by_label(re.compile(r"Partly accessible")).check()
    form.get_by_role("button", name="Send new place").tap()
    expect(page.locator("#map-status")).to_contain_text("sent for review")

    stored = live_db.scalars(select(Submission).where(Submission.kind == "new_place")).one()
    assert stored.proposed["name"] == "Bäckerei am Markt"
    assert stored.proposed["wheelchair"] == "limited" and stored.state == "pending"
    assert abs(stored.proposed["lat"] - 47.141) < 0.01 and abs(stored.proposed["lon"] - 9.521) < 0.01


def test_phone_add_place_shows_the_field_error(phone_page, live_server, live_db):
    page = phone_page
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="Add place").tap()
    page.get_by_role("button", name="Send new place").tap()
    expect(page.get_by_role("alert")).to_contain_text("Name is required")
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    assert live_db.scalars(select(Submission)).all() == []


def test_keyboard_only_use_of_the_sheet(phone_page, live_server, live_db):
    places = _load_demo(live_db)
    page = phone_page
    page.goto(f"{live_server}/")
    expect(page.get_by_role("status").filter(has_text="places shown")).to_be_visible()
    list_button = page.get_by_role("button", name="List")
    list_button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Places shown on the map")).to_be_focused()
    page.keyboard.press("Tab")  # the close button
    page.keyboard.press("Tab")  # the first place in the list
    focused_name = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    title = page.locator("#sheet-title")
    expect(title).to_be_focused()
    name = title.text_content()
    assert f"{name} — " in focused_name
    # Tab through the sheet to the "No" answer and press it with the keyboard.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.wheelchair") == "no":
            break
    else:
        raise AssertionError("the No button cannot be reached with Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#sheet-message")).to_contain_text("Sent for review")
    page.keyboard.press("Escape")
    expect(page.locator("#sheet")).to_be_hidden()
    place = next(p for p in places if p.name == name)
    stored = live_db.scalars(select(Submission).where(Submission.place_id == place.id)).one()
    assert stored.proposed == {"wheelchair": "no"}


def test_markers_open_with_the_keyboard(phone_page, live_server, live_db):
    places = _load_demo(live_db)
    page = phone_page
    page.goto(f"{live_server}/")
    first = page.locator(".leaflet-marker-icon.sf-marker").first
    expect(first).to_be_visible()
    # The sheet pans the place into view, and the map may draw its marker anew: found again by its place.
    marker = page.locator(f'.leaflet-marker-icon[data-place-id="{first.get_attribute("data-place-id")}"]')
    marker.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#sheet-title")).to_be_focused()
    page.wait_for_load_state("networkidle")
    page.keyboard.press("Escape")
    expect(marker).to_be_focused()
    assert places


def test_map_page_has_no_serious_accessibility_violations(phone_page, live_server, live_db):
    _load_demo(live_db)
    page = phone_page
    page.goto(f"{live_server}/")
    expect(page.locator(".leaflet-marker-icon").first).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))
    page.get_by_role("button", name="Filters").tap()
    assert axe_violations(page) == [], describe(axe_violations(page))
    page.get_by_role("button", name="Add place").tap()
    assert axe_violations(page) == [], describe(axe_violations(page))


def test_map_works_without_reachable_tiles_and_clusters_when_zoomed_out(phone_page, live_server, live_db):
    _load_demo(live_db)
    page = phone_page
    page.goto(f"{live_server}/")
    expect(page.locator(".leaflet-marker-icon.sf-marker").first).to_be_visible()
    page.evaluate("document.querySelector('.leaflet-control-zoom-out').click()")
    for _ in range(4):
        page.locator(".leaflet-control-zoom-out").click()
        page.wait_for_timeout(300)
    cluster = page.locator(".leaflet-marker-icon.sf-cluster").first
    expect(cluster).to_be_visible()
    expect(cluster).to_have_attribute("aria-label", re.compile(r"^Group of \d+ places: \d+ accessible"))


def test_locate_me_centres_the_map_on_the_phone(phone_page, live_server, live_db):
    page = phone_page
    page.context.grant_permissions(["geolocation"], origin=live_server)
    page.context.set_geolocation({"latitude": 47.1651, "longitude": 9.5095})  # Schaan
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="Locate me").tap()
    expect(page.locator("#map-status")).to_contain_text("centred on your location")
    # The download link carries the view's bbox once the map has settled there.
    page.wait_for_function("""() => {
        const link = new URL(document.querySelector('#download-link').href);
        const b = link.searchParams.get('bbox').split(',').map(Number);
        return b[0] < 9.5095 && 9.5095 < b[2] && b[1] < 47.1651 && 47.1651 < b[3];
    }""")


def test_search_finds_a_place_and_opens_it(phone_page, live_server, live_db):
    _load_demo(live_db)
    page = phone_page
    page.goto(f"{live_server}/")
    page.get_by_role("searchbox", name="Find a place by name or street").fill("Museum Schaan")
    page.get_by_role("button", name="Search").tap()
    result = page.get_by_role("list", name="Search results").get_by_role("button").first
    expect(result).to_contain_text("Museum Schaan")
    result.tap()
    expect(page.locator("#sheet-title")).to_contain_text("Museum Schaan")


def test_an_answer_given_offline_is_kept_and_sent_when_back_online(phone_page, live_server, live_db):
    places = _load_demo(live_db)
    page = phone_page
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="List").tap()
    page.get_by_role("list").locator(".list-item").first.tap()
    expect(page.locator("#sheet-title")).not_to_be_empty()
    name = page.locator("#sheet-title").text_content()
    page.context.set_offline(True)
    page.get_by_role("button", name=re.compile(r"^No")).tap()
    expect(page.locator("#sheet-message")).to_contain_text("kept on this phone")
    assert live_db.scalars(select(Submission)).all() == []
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#map-status")).to_contain_text("saved while offline was sent")
    place = next(p for p in places if p.name == name)
    stored = live_db.scalars(select(Submission).where(Submission.place_id == place.id)).one()
    assert stored.proposed == {"wheelchair": "no"}


def test_download_link_carries_the_view_and_filters(phone_page, live_server, live_db):
    _load_demo(live_db)
    page = phone_page
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="Filters").tap()
    page.get_by_role("checkbox", name=re.compile(r"^Unknown")).uncheck()
    link = page.get_by_role("link", name=re.compile("Download data"))
    expect(link).to_have_attribute(
        "href", re.compile(r"^/export/places\.geojson\?bbox=[-\d.,]+&wheelchair=yes%2Climited%2Cno$"))
    for label in ("Accessible", "Partly accessible", "Not accessible"):
        page.get_by_role("checkbox", name=re.compile(f"^{label}")).uncheck()
    expect(link).to_be_hidden()
    expect(page.locator("#map-status")).to_contain_text("No status is selected")
