""""Check nearby" on a phone, in real headless Chromium at 390×844 with touch: one tap per place, answers
that arrive as the right kind, answers kept while offline, peer checks, and the freshness on the map's sheet."""

import re
import time
from datetime import timedelta

from geoalchemy2.shape import from_shape
from playwright.sync_api import expect
from shapely.geometry import MultiPolygon, box
from sqlalchemy import select

from app.models import CheckSkip, MappingEvent, Place, Submission, Vote
from app.models.base import utcnow
from app.services import moderation
from app.services.submissions import Submitter, submit_status
from tests.browser.conftest import axe_violations, describe, sign_in
from tests.conftest import TEST_PASSWORD
from tests.factories import make_place, make_user

HERE = (9.5200, 47.1400)
CHECK = "/check?near={},{}".format(*HERE)


def _place(session, name: str, metres_east: int, wheelchair: str = "unknown", years: float | None = None) -> Place:
    """A place `metres_east` of HERE (nearest first is the order /check offers them in)."""
    place = make_place(session, name=name, lon=HERE[0] + metres_east / 75_800, lat=HERE[1], wheelchair=wheelchair)
    place.last_verified_at = None if years is None else utcnow() - timedelta(days=365 * years)
    return place


def _eventually(read, expected, timeout: float = 5.0):
    """What `read()` returns once it equals `expected` (the answers travel in the background)."""
    deadline = time.monotonic() + timeout
    while (found := read()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def _answers(session) -> dict[int, tuple[str, dict]]:
    return {place_id: (kind, proposed) for place_id, kind, proposed in session.execute(
        select(Submission.place_id, Submission.kind, Submission.proposed))}


def _skips(session) -> set[int]:
    return set(session.scalars(select(CheckSkip.place_id).where(CheckSkip.device_hash.is_not(None))))


def test_phone_volunteer_answers_five_places_with_one_tap_each(phone_page, live_server, live_db):
    cafe = _place(live_db, "Café Rosa", 20)
    bakery = _place(live_db, "Bäckerei Frick", 40, "yes", years=5)
    kiosk = _place(live_db, "Kiosk am Platz", 60)
    museum = _place(live_db, "Kunstmuseum", 80, "limited", years=3)
    pharmacy = _place(live_db, "Apotheke Vaduz", 100, "no")
    last = _place(live_db, "Rathaus", 120)
    fresh = _place(live_db, "Frisch Geprüft", 5, "yes", years=0.1)  # the nearest, but checked lately
    live_db.commit()
    page = phone_page
    offered: list[int] = []
    page.on("response", lambda r: offered.extend(f["id"] for f in r.json()["features"])
            if r.url.startswith(f"{live_server}/api/check?") else None)
    taps = 0

    def tap(name: str):
        nonlocal taps
        taps += 1
        page.get_by_role("group", name="Can you get in with a wheelchair?").get_by_role(
            "button", name=re.compile(f"^{name}")).tap()

    page.goto(live_server + CHECK)
    title = page.locator("#check-title")
    expect(title).to_have_text("Café Rosa")
    expect(page.get_by_text("Never checked by a volunteer")).to_be_visible()
    expect(page.get_by_text("Wheelchair: Unknown")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Still correct"))).to_be_hidden()  # nothing to confirm
    assert axe_violations(page) == [], describe(axe_violations(page))

    tap("Yes")
    expect(title).to_have_text("Bäckerei Frick")
    expect(title).to_be_focused()
    expect(page.get_by_text("Checked 5 years ago")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Sent for review: Café Rosa is accessible")).to_be_visible()
    tap("Still correct")
    expect(title).to_have_text("Kiosk am Platz")
    tap("Can't tell")
    expect(title).to_have_text("Kunstmuseum")
    expect(page.get_by_text("Wheelchair: Partly accessible")).to_be_visible()
    tap("No")
    expect(title).to_have_text("Apotheke Vaduz")
    tap("Limited")
    expect(title).to_have_text("Rathaus")
    expect(title).to_be_focused()
    assert axe_violations(page) == [], describe(axe_violations(page))

    assert taps <= 10
    expected = {cafe.id: ("status", {"wheelchair": "yes"}), bakery.id: ("still_correct", {}),
                museum.id: ("status", {"wheelchair": "no"}), pharmacy.id: ("status", {"wheelchair": "limited"})}
    assert _eventually(lambda: _answers(live_db), expected) == expected
    assert _eventually(lambda: _skips(live_db), {kiosk.id}) == {kiosk.id}
    assert fresh.id not in offered and last.id in offered


def test_the_card_slides_in_unless_the_phone_asks_for_reduced_motion(phone_page, live_server, live_db):
    _place(live_db, "Café Rosa", 20)
    live_db.commit()
    page = phone_page
    page.goto(live_server + CHECK)
    expect(page.locator("#check-title")).to_have_text("Café Rosa")
    duration = "() => getComputedStyle(document.getElementById('check-card')).transitionDuration"
    assert page.evaluate(duration) == "0.2s"
    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate(duration) == "0s"


def test_nothing_due_near_says_so(phone_page, live_server, live_db):
    _place(live_db, "Frisch Geprüft", 20, "yes", years=0.1)
    live_db.commit()
    page = phone_page
    page.goto(live_server + CHECK)
    expect(page.get_by_role("heading", name="Nothing near you is due for a check")).to_be_visible()
    expect(page.locator("#check-place")).to_be_hidden()
    assert axe_violations(page) == [], describe(axe_violations(page))


def test_the_last_answer_leads_to_the_end_of_the_list(phone_page, live_server, live_db):
    only = _place(live_db, "Café Rosa", 20)
    live_db.commit()
    page = phone_page
    page.goto(live_server + CHECK)
    expect(page.locator("#check-title")).to_have_text("Café Rosa")
    page.get_by_role("button", name=re.compile("^No")).tap()
    done = page.get_by_role("heading", name="Nothing near you is due for a check")
    expect(done).to_be_focused()
    expected = {only.id: ("status", {"wheelchair": "no"})}
    assert _eventually(lambda: _answers(live_db), expected) == expected


def test_an_answer_given_offline_waits_on_the_phone_and_is_sent_when_back_online(phone_page, live_server, live_db):
    first = _place(live_db, "Café Rosa", 20)
    _place(live_db, "Bäckerei Frick", 40)
    live_db.commit()
    page = phone_page
    page.goto(live_server + CHECK)
    title = page.locator("#check-title")
    expect(title).to_have_text("Café Rosa")

    page.context.set_offline(True)
    page.get_by_role("button", name=re.compile("^Limited")).tap()
    expect(title).to_have_text("Bäckerei Frick")  # the card moves on all the same
    expect(page.locator("#check-waiting")).to_have_text("1 answer waits to be sent when you are back online.")
    expect(page.get_by_role("status")).to_contain_text("kept on this phone")
    assert live_db.scalars(select(Submission)).all() == []

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#check-waiting")).to_have_text("Every answer given offline is sent.")
    expect(page.get_by_role("status")).to_contain_text("Your answer for Café Rosa given offline was sent")
    expected = {first.id: ("status", {"wheelchair": "limited"})}
    assert _eventually(lambda: _answers(live_db), expected) == expected


def test_check_keeps_to_a_mapping_events_area(phone_page, live_server, live_db):
    _place(live_db, "Draussen", 20)
    _place(live_db, "Im Gebiet", 400)
    area = MultiPolygon([box(HERE[0] + 0.004, HERE[1] - 0.002, HERE[0] + 0.008, HERE[1] + 0.002)])
    live_db.add(MappingEvent(slug="vaduz-ost", name="Vaduz Ost", area=from_shape(area, srid=4326),
                             starts_at=utcnow(), ends_at=utcnow() + timedelta(days=1)))
    live_db.commit()
    page = phone_page
    page.goto(f"{live_server}{CHECK}&event=vaduz-ost")
    expect(page.get_by_role("link", name="Vaduz Ost")).to_be_visible()
    expect(page.locator("#check-title")).to_have_text("Im Gebiet")
    page.get_by_role("button", name=re.compile("^Can't tell")).tap()
    expect(page.get_by_role("heading", name="Nothing in this event's area is due for a check")).to_be_focused()


def test_without_the_phones_location_the_maps_centre_is_used_and_said(phone_page, live_server, live_app, live_db):
    centre = (live_app.config["MAP_CENTER_LON"], live_app.config["MAP_CENTER_LAT"])
    make_place(live_db, name="Beim Zentrum", lon=centre[0], lat=centre[1])
    make_place(live_db, name="Weit Weg", lon=centre[0] + 0.05, lat=centre[1])
    live_db.commit()
    page = phone_page  # geolocation is not granted to the page
    page.goto(f"{live_server}/check")
    expect(page.get_by_text("Showing places near the map's centre instead.")).to_be_visible()
    expect(page.locator("#check-title")).to_have_text("Beim Zentrum")


def test_the_phones_location_chooses_the_places(phone_page, live_server, live_db):
    make_place(live_db, name="In Schaan", lon=9.5095, lat=47.1651)
    make_place(live_db, name="In Vaduz", lon=9.521, lat=47.141)
    live_db.commit()
    page = phone_page
    page.context.grant_permissions(["geolocation"], origin=live_server)
    page.context.set_geolocation({"latitude": 47.1651, "longitude": 9.5095})
    page.goto(f"{live_server}/check")
    expect(page.get_by_text("Places near your location.")).to_be_visible()
    expect(page.locator("#check-title")).to_have_text("In Schaan")


def test_signed_in_volunteer_agrees_with_a_neighbours_change(phone_page, live_server, live_db):
    neighbour = make_user(live_db, display_name="Nina Neighbour")
    neighbour.public_name = True
    place = make_place(live_db, name="Café Rosa", lon=HERE[0], lat=HERE[1])
    submission = submit_status(live_db, Submitter(user=neighbour), place.id, {"wheelchair": "no"})
    moderation.approve(live_db, submission.id, make_user(live_db, role="moderator"))
    me = make_user(live_db, password=TEST_PASSWORD)
    live_db.commit()
    page = phone_page
    sign_in(page, live_server, me.email, TEST_PASSWORD)
    page.goto(live_server + CHECK)

    change = page.locator(".peer-item").filter(has_text="Café Rosa")
    expect(change).to_contain_text("Wheelchair access: Unknown")
    expect(change).to_contain_text("Not accessible")
    expect(change).to_contain_text("by Nina Neighbour")
    assert axe_violations(page) == [], describe(axe_violations(page))
    change.get_by_role("button", name="Agree with the change at Café Rosa", exact=True).tap()
    expect(change.get_by_text("You agree with this change. Thank you!")).to_be_focused()
    votes = _eventually(lambda: [(v.voter_id, v.agrees) for v in live_db.scalars(select(Vote))], [(me.id, True)])
    assert votes == [(me.id, True)]


def test_anonymous_visitor_is_offered_sign_in_for_peer_checks(phone_page, live_server, live_db):
    page = phone_page
    page.goto(live_server + CHECK)
    section = page.get_by_role("region", name="Recent changes near you")
    expect(section.get_by_role("link", name="Sign in")).to_have_attribute("href", re.compile(r"next=/check"))
    expect(page.locator(".peer-item")).to_have_count(0)


def test_map_sheet_says_when_checked_and_confirms_with_one_tap(phone_page, live_server, live_db):
    old = _place(live_db, "Café Rosa", 20, "limited", years=3)
    never = _place(live_db, "Kiosk am Platz", 40)
    live_db.commit()
    page = phone_page
    page.goto(f"{live_server}/?place={never.id}")
    sheet = page.get_by_role("dialog", name="Kiosk am Platz")
    expect(sheet.get_by_text("Never checked by a volunteer")).to_be_visible()
    expect(sheet.get_by_role("button", name=re.compile("^Still correct"))).to_be_hidden()

    page.goto(f"{live_server}/?place={old.id}")
    sheet = page.get_by_role("dialog", name="Café Rosa")
    expect(sheet.locator("#sheet-verified")).to_contain_text("Checked 3 years ago")
    expect(sheet.locator("#sheet-verified time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    sheet.get_by_role("button", name="Still correct It is still partly accessible.").tap()
    expect(sheet.get_by_role("status")).to_contain_text("Sent for review")
    expected = {old.id: ("still_correct", {})}
    assert _eventually(lambda: _answers(live_db), expected) == expected
