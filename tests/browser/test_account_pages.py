"""Account pages in a real browser: usable at phone size, and no serious accessibility violations."""

from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, describe, sign_in_with_keyboard
from tests.conftest import TEST_PASSWORD
from tests.factories import make_user


def _assert_accessible(page):
    assert axe_violations(page) == [], describe(axe_violations(page))


def test_sign_in_with_the_keyboard_at_phone_size(phone_page, live_server, live_db):
    user = make_user(live_db, password=TEST_PASSWORD, display_name="Keyboard Kim")
    live_db.commit()
    page = phone_page
    sign_in_with_keyboard(page, live_server, user.email, TEST_PASSWORD,
                          check=_assert_accessible)
    expect(page.get_by_role("status").filter(has_text="You are signed in")).to_be_visible()
    # At phone width the navigation folds behind the Menu button.
    menu = page.get_by_role("button", name="Menu")
    expect(page.get_by_role("link", name="Keyboard Kim")).to_be_hidden()
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Keyboard Kim")).to_be_visible()


def test_registration_errors_are_announced_and_accessible(phone_page, live_server):
    page = phone_page
    page.goto(f"{live_server}/account/register")
    page.get_by_label("Email").fill("new@example.org")
    page.get_by_label("Display name").fill("New")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").tap()
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == [], describe(axe_violations(page))
