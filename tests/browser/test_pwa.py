"""StepFree as an installable app that opens offline: manifest, service worker, and the waiting answers bar."""

import re
import struct
import time

from playwright.sync_api import expect
from sqlalchemy import select

from app.cli.demo import build_demo_places
from app.models import Submission
from app.services.places import create_place
from app.static_files import clear_static_versions
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, axe_violations, describe, sign_in
from tests.conftest import TEST_PASSWORD
from tests.factories import make_user

WORKER_BUILD = re.compile(r'var BUILD = "([0-9a-f]{12})";')


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _manifest_url(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'<link rel="manifest" href="([^"]+)"', page).group(1)


def test_manifest_names_the_app_and_its_icons(client):
    with client.get(_manifest_url(client)) as response:
        manifest = response.get_json(force=True)
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    assert manifest["name"] and manifest["short_name"] == "StepFree"
    assert (manifest["start_url"], manifest["display"]) == ("/", "standalone")
    sizes = set()
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as image:
            data = image.data
        assert image.status_code == 200 and image.mimetype == "image/png"
        width, height = _png_size(data)
        assert icon["sizes"] == f"{width}x{height}"
        sizes.add(width)
    assert {192, 512} <= sizes


def test_service_worker_is_served_from_the_root_and_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    assert WORKER_BUILD.search(script)
    assert re.search(r'"/static/js/map\.js\?v=[0-9a-f]{10}"', script), "the shell is cached by hashed URL"
    assert "worker-src 'self'" in response.headers["Content-Security-Policy"]


def test_service_worker_build_changes_with_a_static_file(app, client):
    first = WORKER_BUILD.search(client.get("/sw.js").get_data(as_text=True)).group(1)
    # A release that changes map.js: its hash, hence its URL and the worker's build, change.
    app.extensions["stepfree_static_versions"]["js/map.js"] = "0123456789"
    try:
        script = client.get("/sw.js").get_data(as_text=True)
    finally:
        clear_static_versions(app)
    assert WORKER_BUILD.search(script).group(1) != first
    assert "/static/js/map.js?v=0123456789" in script


def _load_demo(session):
    places = [create_place(session, values, source="demo", revision_source="demo") for values in build_demo_places()]
    session.commit()
    return places


