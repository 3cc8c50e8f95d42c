"""A moderator reviews a photo and a photo's report by keyboard, in real headless Chromium (issue 14)."""

import json
import re
import urllib.request

from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Photo, Submission
from app.services import moderation
from app.services.submissions import Submitter, hash_device_token, submit_photo, submit_photo_report
from tests.browser.conftest import axe_violations, describe, sign_in_with_keyboard
from tests.conftest import TEST_PASSWORD
from tests.factories import camera_jpeg, make_place, make_user


def _seed(live_app, live_db):
    store = live_app.extensions["photo_store"]
    with live_app.app_context():
        moderator = make_user(live_db, role="moderator", password=TEST_PASSWORD, display_name="Photo Mod")
        phone = Submitter(device_hash=hash_device_token("photo-review-phone"))
        place = make_place(live_db, name="Museum Eingang", wheelchair="limited")
        shown = submit_photo(live_db, phone, place.id, camera_jpeg((900, 1200)),
                             {"subject": "toilet", "licence": "CC0-1.0"}, store)
        moderation.approve(live_db, shown.id, moderator)
        live_db.commit()
        new = submit_photo(live_db, phone, place.id, camera_jpeg((1600, 1200)),
                           {"subject": "entrance", "licence": "CC-BY-SA-4.0"}, store)
        live_db.commit()
        visitor = Submitter(device_hash=hash_device_token("photo-review-visitor"))
        report = submit_photo_report(live_db, visitor, shown.proposed["photo_id"],
                                     {"problem": "privacy", "note": "A face in the mirror"})
        live_db.commit()
    return moderator, place, new, report, shown


def test_a_moderator_approves_a_photo_and_removes_a_reported_one_by_keyboard(laptop_page, live_server, live_app,
                                                                              live_db):
    moderator, place, new, report, shown = _seed(live_app, live_db)
    page = laptop_page
    sign_in_with_keyboard(page, live_server, moderator.email, TEST_PASSWORD)
    page.goto(f"{live_server}/moderate?kind=photo&kind=photo_report")
    page.keyboard.press("n")
    page.wait_for_url(f"{live_server}/moderate/submissions/{new.id}")

    # The photo itself (served to moderators while pending), what it shows and its licence.
    image = page.get_by_role("img", name="Photo of the entrance")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 400
    expect(page.locator("#review-photo")).to_contain_text("CC BY-SA 4.0 (credit and share alike)")
    expect(page.locator("#review-photo")).to_contain_text("Entrance")
    expect(page.get_by_role("link", name=re.compile("Open the full photo"))).to_have_attribute(
        "href", re.compile(r"^/media/photos/[0-9a-f]{64}\.jpg$"))
    assert axe_violations(page) == [], describe(axe_violations(page))

    page.keyboard.press("a")
    page.wait_for_url(f"{live_server}/moderate/submissions/{report.id}")
    expect(page.get_by_text(f"Approved submission {new.id}")).to_be_visible()
    expect(page.get_by_role("img", name="Photo of the toilet")).to_be_visible()
    expect(page.get_by_text("Shows people or private details")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Remove the photo"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Keep the photo"))).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))
    page.keyboard.press("a")
    page.wait_for_url(re.compile(rf"{live_server}/moderate(\?.*)?$"))

    live_db.expire_all()
    assert live_db.get(Submission, new.id).state == "approved"
    assert live_db.get(Submission, report.id).state == "approved"
    removed = live_db.get(Photo, shown.proposed["photo_id"])
    assert removed.removed_reason == "privacy"
    assert live_app.extensions["photo_store"].read(removed.name) is None
    with urllib.request.urlopen(f"{live_server}/api/places/{place.id}") as response:
        photos = json.load(response)["properties"]["photos"]
    assert [p["id"] for p in photos] == [new.proposed["photo_id"]]
    # The report's screen, decided, says the photo is gone rather than showing a broken image.
    page.goto(f"{live_server}/moderate/submissions/{report.id}")
    expect(page.get_by_text("This photo was removed")).to_be_visible()
    assert live_db.scalar(select(Submission.id).where(Submission.state == "pending")) is None
