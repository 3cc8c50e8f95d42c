"""No text from volunteers, moderators or OpenStreetMap ever runs as script, on any page, for any role.

The acceptance test for the stored XSS in the review screen's mini-map (names handed to Leaflet's
bindTooltip() as HTML). A corpus of payloads goes into every user- and OSM-supplied text field through the
service layer and a real OSM import, committed on the live server's database. Real Chromium then renders
every HTML page of the url_map as each role, drives the map's list, sheet and search, and hovers every
marker of the review mini-maps. A payload that became markup would open a dialog, trip the
Content-Security-Policy, or leave an element behind: none may, and each text must read exactly as typed.
"""

import itertools
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import url_for
from playwright.sync_api import expect
from sqlalchemy import select

from app.device import COOKIE as DEVICE_COOKIE
from app.models import ModerationEvent, Photo, Place, Submission, User
from app.models.base import utcnow
from app.policy import ModerationPolicy
from app.queries.stats import FIGURES
from app.services import bans, moderation, reports, reverts
from app.services.accounts import create_user
from app.services.events import create_event, join_event
from app.services.osm_import import import_file
from app.services.submissions import (
    Submitter,
    hash_device_token,
    submit_correction,
    submit_new_place,
    submit_photo,
    submit_photo_report,
    submit_report,
    submit_status,
)
from geo.vocabulary import WHEELCHAIR_LABELS
from tests.browser.conftest import LAPTOP, PHONE, open_context, sign_in
from tests.conftest import TEST_PASSWORD
from tests.factories import camera_jpeg, make_place

# Each vector breaks out of a different context: element text, double- and single-quoted attributes, JS
# strings, server-side templates, <title>/<textarea>, entities. Injected elements carry class "xss".
PAYLOADS = (
    '"><img src=x class=xss onerror=alert(1)>',
    "<script class=xss>alert(1)</script>",
    "<svg class=xss onload=alert(1)>",
    "javascript:alert(1)",
    "'-alert(1)-' onmouseover='alert(1)' class='xss",
    "{{7*7}} {{config}} ${7*7} {% raw %}",
    "</textarea></title><b class=xss>x</b>",
    'Tom & Jerry\'s "Café" &amp; &lt;i&gt; <i class=xss>i</i>',
    '<a class=xss href="javascript:alert(1)">click</a>',
)
# Two texts that hold the whole corpus between them and still fit a place name (200 characters), so that a
# couple of objects per source carry every payload in every field; notes and reasons (500) hold all of it.
CORPUS = (" ".join(PAYLOADS[:5]), " ".join(PAYLOADS[5:]))
WHOLE = " ".join(PAYLOADS)
# Only these can be told apart from their escaped form in an HTML source.
MARKUP_PAYLOADS = [p for p in PAYLOADS if set(p) & set("<>&'\"")]
ROLES = ("anonymous", "volunteer", "moderator", "admin")
STAFF = ("moderator", "admin")
ANON_TOKEN = "xss-anonymous-device-token-000000000000"
BANNED_TOKEN = "xss-banned-device-token-0000000000000000"

# Every place sits on a grid 8 m apart around the map's default centre: all of them show on the phone map at
# once, and on the review mini-map (zoom 18, ~0.4 m a pixel) each marker can be hovered on its own.
CENTRE = (9.521, 47.141)
LAT_PER_METRE = 1 / 111_320
LON_PER_METRE = LAT_PER_METRE / math.cos(math.radians(CENTRE[1]))

FIND_INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    if ([...el.attributes].some(a => a.name.startsWith("on"))) found.push(el.outerHTML.slice(0, 160));
  }
  document.querySelectorAll(".xss, script:not([src]), iframe, object, embed, [href^='javascript:' i]")
    .forEach(el => found.push(el.outerHTML.slice(0, 160)));
  return found;
}"""


def spots():
    """Points 8 m apart around the map's centre, five to a row."""
    for n in itertools.count():
        row, col = divmod(n, 5)
        yield {"lon": round(CENTRE[0] + (col - 2) * 8 * LON_PER_METRE, 7),
               "lat": round(CENTRE[1] + (row - 1) * 8 * LAT_PER_METRE, 7)}


