"""A moderator in real headless Chromium: sign in, open the queue, approve one and reject another by keyboard."""

import json
import re
import urllib.request

from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Submission
from app.services.submissions import Submitter, hash_device_token, submit_status
from tests.browser.conftest import axe_violations, describe, sign_in, sign_in_with_keyboard
from tests.conftest import TEST_PASSWORD
from tests.factories import make_place, make_user


def _seed(live_app, live_db):
    with live_app.app_context():
        moderator = make_user(live_db, role="moderator", password=TEST_PASSWORD, display_name="Keyboard Mod")
        device = Submitter(device_hash=hash_device_token("e2e-phone"))
        ramp = make_place(live_db, name="Ramp Café", wheelchair="unknown")
        steps = make_place(live_db, name="Steps Bistro", wheelchair="no")
        approved = submit_status(live_db, device, ramp.id, {"wheelchair": "limited"})
        rejected = submit_status(live_db, device, steps.id, {"wheelchair": "yes"})
        live_db.commit()
    return moderator, ramp, approved, rejected


def test_moderation_e2e_keyboard_only(laptop_page, live_server, live_app, live_db):
    moderator, ramp, approved, rejected = _seed(live_app, live_db)
    page = laptop_page
    sign_in_with_keyboard(page, live_server, moderator.email, TEST_PASSWORD)

    page.goto(f"{live_server}/moderate")
    expect(page.get_by_role("heading", name="Moderation queue")).to_be_visible()
    expect(page.get_by_role("heading", name="Keyboard shortcuts")).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))

    page.keyboard.press("n")
    page.wait_for_url(f"{live_server}/moderate/submissions/{approved.id}")
    expect(page.get_by_text("You are reviewing this item")).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))
    page.keyboard.press("a")
    page.wait_for_url(f"{live_server}/moderate/submissions/{rejected.id}")
    expect(page.get_by_text(f"Approved submission {approved.id}")).to_be_visible()

    page.keyboard.press("r")
    page.keyboard.press("2")
    expect(page.get_by_role("radio", name=re.compile("Duplicate"))).to_be_checked()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"{live_server}/moderate(\?.*)?$"))
    expect(page.get_by_text(f"Rejected submission {rejected.id}")).to_be_visible()

    live_db.expire_all()
    states = dict(live_db.execute(select(Submission.id, Submission.state)).all())
    assert states == {approved.id: "approved", rejected.id: "rejected"}
    assert live_db.get(Submission, rejected.id).reason_code == "duplicate"

    # The public side shows the approved status, in words.
    page.goto(f"{live_server}/places/{ramp.id}")
    expect(page.locator("#wheelchair-status")).to_contain_text("Partly accessible")
    expect(page.get_by_text("Version 2")).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))
    with urllib.request.urlopen(f"{live_server}/api/places/{ramp.id}") as response:
        feature = json.load(response)
    assert feature["properties"]["wheelchair"] == "limited"


def test_moderation_e2e_shortcuts_do_not_fire_while_typing(laptop_page, live_server, live_app, live_db):
    moderator, _, approved, _ = _seed(live_app, live_db)
    page = laptop_page
    sign_in(page, live_server, moderator.email, TEST_PASSWORD)
    page.goto(f"{live_server}/moderate")
    page.get_by_role("button", name=re.compile("Review next")).click()
    page.wait_for_url(f"{live_server}/moderate/submissions/{approved.id}")
    page.get_by_label("Note shown to the author").focus()
    page.keyboard.type("a sad story")
    expect(page.get_by_label("Note shown to the author")).to_have_value("a sad story")
    assert page.url == f"{live_server}/moderate/submissions/{approved.id}"
    live_db.expire_all()
    assert live_db.get(Submission, approved.id).state == "pending"


def test_moderation_e2e_undo_and_skip_by_keyboard(laptop_page, live_server, live_app, live_db):
    moderator, ramp, approved, rejected = _seed(live_app, live_db)
    page = laptop_page
    sign_in(page, live_server, moderator.email, TEST_PASSWORD)
    page.goto(f"{live_server}/moderate")
    page.keyboard.press("n")
    page.wait_for_url(f"{live_server}/moderate/submissions/{approved.id}")
    page.keyboard.press("a")
    page.wait_for_url(f"{live_server}/moderate/submissions/{rejected.id}")
    page.keyboard.press("u")
    page.wait_for_url(f"{live_server}/moderate/submissions/{approved.id}")
    expect(page.get_by_text(f"Undone: submission {approved.id} is pending again")).to_be_visible()
    page.keyboard.press("s")
    # Skipping the undone item moves on to the one this moderator still holds.
    page.wait_for_url(f"{live_server}/moderate/submissions/{rejected.id}")
    live_db.expire_all()
    skipped = live_db.get(Submission, approved.id)
    assert skipped.state == "pending" and skipped.claimed_by_id is None
    live_db.refresh(ramp)
    assert ramp.wheelchair == "unknown" and ramp.version == 3


def test_moderation_e2e_tool_pages_are_accessible(laptop_page, live_server, live_app, live_db):
    moderator, ramp, approved, _ = _seed(live_app, live_db)
    page = laptop_page
    sign_in(page, live_server, moderator.email, TEST_PASSWORD)
    device_hash = hash_device_token("e2e-phone")
    for path, heading in ((f"/moderate/ban?device={device_hash}", "Ban an anonymous device"),
                          ("/moderate/log", "Audit log"), (f"/places/{ramp.id}", "Ramp Café")):
        page.goto(f"{live_server}{path}")
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        assert axe_violations(page) == [], (path, describe(axe_violations(page)))
