"""Entrance, toilet and parking details on the phone's place sheet (issue 14), in real headless Chromium."""

import time

from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Submission
from app.services import moderation
from app.services.submissions import Submitter, hash_device_token, submit_details
from tests.browser.conftest import axe_violations, describe, sign_in
from tests.conftest import TEST_PASSWORD
from tests.factories import make_place, make_user

FORGET_PLACE_READS = """async () => {
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      if (new URL(request.url).pathname.startsWith("/api/places")) { await cache.delete(request); }
    }
  }
}"""


def _eventually(read, expected, timeout: float = 5.0):
    """What `read()` returns once it equals `expected` (the answers travel in the background)."""
    deadline = time.monotonic() + timeout
    while (found := read()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def _answers(session) -> dict[str, dict]:
    rows = session.execute(select(Submission.kind, Submission.proposed)).all()
    return {row.kind: row.proposed for row in rows}


def test_volunteer_answers_details_uses_the_suggestion_and_sees_them_once_approved(phone_page, live_server, live_db):
    place = make_place(live_db, name="Café Stufe", lon=9.521, lat=47.141)
    live_db.commit()
    page = phone_page
    page.goto(f"{live_server}/?place={place.id}")
    sheet = page.get_by_role("dialog", name="Café Stufe")
    expect(sheet.get_by_text("Wheelchair: Unknown")).to_be_visible()
    # Nothing is known yet: no list of details.
    expect(sheet.get_by_role("list", name="Known entrance, toilet and parking details")).to_be_hidden()

    summary = sheet.get_by_text("Entrance, toilet and parking details", exact=True)
    summary.tap()
    steps = sheet.get_by_role("group", name="Steps at the entrance")
    expect(steps).to_be_visible()
    # Each question starts at "Don't know"; the step's height is asked once there is a step.
    expect(steps.get_by_role("radio", name="Don't know")).to_be_checked()
    expect(sheet.get_by_label("Height of the highest step (cm)")).to_be_hidden()
    assert axe_violations(page) == [], describe(axe_violations(page))

    steps.get_by_role("radio", name="1 step", exact=True).check()
    height = sheet.get_by_label("Height of the highest step (cm)")
    expect(height).to_be_visible()
    expect(height).to_have_attribute("inputmode", "numeric")
    height.fill("5")
    sheet.get_by_label("Width of the entrance door (cm)").fill("90")

    suggestion = sheet.locator("#access-suggestion")
    expect(suggestion).to_have_attribute("aria-live", "polite")
    expect(suggestion).to_contain_text("Suggested: Partly accessible.")
    expect(suggestion).to_contain_text("One step of at most 7 cm")
    # Not by colour alone: the status's icon and its word.
    expect(suggestion.locator(".sf-marker.sf-limited")).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))

    # The suggestion is only offered: nothing is sent until the volunteer sends the form.
    partly = sheet.locator("#access-wheelchair").get_by_role("radio", name="Partly accessible")
    expect(partly).not_to_be_checked()
    sheet.get_by_role("button", name="Use this").tap()
    expect(partly).to_be_checked()
    assert live_db.scalars(select(Submission)).all() == []

    sheet.get_by_role("button", name="Send details").tap()
    expect(sheet.locator("#sheet-message")).to_contain_text("Sent for review")
    # One submission: the details and the answer they support, decided together.
    expected = {"details": {"step_count": 1, "step_height": 5, "door_width": 90, "wheelchair": "limited"}}
    assert _eventually(lambda: _answers(live_db), expected) == expected
    # The form is closed and back at "Don't know" for the next place.
    expect(steps).to_be_hidden()

    moderator = make_user(live_db, role="moderator")
    [stored] = live_db.scalars(select(Submission)).all()
    assert stored.base_version == 1
    moderation.approve(live_db, stored.id, moderator)
    live_db.commit()

    # The phone's service worker answers place reads from its cache while it asks again (stale while revalidate):
    # an approval made elsewhere shows on the read after next. Start from the server's answer instead.
    page.evaluate(FORGET_PLACE_READS)
    page.goto(f"{live_server}/?place={place.id}")
    sheet = page.get_by_role("dialog", name="Café Stufe")
    expect(sheet.get_by_text("Wheelchair: Partly accessible")).to_be_visible()
    known = sheet.get_by_role("list", name="Known entrance, toilet and parking details")
    expect(known.get_by_role("listitem")).to_have_text(["1 step, at most 5 cm", "Door 90 cm wide"])


def test_review_screen_shows_details_in_words(laptop_page, live_server, live_app, live_db):
    with live_app.app_context():
        moderator = make_user(live_db, role="moderator", password=TEST_PASSWORD)
        place = make_place(live_db, name="Bistro Rampe")
        submission = submit_details(live_db, Submitter(device_hash=hash_device_token("details-phone")), place.id, {
            "step_count": 1, "step_height": 12, "ramp": "portable", "door_width": 85, "automatic_door": "no",
            "toilets_wheelchair": "yes", "hearing_loop": "limited"})
        live_db.commit()
    page = laptop_page
    sign_in(page, live_server, moderator.email, TEST_PASSWORD)
    page.goto(f"{live_server}/moderate/submissions/{submission.id}")
    table = page.get_by_role("table", name="Current and proposed values")
    # Field, current and proposed value, all in words.
    expected = {"Steps at the entrance": ["none", "1"], "Height of the highest step": ["none", "12 cm"],
                "Ramp": ["none", "Portable ramp on request"], "Door width": ["none", "85 cm"],
                "Automatic door": ["none", "No"],
                "Wheelchair toilet": ["Toilet not known", "Wheelchair-accessible toilet"],
                "Hearing loop": ["none", "Hearing loop in some places"]}
    for label, values in expected.items():
        row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=label))
        expect(row.get_by_role("cell")).to_have_text(values)
    assert axe_violations(page) == [], describe(axe_violations(page))