# ---- seeding ---------------------------------------------------------------------------------------------

@dataclass
class Dataset:
    users: dict[str, User]
    place_ids: list[int]
    review_ids: list[int]
    pending_ids: list[int]
    photo_names: list[str] = field(default_factory=list)
    # (role, path) -> texts the page must show literally
    texts: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def _seed_users(session) -> dict[str, User]:
    parts = {"volunteer": "volunteer", "trusted": "volunteer", "moderator": "moderator", "admin": "admin",
             "banned": "volunteer"}
    users = {part: create_user(session, f"{part}@example.org", TEST_PASSWORD, PAYLOADS[n], role)
             for n, (part, role) in enumerate(parts.items())}
    # The rest of the corpus as names of accounts that only show up in lists.
    for n in range(len(parts), len(PAYLOADS)):
        create_user(session, f"bystander{n}@example.org", TEST_PASSWORD, PAYLOADS[n])
    return users


def _new_place(session, submitter, name, description, spot, wheelchair="limited", **options):
    return submit_new_place(session, submitter, {"name": name, "category": "food", "wheelchair": wheelchair,
                                                 "description": description, **spot}, **options)


def _write_osm(path, nodes: list[tuple[dict, dict]]):
    """An OSM XML file of tagged nodes (spot, tags); ElementTree escapes the payloads as XML needs."""
    root = ET.Element("osm", version="0.6", generator="test_xss")
    ET.SubElement(root, "bounds", minlat="47.1", minlon="9.5", maxlat="47.2", maxlon="9.6")
    for osm_id, (spot, tags) in enumerate(nodes, start=1):
        node = ET.SubElement(root, "node", id=str(osm_id), version="1", lat=str(spot["lat"]), lon=str(spot["lon"]))
        for key, value in tags.items():
            ET.SubElement(node, "tag", k=key, v=value)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _seed_places(session, users, grid, tmp_path) -> dict[str, list[Place]]:
    """The corpus as names and descriptions from every source: volunteer, trusted volunteer, rename, OSM import."""
    volunteer, moderator = Submitter(user=users["volunteer"]), users["moderator"]
    trusted, anonymous = Submitter(user=users["trusted"]), Submitter.for_device_token(None, ANON_TOKEN)
    approved = [moderation.approve(session, _new_place(session, volunteer, text, CORPUS[n - 1], next(grid)).id,
                                   moderator) for n, text in enumerate(CORPUS)]
    by_volunteer = [session.get(Place, s.place_id) for s in approved]

    # A trusted volunteer: one approval is a good enough record once the bar is lowered from 20 to 1.
    first = submit_status(session, trusted, by_volunteer[0].id, {"description": CORPUS[0]})
    moderation.approve(session, first.id, moderator)
    lenient = ModerationPolicy(trust_min_approved=1)
    auto = [_new_place(session, trusted, text, CORPUS[n - 1], next(grid), "yes", policy=lenient)
            for n, text in enumerate(CORPUS)]
    auto.append(submit_status(session, trusted, by_volunteer[1].id, {"description": CORPUS[1]}, policy=lenient))
    assert all(s.state == "approved" and s.auto_approved for s in auto)
    by_trusted = [session.get(Place, s.place_id) for s in auto[:-1]]

    renamed = [make_place(session, name=f"Rename target {n}", **next(grid)) for n in range(len(CORPUS))]
    for place, text in zip(renamed, CORPUS, strict=True):
        moderation.approve(session, submit_correction(session, anonymous, place.id, {"name": text}).id, moderator)

    nodes = [(next(grid), {"name": text, "amenity": "restaurant", "wheelchair": "no",
                           "wheelchair:description": CORPUS[n - 1]}) for n, text in enumerate(CORPUS)]
    # OSM values that StepFree does not map end up in the import's audit event.
    nodes.append((next(grid), {"name": "Odd OSM values", "amenity": "cafe", "wheelchair": CORPUS[0]}))
    nodes.append((next(grid), {"name": "Unmapped", "amenity": CORPUS[1]}))
    import_file(session, _write_osm(tmp_path / "v1.osm", nodes))
    from_osm = session.scalars(select(Place).where(Place.source == "osm").order_by(Place.osm_id)).all()
    # Renamed here and then in OSM too: a conflict for moderators. OSM's new description is simply taken.
    renamed_here = submit_correction(session, volunteer, from_osm[0].id, {"name": CORPUS[1]})
    moderation.approve(session, renamed_here.id, moderator)
    nodes[0][1]["name"] = f"{CORPUS[0]} (v2)"
    nodes[1][1]["wheelchair:description"] = CORPUS[1]
    import_file(session, _write_osm(tmp_path / "v2.osm", nodes))
    return {"volunteer": by_volunteer, "trusted": by_trusted, "renamed": renamed}


