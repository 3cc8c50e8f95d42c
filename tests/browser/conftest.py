"""Browser tests: the live server of tests/conftest.py, driven by Debian's headless Chromium via Playwright."""

import json
import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("STEPFREE_CHROMIUM", "/usr/bin/chromium")
AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True,
         "has_touch": True}
LAPTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (make test does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Every page reports Content-Security-Policy violations to the test, which fails on any: the pages must work
# under the policy the server sends, not only without it.
_REPORT_CSP = """document.addEventListener("securitypolicyviolation", function (e) {
  window.__stepfreeCsp({directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
                        line: e.lineNumber, sample: e.sample});
});"""


def open_context(browser, options):
    """A browser context whose CSP violations collect in context.csp_violations."""
    context = browser.new_context(**options)
    context.csp_violations = []
    context.expose_binding("__stepfreeCsp", lambda source, report: context.csp_violations.append(report))
    context.add_init_script(_REPORT_CSP)
    return context


def _page(browser, options):
    context = open_context(browser, options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def _close(context):
    violations = context.csp_violations
    context.close()
    assert violations == [], f"Content-Security-Policy violations: {violations}"


@pytest.fixture
def phone_page(browser, live_db):
    context, page = _page(browser, PHONE)
    yield page
    _close(context)


@pytest.fixture
def laptop_page(browser, live_db):
    context, page = _page(browser, LAPTOP)
    yield page
    _close(context)


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core in the page and return the violations of the given impacts."""
    # Evaluated over the DevTools protocol, which the page's CSP does not govern (a <script> tag it would block).
    page.evaluate(AXE_JS.read_text() + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = [v for v in result["violations"] if v["impact"] in impacts]
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]} for v in found]


def describe(violations: list[dict]) -> str:
    return json.dumps(violations, indent=1)


def sign_in(page, base_url: str, email: str, password: str) -> None:
    """Sign in through the real form and wait for the map it leads back to."""
    page.goto(f"{base_url}/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def sign_in_with_keyboard(page, base_url: str, email: str, password: str, *, check=None) -> None:
    """Sign in with the keyboard alone (focus, type, Tab, Enter); `check(page)` runs on the form first."""
    page.goto(f"{base_url}/account/login")
    if check is not None:
        check(page)
    page.get_by_label("Email").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/")
