"""Photos of a place on the phone's place sheet and its page (issue 14), in real headless Chromium."""

import io
import re
import time

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Photo, Submission
from app.photos import LocalPhotoStore
from app.services import moderation
from app.services.submissions import Submitter, hash_device_token, submit_photo
from tests.browser.conftest import axe_violations, describe, sign_in
from tests.browser.test_details_phone import FORGET_PLACE_READS
from tests.conftest import TEST_MEDIA_ROOT, TEST_PASSWORD
from tests.factories import GPS_IFD, camera_jpeg, make_place, make_user

# A public name that would become markup if it ever reached the page as HTML (tests/browser/test_xss.py).
CREDIT_PAYLOAD = '"><img src=x class=xss onerror=alert(1)><b class=xss>x</b>'
THUMBNAIL_LOADED = "img => img.complete && img.naturalWidth > 0"
# The name and size of each photo the page sends (the request's multipart body is not readable from the test).
RECORD_UPLOADS = """() => {
  const send = window.fetch;
  window.__uploads = [];
  window.fetch = (url, options) => {
    if (options && options.body instanceof FormData) {
      const photo = options.body.get("photo");
      window.__uploads.push([photo.name, photo.size]);
    }
    return send(url, options);
  };
}"""


def _eventually(read, timeout: float = 5.0):
    """What `read()` returns once it is truthy (the answers travel in the background)."""
    deadline = time.monotonic() + timeout
    while not (found := read()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def _submissions(session, kind: str) -> list[Submission]:
    session.expire_all()
    return list(session.scalars(select(Submission).where(Submission.kind == kind)))


def _sent_photo(live_app, live_db, place, *, approve: bool, credit: str | None = None) -> Submission:
    """A photo sent through the service, approved by a moderator if asked: by an anonymous volunteer, or by one
    who shows `credit` as their public name."""
    with live_app.app_context():
        submitter = Submitter(device_hash=hash_device_token("photo-phone"))
        if credit is not None:
            author = make_user(live_db, display_name=credit)
            author.public_name = True
            submitter = Submitter(user=author)
        submission = submit_photo(live_db, submitter, place.id,
                                  camera_jpeg((800, 600)), {"subject": "entrance", "licence": "CC0-1.0"},
                                  LocalPhotoStore(TEST_MEDIA_ROOT))
        if approve:
            moderation.approve(live_db, submission.id, make_user(live_db, role="moderator"))
        live_db.commit()
    return submission


def _open_sheet(page, live_server, place):
    page.goto(f"{live_server}/?place={place.id}")
    return page.get_by_role("dialog", name=place.name)


def test_volunteer_sends_details_and_a_photo_and_sees_both_once_approved(phone_page, live_server, live_db):
    place = make_place(live_db, name="Café Foto", lon=9.521, lat=47.141)
    live_db.commit()
    page = phone_page
    sheet = _open_sheet(page, live_server, place)
    expect(sheet.get_by_text("No photos of this place yet.")).to_be_visible()

    # Three details, and the light they suggest.
    sheet.get_by_text("Entrance, toilet and parking details", exact=True).tap()
    sheet.get_by_role("group", name="Steps at the entrance").get_by_role("radio", name="1 step", exact=True).check()
    sheet.get_by_label("Height of the highest step (cm)").fill("5")
    sheet.get_by_label("Width of the entrance door (cm)").fill("90")
    expect(sheet.locator("#access-suggestion")).to_contain_text("Suggested: Partly accessible.")
    sheet.get_by_role("button", name="Use this").tap()
    sheet.get_by_role("button", name="Send details").tap()
    expect(sheet.locator("#sheet-message")).to_contain_text("Sent for review")

    # A photo from the phone's files or camera: the chooser offers both (no capture attribute).
    sheet.get_by_text("Add a photo", exact=True).tap()
    chosen = sheet.get_by_label("Photo (JPEG, PNG or WebP)")
    assert chosen.get_attribute("capture") is None
    with page.expect_file_chooser() as chooser:
        chosen.click()
    chooser.value.set_files({"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()})
    sheet.get_by_role("group", name="What does it show?").get_by_role("radio", name="Entrance").check()
    licences = sheet.get_by_role("group", name="Licence")
    licences.get_by_role("radio", name="CC BY-SA 4.0 (credit and share alike)").check()
    sheet.get_by_role("button", name="Send photo").tap()
    # Always reviewed, even from a trusted volunteer: the sheet says so.
    expect(sheet.locator("#photos-message")).to_contain_text("moderator")
    [photo] = _eventually(lambda: _submissions(live_db, "photo"))
    [details] = _submissions(live_db, "details")
    assert photo.state == "pending" and photo.proposed["licence"] == "CC-BY-SA-4.0"

    moderator = make_user(live_db, role="moderator")
    moderation.approve(live_db, details.id, moderator)
    moderation.approve(live_db, photo.id, moderator)
    live_db.commit()

    page.evaluate(FORGET_PLACE_READS)
    sheet = _open_sheet(page, live_server, place)
    expect(sheet.get_by_text("Wheelchair: Partly accessible")).to_be_visible()
    known = sheet.get_by_role("list", name="Known entrance, toilet and parking details")
    expect(known.get_by_role("listitem")).to_have_text(["1 step, at most 5 cm", "Door 90 cm wide"])
    photos = sheet.get_by_role("list", name="Photos")
    figure = photos.get_by_role("figure")
    expect(figure).to_have_count(1)
    thumbnail = figure.get_by_role("img", name="Photo of the entrance")
    expect(thumbnail).to_have_attribute("loading", "lazy")
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function(THUMBNAIL_LOADED, arg=thumbnail.element_handle())
    expect(figure).to_contain_text("Entrance")
    expect(figure).to_contain_text("Photo: StepFree contributors")
    licence = figure.get_by_role("link", name="CC BY-SA 4.0 (credit and share alike)")
    expect(licence).to_have_attribute("href", "https://creativecommons.org/licenses/by-sa/4.0/")
    # The full image travelled without the camera's position.
    full = page.request.get(figure.get_by_role("link", name="Photo of the entrance").get_attribute("href"))
    assert full.ok
    assert GPS_IFD not in Image.open(io.BytesIO(full.body())).getexif()

    sheet.get_by_text("Add a photo", exact=True).tap()
    expect(sheet.get_by_role("button", name="Send photo")).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))


def test_pending_photo_is_shown_nowhere(phone_page, live_server, live_app, live_db):
    place = make_place(live_db, name="Bar Warten")
    submission = _sent_photo(live_app, live_db, place, approve=False)
    page = phone_page
    sheet = _open_sheet(page, live_server, place)
    expect(sheet.get_by_text("No photos of this place yet.")).to_be_visible()
    expect(sheet.get_by_role("figure")).to_have_count(0)
    page.goto(f"{live_server}/places/{place.id}")
    expect(page.get_by_role("heading", name="Photos")).to_be_visible()
    expect(page.get_by_role("figure")).to_have_count(0)
    # Nor its files, to anyone who guesses their names.
    photo = live_db.get(Photo, submission.proposed["photo_id"])
    for name in (photo.name, photo.thumbnail):
        assert page.request.get(f"{live_server}/media/photos/{name}").status == 404


def test_photo_without_licence_is_not_sent_and_the_licence_is_named(phone_page, live_server, live_db):
    place = make_place(live_db, name="Laden Lizenz")
    live_db.commit()
    page = phone_page
    sheet = _open_sheet(page, live_server, place)
    sheet.get_by_text("Add a photo", exact=True).tap()
    sheet.get_by_label("Photo (JPEG, PNG or WebP)").set_input_files(
        {"name": "door.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg((400, 300))})
    sheet.get_by_role("group", name="What does it show?").get_by_role("radio", name="Toilet").check()
    sheet.get_by_role("button", name="Send photo").tap()
    licence = sheet.get_by_role("group", name="Licence")
    expect(licence.get_by_text("Choose a licence for the photo.")).to_be_visible()
    expect(licence.get_by_role("radio").first).to_be_focused()
    expect(licence.get_by_role("radio").first).to_have_accessible_description(re.compile("Choose a licence"))
    assert _submissions(live_db, "photo") == []


def test_reporting_a_photo_from_the_sheet_queues_a_photo_report(phone_page, live_server, live_app, live_db):
    place = make_place(live_db, name="Kiosk Bild")
    submission = _sent_photo(live_app, live_db, place, approve=True, credit=CREDIT_PAYLOAD)
    page = phone_page
    sheet = _open_sheet(page, live_server, place)
    item = sheet.get_by_role("list", name="Photos").get_by_role("listitem")
    # The author's public name is the credit, as text.
    expect(item.get_by_role("figure")).to_contain_text(f"Photo: {CREDIT_PAYLOAD}")
    expect(page.locator(".xss")).to_have_count(0)
    report = item.get_by_role("button", name="Report this photo")
    report.tap()
    expect(report).to_have_attribute("aria-expanded", "true")
    problems = item.get_by_role("group", name="What is wrong with this photo? (Entrance)")
    expect(problems.get_by_role("radio").first).to_be_focused()
    problems.get_by_role("radio", name="Shows people or private details").check()
    item.get_by_label("Anything a moderator should know (optional)").fill("A face by the door")
    item.get_by_role("button", name="Send report").tap()
    expect(sheet.locator("#photos-message")).not_to_be_empty()
    [flag] = _eventually(lambda: _submissions(live_db, "photo_report"))
    assert flag.state == "pending"
    assert flag.proposed["photo_id"] == submission.proposed["photo_id"]
    assert flag.proposed["photo_problem"] == "privacy"


def test_place_page_shows_the_photo_and_takes_a_report_without_script(phone_page, live_server, live_app, live_db):
    place = make_place(live_db, name="Halle Seite")
    submission = _sent_photo(live_app, live_db, place, approve=True, credit=CREDIT_PAYLOAD)
    page = phone_page
    page.goto(f"{live_server}/places/{place.id}")
    figure = page.get_by_role("figure")
    expect(figure.get_by_role("img", name="Photo of the entrance")).to_be_visible()
    expect(figure.get_by_role("link", name="CC0 (public domain)")).to_be_visible()
    expect(figure).to_contain_text(f"Photo: {CREDIT_PAYLOAD}")
    expect(page.locator(".xss")).to_have_count(0)
    # Only moderators may take a photo down.
    expect(page.get_by_text("Remove this photo")).to_have_count(0)
    page.get_by_text("Report this photo", exact=True).tap()
    page.get_by_role("group", name="What is wrong with this photo?").get_by_role("radio", name="Not this place").check()
    page.get_by_role("button", name="Send report").tap()
    expect(page.get_by_role("status")).to_contain_text("A moderator will look at the photo")
    [flag] = _eventually(lambda: _submissions(live_db, "photo_report"))
    assert flag.proposed["photo_id"] == submission.proposed["photo_id"]
    assert flag.proposed["photo_problem"] == "wrong_place"
    assert axe_violations(page) == [], describe(axe_violations(page))


def test_refused_file_names_the_photo_and_offline_the_photo_stays_chosen(phone_page, live_server, live_db):
    place = make_place(live_db, name="Post Offline")
    live_db.commit()
    page = phone_page
    sheet = _open_sheet(page, live_server, place)
    sheet.get_by_text("Add a photo", exact=True).tap()
    chosen = sheet.get_by_label("Photo (JPEG, PNG or WebP)")
    # A renamed text file: the server reads the bytes, refuses it, and its message goes to the photo field.
    chosen.set_input_files({"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo at all"})
    sheet.get_by_role("group", name="What does it show?").get_by_role("radio", name="Inside").check()
    sheet.get_by_role("group", name="Licence").get_by_role("radio", name="CC0 (public domain)").check()
    sheet.get_by_role("button", name="Send photo").tap()
    expect(sheet.locator("#photo-file-error")).to_contain_text("not a photo")
    expect(chosen).to_be_focused()

    chosen.set_input_files({"name": "ramp.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg((400, 300))})
    page.context.set_offline(True)
    sheet.get_by_role("button", name="Send photo").tap()
    expect(sheet.locator("#photo-status")).to_contain_text("the photo was not sent")
    assert chosen.evaluate("input => input.files.length") == 1
    assert _submissions(live_db, "photo") == []

    # Back online, a camera-sized photo is made smaller on the phone before it travels (a new JPEG).
    page.context.set_offline(False)
    big = camera_jpeg((3000, 2250))
    chosen.set_input_files({"name": "big.jpg", "mimeType": "image/jpeg", "buffer": big})
    page.evaluate(RECORD_UPLOADS)
    sheet.get_by_role("button", name="Send photo").tap()
    expect(sheet.locator("#photos-message")).to_contain_text("moderator")
    [(name, size)] = page.evaluate("window.__uploads")
    assert name == "photo.jpg" and size < len(big)
    [photo] = _submissions(live_db, "photo")
    assert live_db.get(Photo, photo.proposed["photo_id"]).width == 2048


def test_moderator_removes_a_photo_from_the_place_page(laptop_page, live_server, live_app, live_db):
    place = make_place(live_db, name="Turm Weg")
    submission = _sent_photo(live_app, live_db, place, approve=True)
    moderator = make_user(live_db, role="moderator", password=TEST_PASSWORD)
    live_db.commit()
    page = laptop_page
    sign_in(page, live_server, moderator.email, TEST_PASSWORD)
    page.goto(f"{live_server}/places/{place.id}")
    thumbnail = page.get_by_role("figure").get_by_role("img", name="Photo of the entrance")
    address = live_server + thumbnail.get_attribute("src")
    page.get_by_text("Remove this photo", exact=True).click()
    page.get_by_label("Reason").select_option("privacy")
    page.get_by_label("Note (optional)").fill("A face at the window")
    assert axe_violations(page) == [], describe(axe_violations(page))
    page.get_by_role("button", name="Remove the photo").click()
    page.wait_for_url(f"{live_server}/places/{place.id}")
    expect(page.get_by_role("figure")).to_have_count(0)
    live_db.expire_all()
    assert live_db.get(Photo, submission.proposed["photo_id"]).removed_reason == "privacy"
    assert page.request.get(address).status == 404