def _seed_submissions(session, users, grid, places) -> None:
    """Pending ones of every kind, rejections and a dismissal with notes, bans, a revert and a hide with reasons."""
    moderator, admin = users["moderator"], users["admin"]
    authors = (Submitter(user=users["volunteer"]), Submitter.for_device_token(None, ANON_TOKEN))
    for n, (who, text, place) in enumerate(zip(authors, CORPUS, places["renamed"], strict=True)):
        _new_place(session, who, text, CORPUS[n - 1], next(grid), "no")
        submit_correction(session, who, place.id, {"name": CORPUS[n - 1]})
        submit_status(session, who, place.id, {"description": text})
        submit_report(session, who, place.id, {"problem": "offensive", "note": f"Report: {WHOLE}"})

    for n, (who, place) in enumerate(zip(authors, places["trusted"], strict=True)):
        rejected = submit_status(session, who, place.id, {"description": CORPUS[n]})
        moderation.reject(session, rejected.id, moderator, "other", note=f"Rejected: {WHOLE}")
    report = submit_report(session, authors[0], places["renamed"][1].id, {"problem": "other", "note": CORPUS[0]})
    reports.dismiss(session, report.id, moderator, "wrong", note=f"Dismissed: {WHOLE}")

    banned_device = Submitter.for_device_token(None, BANNED_TOKEN)
    submit_status(session, Submitter(user=users["banned"]), places["renamed"][0].id, {"description": CORPUS[1]})
    _new_place(session, banned_device, CORPUS[1], CORPUS[0], next(grid))
    bans.ban(session, admin, bans.Author(user_id=users["banned"].id), f"Banned user: {WHOLE}")
    bans.ban(session, moderator, bans.Author(device_hash=banned_device.device_hash), f"Banned device: {WHOLE}")
    # The trusted volunteer changed this place's description (version 2): put version 1's back.
    reverts.revert_place(session, places["volunteer"][1].id, 1, moderator, reason=f"Reverted: {WHOLE}")
    reverts.set_hidden(session, places["trusted"][1].id, True, moderator, reason=f"Hidden: {WHOLE}")


EVENT_SLUG = "xss-event"
EVENT_NAME = f"{PAYLOADS[0]} {PAYLOADS[1]}"