def _until(page, expression: str, timeout: float = 15.0) -> None:
    """Poll an async expression in the page until it is true (wait_for_function would eval() it, which CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(f"async () => Boolean(await ({expression}))"):
        assert time.monotonic() < deadline, f"never true: {expression}"
        time.sleep(0.1)


def _wait_for_worker(page):
    _until(page, "navigator.serviceWorker.controller !== null")


def _cache_names(page) -> list[str]:
    return page.evaluate("caches.keys()")


def test_phone_app_is_installable_and_controlled_by_its_worker(browser, tmp_path, live_server, live_db):
    # A persistent profile: Chromium never offers to install from an incognito context, which new_context() is.
    context = browser.browser_type.launch_persistent_context(
        tmp_path / "profile", executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, **PHONE)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{live_server}/")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == f"{live_server}/sw.js"
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getAppManifest")["errors"] == []
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()


def test_new_worker_version_replaces_the_old_cache(phone_page, live_server, live_app, live_db):
    page = phone_page
    page.goto(f"{live_server}/")
    _wait_for_worker(page)
    old = _cache_names(page)
    assert len(old) == 1 and old[0].startswith("stepfree-")
    live_app.extensions["stepfree_static_versions"]["js/map.js"] = "0123456789"
    try:
        page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
        # No reload: the new worker takes over the open page, and the old build's cache is gone.
        _until(page, f"caches.keys().then(k => k.length === 1 && k[0] !== {old[0]!r})")
    finally:
        clear_static_versions(live_app)
    new = _cache_names(page)[0]
    assert page.evaluate(f"caches.open({new!r}).then(c => c.match('/static/js/map.js?v=0123456789'))") is not None


def _visit_then_reload_offline(page, live_server, places):
    page.goto(f"{live_server}/")
    _wait_for_worker(page)
    target = _target(page, places)
    marker = page.locator(f'.leaflet-marker-icon[data-place-id="{target.id}"]')
    marker.tap()
    expect(page.get_by_role("dialog", name=target.name)).to_be_visible()
    page.get_by_role("button", name="Close place details").tap()
    _until(page, "caches.keys().then(k => caches.open(k[0])).then(c => c.keys())"
                 f".then(r => r.some(q => q.url.endsWith('/api/places/{target.id}')))")
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#map")).to_be_visible()
    expect(marker).to_be_visible()
    return target, marker


def _answer_offline(page, marker, target):
    marker.tap()
    sheet = page.get_by_role("dialog", name=target.name)
    expect(sheet).to_be_visible()
    sheet.get_by_role("button", name=re.compile(r"^No")).tap()
    message = page.locator("#sheet-message")
    expect(message).to_contain_text("kept on this phone")
    expect(message).not_to_have_class(re.compile(r"\bis-error\b"))
    page.get_by_role("button", name="Close place details").tap()
    bar = page.locator("#outbox-bar")
    expect(bar).to_be_visible()
    expect(bar.get_by_role("status")).to_contain_text("1 answer waits to be sent.")
    return bar


def _target(page, places):
    """A place the map shows as a marker of its own (near-coincident places share a group marker)."""
    single = page.locator(".leaflet-marker-icon.sf-marker[data-place-id]").first
    expect(single).to_be_visible()
    wanted = int(single.get_attribute("data-place-id"))
    return next(p for p in places if p.id == wanted)


def test_phone_offline_reload_answer_then_sent(phone_page, live_server, live_db):
    page = phone_page
    target, marker = _visit_then_reload_offline(page, live_server, _load_demo(live_db))
    bar = _answer_offline(page, marker, target)
    # Calm, not alarming: the bar is not drawn in the error red.
    border = page.evaluate("getComputedStyle(document.getElementById('outbox-bar')).borderLeftColor")
    assert border != "rgb(164, 22, 26)"
    assert axe_violations(page) == [], describe(axe_violations(page))

    # Send now without a connection says so in words, and keeps the answer.
    bar.get_by_role("button", name="Send now").tap()
    expect(bar.get_by_role("status")).to_contain_text("Not sent yet: no connection")
    expect(bar.get_by_role("status")).not_to_contain_text("Failed to fetch")
    assert live_db.scalars(select(Submission)).all() == []

    # Back online, the answer goes by itself and the bar says so.
    page.context.set_offline(False)
    expect(bar.get_by_role("status")).to_contain_text("1 answer was sent", timeout=15_000)
    _until(page, "window.StepFree.outbox.count() === 0")
    live_db.expire_all()
    stored = live_db.scalars(select(Submission).where(Submission.place_id == target.id)).one()
    assert (stored.kind, stored.proposed) == ("status", {"wheelchair": "no"})


def test_phone_offline_answers_can_be_discarded(phone_page, live_server, live_db):
    page = phone_page
    target, marker = _visit_then_reload_offline(page, live_server, _load_demo(live_db))
    bar = _answer_offline(page, marker, target)
    bar.get_by_role("button", name="Discard").tap()
    bar.get_by_role("button", name="Keep them").tap()
    expect(bar.get_by_role("status")).to_contain_text("1 answer waits")
    bar.get_by_role("button", name="Discard").tap()
    bar.get_by_role("button", name="Yes, discard").tap()
    expect(bar.get_by_role("status")).to_contain_text("discarded")
    assert page.evaluate("window.StepFree.outbox.count()") == 0

    page.context.set_offline(False)
    page.reload()
    expect(page.locator(f'.leaflet-marker-icon[data-place-id="{target.id}"]')).to_be_visible()
    assert live_db.scalars(select(Submission)).all() == []


def test_phone_offline_place_never_seen_says_no_connection(phone_page, live_server, live_db):
    places = _load_demo(live_db)
    page = phone_page
    page.goto(f"{live_server}/")
    _wait_for_worker(page)
    target = _target(page, places)
    page.context.set_offline(True)
    page.locator(f'.leaflet-marker-icon[data-place-id="{target.id}"]').tap()
    status = page.locator("#map-status")
    expect(status).to_contain_text("No connection")
    expect(status).not_to_contain_text("Failed to fetch")


def _kept_paths(page) -> list[str]:
    return page.evaluate("caches.keys().then(k => caches.open(k[0])).then(c => c.keys())"
                         ".then(r => r.map(q => new URL(q.url).pathname))")


def test_signed_in_pages_are_not_kept_and_signing_out_drops_what_was(phone_page, live_server, live_db):
    """A shared phone: one person's pages must not open offline for the next one."""
    make_user(live_db, email="kept@example.org", password=TEST_PASSWORD, display_name="Kept Person")
    live_db.commit()
    page = phone_page
    page.goto(f"{live_server}/")
    _wait_for_worker(page)
    sign_in(page, live_server, "kept@example.org", TEST_PASSWORD)
    page.goto(f"{live_server}/me")
    page.goto(f"{live_server}/account/")
    assert "/me" not in _kept_paths(page) and "/account/" not in _kept_paths(page)
    page.goto(f"{live_server}/")
    _until(page, "caches.keys().then(k => caches.open(k[0])).then(c => c.match('/'))"
                 ".then(r => r && r.text()).then(t => t && t.includes('Kept Person'))")
    page.get_by_role("button", name="Menu").tap()
    page.get_by_role("button", name="Sign out").tap()
    page.wait_for_url(f"{live_server}/**")
    # The map page kept while signed in (with the name in its menu) is gone, or replaced by the signed-out one.
    _until(page, "caches.keys().then(k => caches.open(k[0])).then(c => c.match('/'))"
                 ".then(r => !r || r.text().then(t => !t.includes('Kept Person')))")


def test_phone_new_place_added_offline_is_kept_calmly_and_sent_later(phone_page, live_server, live_db):
    page = phone_page
    page.goto(f"{live_server}/")
    _wait_for_worker(page)
    page.context.set_offline(True)
    page.get_by_role("button", name="Add place").tap()
    form = page.get_by_role("dialog", name="Add a missing place")
    form.get_by_label("Name").fill("Kiosk am Bahnhof")
    form.get_by_label("Category").select_option("food")
    form.get_by_role("button", name="Send new place").tap()
    # Kept, not failed: the form closes, the status says so in words, and nothing is marked as an error.
    expect(form).to_be_hidden()
    expect(page.locator("#map-status")).to_contain_text("kept on this phone")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("#outbox-bar").get_by_role("status")).to_contain_text("1 answer waits to be sent.")
    assert live_db.scalars(select(Submission)).all() == []

    page.context.set_offline(False)
    expect(page.locator("#outbox-bar").get_by_role("status")).to_contain_text("1 answer was sent", timeout=15_000)
    live_db.expire_all()
    stored = live_db.scalars(select(Submission)).one()
    assert (stored.kind, stored.proposed["name"]) == ("new_place", "Kiosk am Bahnhof")