def _seed_event(session, users) -> None:
    """A running mapping event around the places, named and described with payloads, joined by the trusted
    volunteer, whose (payload) display name is public: the event page and its leaderboard show it."""
    now = utcnow()
    event = create_event(session, users["moderator"], {
        "name": EVENT_NAME, "slug": EVENT_SLUG, "description": WHOLE, "time_zone": "UTC", "goal": "80",
        "starts_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "bbox": f"{CENTRE[0] - 0.01},{CENTRE[1] - 0.01},{CENTRE[0] + 0.01},{CENTRE[1] + 0.01}"})
    users["trusted"].public_name = True
    join_event(session, event, user=users["trusted"], device_hash=None, now=now)


def _seed_photos(session, users, places, store) -> str:
    """A shown photo credited to the trusted volunteer's (payload, public) name, reported with a payload note,
    and a pending one: the sheet, the place page and the review screens show their words. Returns a file name."""
    place = places["volunteer"][0]
    shown = submit_photo(session, Submitter(user=users["trusted"]), place.id, camera_jpeg(),
                         {"subject": "entrance", "licence": "CC-BY-SA-4.0"}, store)
    moderation.approve(session, shown.id, users["moderator"])
    submit_photo_report(session, Submitter.for_device_token(None, ANON_TOKEN), shown.proposed["photo_id"],
                        {"problem": "privacy", "note": f"Photo: {WHOLE}"})
    submit_photo(session, Submitter(user=users["volunteer"]), place.id, camera_jpeg((640, 480)),
                 {"subject": "toilet", "licence": "CC0-1.0"}, store)
    return session.get(Photo, shown.proposed["photo_id"]).name


def seed(live_app, session, tmp_path) -> Dataset:
    """Commit the whole corpus through the services and an OSM import; note what each page must show."""
    with live_app.app_context():
        users = _seed_users(session)
        grid = spots()
        places = _seed_places(session, users, grid, tmp_path)
        _seed_submissions(session, users, grid, places)
        _seed_event(session, users)
        photo_name = _seed_photos(session, users, places, live_app.extensions["photo_store"])
        session.commit()
    submissions = session.scalars(select(Submission).order_by(Submission.id)).all()
    data = Dataset(
        users=users, place_ids=session.scalars(select(Place.id).order_by(Place.id)).all(),
        # Decided ones differ from pending ones only by the decision's note: one of them shows that line.
        review_ids=[s.id for s in submissions if s.state == "pending"] +
        [next(s.id for s in submissions if s.state == "rejected")],
        pending_ids=[s.id for s in submissions if s.state == "pending"], photo_names=[photo_name])
    _expect_texts(session, data, submissions)
    return data


# What each field's pages show of it, in words (templates/_submission_summary.html, moderate/review.html).
SUMMARY_FIELDS = {"status": ("description",), "new_place": ("name",), "correction": ("name",), "report": ("note",),
                  "photo": (), "photo_report": ("note",), "duplicate": ()}
REVIEW_FIELDS = {"status": ("description",), "new_place": ("name", "description"), "correction": ("name",),
                 "report": ("note",), "photo": (), "photo_report": ("note",), "duplicate": ()}


def _expect_texts(session, data: Dataset, submissions: list[Submission]) -> None:
    def show(path, texts, roles=STAFF):
        for role in roles:
            data.texts.setdefault((role, path), []).extend(t for t in texts if t)

    for place in session.scalars(select(Place)):
        show(f"/places/{place.id}", [place.name, place.description], STAFF if place.hidden_at else ROLES)
    for photo in session.scalars(select(Photo).where(Photo.credit.is_not(None))):
        show(f"/places/{photo.place_id}", [photo.credit], ROLES)  # the photo's caption credits its author
    anon_hash = hash_device_token(ANON_TOKEN)
    for s in submissions:
        place = session.get(Place, s.place_id) if s.place_id else None
        show(f"/moderate/submissions/{s.id}", [s.proposed.get(k) for k in REVIEW_FIELDS[s.kind]] +
             [s.reason_note, place.name if place and s.kind != "new_place" else None])
        owner = "volunteer" if s.author_id == data.users["volunteer"].id else \
            "anonymous" if s.device_hash == anon_hash else None
        if owner:
            show("/my/submissions", [s.proposed.get(k) for k in SUMMARY_FIELDS[s.kind]] +
                 [place.name if place else None, s.reason_note if s.state == "rejected" else None], [owner])
        if s.state == "pending":
            show("/moderate", [place.name if place else s.proposed["name"]])
    for user in session.scalars(select(User)):
        show("/admin/users", [user.display_name, user.ban_reason], ["admin"])
    for role, user in data.users.items():
        if role in ROLES and role != "anonymous":
            show("/account/", [user.display_name], [role])
    show(f"/moderate/ban?user={data.users['banned'].id}", [data.users["banned"].display_name])
    show(f"/events/{EVENT_SLUG}", [EVENT_NAME, WHOLE, data.users["trusted"].display_name], ROLES)
    # Rejections reach their authors as notices and on their impact page, with the moderator's note.
    show("/notices", [f"Rejected: {WHOLE}"], ["volunteer", "anonymous"])
    show("/me", [f"Rejected: {WHOLE}"], ["volunteer", "anonymous"])
    show("/moderate/log", session.scalars(select(ModerationEvent.reason).where(
        ModerationEvent.action.in_(("ban", "revert", "hide")))).all())


# ---- the browser side ------------------------------------------------------------------------------------

def html_pages(app, values: dict[str, list], queries: dict[str, list[dict]]) -> list[tuple[str, str]]:
    """(endpoint, URL) of every GET route that answers HTML, with the seeded ids: a page added later is covered."""
    by_endpoint = {}
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            # A route named like a file (places.geojson, stepfree.osc) is a download, whoever asks: never a page.
            if "GET" not in rule.methods or rule.endpoint == "static" or re.search(r"\.[a-z]+$", rule.rule):
                continue
            names = sorted(rule.arguments)
            assert set(names) <= values.keys(), f"{rule.rule}: give this test values for {set(names) - values.keys()}"
            by_endpoint[rule.endpoint] = [url_for(rule.endpoint, **dict(zip(names, combination, strict=True)), **query)
                                          for combination in itertools.product(*(values[n] for n in names))
                                          for query in queries.get(rule.endpoint, [{}])]
    pages = []
    client = app.test_client()
    for endpoint, urls in by_endpoint.items():
        # JSON and GeoJSON answers are never rendered as pages (and downloads cannot be navigated to).
        with client.get(urls[0]) as response:
            if response.mimetype == "text/html":
                pages += [(endpoint, url) for url in urls]
    return pages


@pytest.fixture
def open_as(browser, live_app, live_server, monkeypatch):
    """Open a page as a role: dialogs recorded (and dismissed), anonymous visitors with a known device token."""
    # Let the browser keep the static files instead of asking the server about each of them on every page.
    monkeypatch.setitem(live_app.config, "SEND_FILE_MAX_AGE_DEFAULT", 600)
    pages = []

    def open_as(role, options, users=None):
        context = open_context(browser, options)
        context.add_cookies([{"name": DEVICE_COOKIE, "value": ANON_TOKEN, "url": live_server}])
        page = context.new_page()
        # The test server has no tiles: asking it for hundreds would only render as many 404 pages. Blocked
        # in the browser rather than with page.route(), which would turn the browser's cache off.
        devtools = context.new_cdp_session(page)
        devtools.send("Network.enable")
        devtools.send("Network.setBlockedURLs", {"urls": ["*/tiles/*"]})
        page.set_default_timeout(10_000)
        page.dialogs, page.seen = [], (0, 0)
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        pages.append(page)
        if role != "anonymous":
            sign_in(page, live_server, users[role].email, TEST_PASSWORD)
        return page

    yield open_as
    # Reports come in asynchronously: one that arrived after a page's last check still fails the test.
    late = [(page.context.csp_violations[page.seen[0]:], page.dialogs[page.seen[1]:]) for page in pages]
    for page in pages:
        page.context.close()
    assert all(violations == dialogs == [] for violations, dialogs in late), f"reported late: {late}"


def assert_inert(page, where: str) -> None:
    """Nothing a payload could do happened: no dialog, no CSP violation, no element or handler it made."""
    page.seen = (len(page.context.csp_violations), len(page.dialogs))
    assert page.dialogs == [], f"{where}: a dialog opened: {page.dialogs}"
    assert page.context.csp_violations == [], f"{where}: CSP violations: {page.context.csp_violations}"
    assert page.evaluate(FIND_INJECTED) == [], f"{where}: elements made by a payload: {page.evaluate(FIND_INJECTED)}"


def assert_shows(page, texts: list[str], where: str) -> None:
    shown = page.evaluate("document.body.textContent")
    missing = [t for t in texts if t not in shown]
    assert missing == [], f"{where}: not shown literally: {missing}"


def check_page(page, live_server, data: Dataset, role: str, endpoint: str, url: str) -> bool:
    """Render one page as a role and check it; False when the role is refused it (403, or sent to sign in)."""
    where = f"{url} as {role}"
    response = page.goto(live_server + url, wait_until="domcontentloaded")
    assert_inert(page, where)
    assert [p for p in MARKUP_PAYLOADS if p in response.text()] == [], f"{where}: unescaped in the HTML"
    expected = data.texts.get((role, url), [])
    assert_shows(page, expected + ([data.users[role].display_name] if role != "anonymous" else []), where)
    if endpoint == "place_pages.show" and expected:
        assert page.title() == f"{expected[0]} · StepFree", where
    searched = parse_qs(urlsplit(url).query).get("q")
    if endpoint == "admin.users" and searched and role == "admin":
        assert_shows(page, searched, where)
        assert page.locator("#q").input_value() == searched[0], where
    sent_to_sign_in = urlsplit(page.url).path == "/account/login" != urlsplit(url).path
    return response.status != 403 and not sent_to_sign_in


def test_xss_no_page_runs_a_payload_for_any_role(open_as, live_app, live_server, live_db, tmp_path):
    data = seed(live_app, live_db, tmp_path)
    # Query strings: the ones a page needs, and the corpus in every parameter a page echoes back.
    queries = {"admin.users": [{}] + [{"q": text} for text in CORPUS],
               "moderate.ban_preview": [{"user": data.users["banned"].id},
                                        {"device": hash_device_token(BANNED_TOKEN)}],
               "export.data_page": [{}, {"bbox": CORPUS[0], "updated_since": CORPUS[1], "category": CORPUS[1]}],
               "moderate.index": [{}, {"bbox": CORPUS[0]}, {"kind": CORPUS[1]}],
               "moderate.audit_log": [{}, {"since": CORPUS[0], "until": CORPUS[1]}],
               "auth.login": [{}, {"next": CORPUS[0]}],
               "pages.index": [{}, {"place": CORPUS[0]}],
               "check.index": [{}, {"near": f"{CENTRE[0]},{CENTRE[1]}"}, {"event": EVENT_SLUG}]}
    pages = html_pages(live_app, {"place_id": data.place_ids, "submission_id": data.review_ids,
                                  "collection_id": ["places"], "slug": [EVENT_SLUG], "figure": list(FIGURES),
                                  "code": ["en"], "name": data.photo_names}, queries)
    rendered = {}
    for role in ROLES:
        page = open_as(role, LAPTOP, data.users)
        refused, rendered[role] = set(), []
        for endpoint, url in pages:
            if endpoint not in refused:
                if not check_page(page, live_server, data, role, endpoint, url):
                    refused.add(endpoint)  # every other URL of the endpoint answers this role the same refusal
                rendered[role].append(url)
    # Flash messages carry names too: the admin (the last role) bans a payload-named account from the list.
    page.goto(f"{live_server}/admin/users")
    row = page.locator("tr").filter(has=page.locator("th", has_text=PAYLOADS[7]))
    row.get_by_placeholder("Reason").fill(f"Flashed: {WHOLE}")
    row.get_by_role("button", name="Ban").click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert_inert(page, "the ban's flash message")
    assert_shows(page, [f"{PAYLOADS[7]} is banned;", f"Flashed: {WHOLE}"], "the ban's flash message")
    # The pages the finding names were all rendered in full, so a renamed route cannot shrink the test silently.
    for path in ("/", "/my/submissions", "/data", "/account/", "/moderate", "/moderate/log", "/admin/users"):
        assert path in rendered["admin"], path
    assert {f"/moderate/submissions/{i}" for i in data.pending_ids} <= set(rendered["moderator"])
    assert {f"/places/{i}" for i in data.place_ids} <= set(rendered["anonymous"])


def test_xss_check_cards_and_peer_checks_show_text_literally(open_as, live_app, live_server, live_db, tmp_path):
    data = seed(live_app, live_db, tmp_path)
    names = set(live_db.scalars(select(Place.name)))
    page = open_as("volunteer", PHONE, data.users)
    page.goto(f"{live_server}/check?near={CENTRE[0]},{CENTRE[1]}")
    # Recent changes by others (the trusted volunteer's payload-named places), before → after in words.
    expect(page.locator("#peer-list li").first).to_be_visible()
    assert_inert(page, "the peer checks")
    shown = page.locator("#peer-list").text_content()
    assert any(name in shown for name in names if any(p in name for p in PAYLOADS)), shown
    title, link = page.locator("#check-title"), page.locator("#check-map-link")
    for _ in range(3):  # card after card, each title a place's name as text
        expect(title).not_to_be_empty()
        assert title.text_content() in names
        assert_inert(page, f"the card of {title.text_content()!r}")
        shown_place = link.get_attribute("href")
        page.get_by_role("button", name="Can't tell").tap()
        # The next card, or the end of what is due here.
        page.wait_for_function("""href => !document.getElementById("check-done").hidden
            || document.getElementById("check-map-link").getAttribute("href") !== href""", arg=shown_place)
        assert_inert(page, "the answer's announcement")
        if page.locator("#check-done").is_visible():
            break


def test_xss_map_list_sheet_and_search_show_text_literally(open_as, live_app, live_server, live_db, tmp_path):
    seed(live_app, live_db, tmp_path)
    published = {p.id: p for p in live_db.scalars(select(Place)) if p.is_published}
    page = open_as("anonymous", PHONE)
    page.goto(f"{live_server}/")
    expect(page.locator("#map-status")).to_have_text(f"{len(published)} places shown.")
    assert_inert(page, "the map")
    # A place has a marker of its own, or shares one with places too close to tap apart (named in its label).
    singles = page.locator(".leaflet-marker-icon[data-place-id]").evaluate_all(
        "markers => markers.map(m => [Number(m.dataset.placeId), m.getAttribute('aria-label')])")
    shared = page.locator(".leaflet-marker-icon[data-place-ids]").evaluate_all(
        "markers => markers.map(m => [m.dataset.placeIds, m.getAttribute('aria-label')])")
    for place_id, label in singles:
        place = published[place_id]
        assert label == f"{place.name}, {WHEELCHAIR_LABELS[place.wheelchair]}"
    for ids, label in shared:
        for place_id in map(int, ids.split()):
            place = published[place_id]
            assert f"{place.name} ({WHEELCHAIR_LABELS[place.wheelchair]})" in label
    assert sorted([i for i, _ in singles] + [int(i) for ids, _ in shared for i in ids.split()]) == sorted(published)

    list_button, items = page.get_by_role("button", name="List"), page.locator("#place-list .list-item")
    list_button.click()
    assert_inert(page, "the list")
    shown = page.locator("#place-list .list-item > span:last-child").all_text_contents()
    assert sorted(shown) == sorted(f"{p.name} — {WHEELCHAIR_LABELS[p.wheelchair]}" for p in published.values())
    for n in range(len(published)):
        if page.locator("#list-panel").is_hidden():
            if page.locator("#sheet").is_visible():  # on a phone the toolbar steps aside while a sheet is open
                page.locator("[data-close=sheet]").click()
            list_button.click()
        items.nth(n).click()
        expect(page.locator("#sheet")).to_be_visible()
        place = published[int(page.locator("#sheet-page-link").get_attribute("href").rsplit("/", 1)[1])]
        assert_inert(page, f"the sheet of place {place.id}")
        assert page.locator("#sheet-title").text_content() == place.name
        assert page.locator("#sheet-description").text_content() == (place.description or "")

    for payload in PAYLOADS:
        page.locator("[data-close=sheet]").click()
        page.get_by_role("searchbox").fill(payload)
        page.get_by_role("button", name="Search", exact=True).click()
        results = page.get_by_role("list", name="Search results").get_by_role("button")
        expect(results.first).to_be_visible()
        assert_inert(page, f"the results of a search for {payload}")
        assert all(payload in text for text in results.all_text_contents()), payload
        results.first.click()
        expect(page.locator("#sheet")).to_be_visible()
        assert_inert(page, f"the sheet found by a search for {payload}")
        assert payload in page.locator("#sheet-title").text_content()
    page.locator("[data-close=sheet]").click()
    page.get_by_role("searchbox").fill(f"{PAYLOADS[0]} nowhere")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#map-status")).to_contain_text("was found")
    assert_inert(page, "a search that finds nothing")
    assert page.locator("#map-status").text_content() == (
        f"No place named like “{PAYLOADS[0]} nowhere” or on such a street was found.")

    # A link to a place opens its sheet at once.
    place = next(p for p in published.values() if p.description)
    page.goto(f"{live_server}/?place={place.id}")
    expect(page.locator("#sheet")).to_be_visible()
    assert_inert(page, f"/?place={place.id}")
    assert page.locator("#sheet-title").text_content() == place.name
    assert page.locator("#sheet-description").text_content() == place.description


def test_xss_review_map_tooltips_show_names_as_text(open_as, live_app, live_server, live_db, tmp_path):
    data = seed(live_app, live_db, tmp_path)
    names = set(live_db.scalars(select(Place.name)))
    page = open_as("moderator", LAPTOP, data.users)
    for submission_id in data.pending_ids:
        where = f"the review map of submission {submission_id}"
        page.goto(f"{live_server}/moderate/submissions/{submission_id}")
        nearby = page.locator("#review-map").evaluate("map => JSON.parse(map.dataset.nearby)")
        assert nearby and {p["name"] for p in nearby} <= names, where
        # Circle markers; the dashed 50 m circle has no fill and no tooltip.
        markers = page.locator("#review-map path.leaflet-interactive:not([fill='none'])")
        expect(markers).to_have_count(len(nearby) + 1)
        # Move the real mouse over each marker's centre in turn (one round trip each, not a hover()'s many).
        page.locator("#review-map").scroll_into_view_if_needed()
        centres = markers.evaluate_all("""markers => markers.map(m => {
            const box = m.getBoundingClientRect();
            return [box.x + box.width / 2, box.y + box.height / 2];
        })""")
        tooltips = set()
        for x, y in centres:
            page.mouse.move(x, y)
            tooltips.update(page.locator("#review-map .leaflet-tooltip").all_text_contents())
        assert_inert(page, where)
        assert tooltips == {"This submission"} | {f"{p['name']} ({p['status']})" for p in nearby}, where


# ---- the checks themselves -------------------------------------------------------------------------------

def test_xss_csp_violations_are_reported(open_as, live_server, live_db):
    page = open_as("anonymous", LAPTOP)
    page.goto(f"{live_server}/data")
    blocked = page.evaluate("""() => new Promise(resolve => {
        document.addEventListener("securitypolicyviolation", event => resolve(event.blockedURI));
        const img = document.createElement("img");
        img.src = "https://evil.example/x.png";
        document.body.append(img);
    })""")
    assert blocked == "https://evil.example/x.png"
    for _ in range(50):  # the report reaches Python through a binding, a moment after the event
        if page.context.csp_violations:
            break
        page.wait_for_timeout(100)
    assert [(v["directive"], v["blocked"]) for v in page.context.csp_violations] == [
        ("img-src", "https://evil.example/x.png")]
    with pytest.raises(AssertionError, match="CSP violations"):
        assert_inert(page, "after the image")


@pytest.mark.parametrize("attack, caught", [
    ("() => alert('xss')", "a dialog opened"),
    (f"() => document.body.insertAdjacentHTML('beforeend', {PAYLOADS[6]!r})", "elements made by a payload"),
], ids=["dialog", "injected element"])
def test_xss_dialogs_and_injected_elements_are_caught(open_as, live_server, live_db, attack, caught):
    page = open_as("anonymous", LAPTOP)
    page.goto(f"{live_server}/data")
    assert_inert(page, "before")
    page.evaluate(attack)
    with pytest.raises(AssertionError, match=caught):
        assert_inert(page, "after")
