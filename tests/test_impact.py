"""/me: each figure equals a direct SQL count over the same data, for a device and for an account; the weekly
streak across gaps; and as many statements for ten times the submissions."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text, update

from app.device import COOKIE
from app.models import Submission
from app.queries.impact import volunteer_impact
from app.services import accounts, moderation
from app.services.submissions import (
    Submitter,
    hash_device_token,
    submit_new_place,
    submit_status,
    submit_still_correct,
)
from tests.factories import make_place, make_user

TOKEN = "impact-device-token-0123456789abcdefghijkl"
DEVICE = Submitter(device_hash=hash_device_token(TOKEN))
LON, LAT = 9.52, 47.14
# Metres per degree of longitude and latitude here (WGS84, 47.14° N), for places just inside and outside 1 km.
EAST, NORTH = 75_917.0, 111_169.0

# The figures straight from the tables, for a volunteer given as (author_id, device_hash).
MINE = ("(CASE WHEN CAST(:user_id AS integer) IS NOT NULL THEN s.author_id = :user_id "
        "ELSE s.device_hash = :device AND s.author_id IS NULL END)")
SQL = {
    "added": f"SELECT count(*) FROM submissions s WHERE {MINE} AND s.kind = 'new_place' AND s.state = 'approved'",
    "checked": f"SELECT count(DISTINCT s.place_id) FROM submissions s WHERE {MINE} "
               "AND s.kind IN ('status', 'still_correct') AND s.state = 'approved'",
    "approved": f"SELECT count(*) FROM submissions s WHERE {MINE} AND s.state = 'approved'",
    "rejected": f"SELECT count(*) FROM submissions s WHERE {MINE} AND s.state = 'rejected'",
    "area": "SELECT count(*) FROM places p WHERE p.hidden_at IS NULL AND p.gone_at IS NULL AND EXISTS ("
            f"SELECT 1 FROM submissions s WHERE {MINE} AND ST_DWithin(p.geom::geography, s.geom::geography, 1000))",
    "known": "SELECT count(*) FROM places p WHERE p.hidden_at IS NULL AND p.gone_at IS NULL "
             "AND p.wheelchair <> 'unknown' AND EXISTS ("
             f"SELECT 1 FROM submissions s WHERE {MINE} AND ST_DWithin(p.geom::geography, s.geom::geography, 1000))",
}
REASONS_SQL = (f"SELECT s.reason_code, count(*) FROM submissions s WHERE {MINE} AND s.state = 'rejected' "
               "GROUP BY s.reason_code")


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch):
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", "pbkdf2:sha256:1")


def _sql(session, volunteer: Submitter) -> dict:
    params = {"user_id": volunteer.user.id if volunteer.user else None, "device": volunteer.device_hash}
    found = {key: session.scalar(text(sql), params) for key, sql in SQL.items()}
    found["reasons"] = dict(session.execute(text(REASONS_SQL), params).all())
    return found


def _page_figures(html: str) -> dict:
    def figure(element_id):
        match = re.search(rf'id="{element_id}">(\d+)<', html)
        assert match, f"/me shows no {element_id}"
        return int(match.group(1))
    known = re.search(r'id="area-known"><strong>(\d+) of (\d+) places known \((\d+) %\)', html)
    assert known, "/me shows no 'N of M places known (P %)'"
    return {"added": figure("places-added"), "checked": figure("places-checked"),
            "approved": figure("answers-approved"), "rejected": figure("answers-rejected"),
            "known": int(known.group(1)), "area": int(known.group(2)), "pct": int(known.group(3))}


def _offset(east_m: float = 0, north_m: float = 0) -> dict:
    return {"lon": LON + east_m / EAST, "lat": LAT + north_m / NORTH}


def _contribute(session, volunteer: Submitter, moderator) -> None:
    """A volunteer's mixed record around (LON, LAT), with places just inside and just outside their area."""
    cafe = make_place(session, name="Café Sonne", wheelchair="yes", **_offset())
    library = make_place(session, name="Library", **_offset(north_m=300))
    make_place(session, name="Inside east", wheelchair="no", **_offset(east_m=960))
    make_place(session, name="Inside north", **_offset(north_m=300 + 960))
    make_place(session, name="Outside east", wheelchair="yes", **_offset(east_m=1040))
    make_place(session, name="Outside north", wheelchair="yes", **_offset(north_m=300 + 1040))
    hidden = make_place(session, name="Hidden", wheelchair="yes", **_offset(east_m=100))
    hidden.hidden_at = datetime.now(UTC)
    # Each is decided before the next is sent: a second answer about a place while the first still waits
    # would update that one instead of adding another.
    decided = [
        (lambda: submit_status(session, volunteer, cafe.id, {"wheelchair": "limited"}), "approve"),
        (lambda: submit_still_correct(session, volunteer, cafe.id), "approve"),  # the same place: checked once
        (lambda: submit_still_correct(session, volunteer, library.id), "approve"),
        (lambda: submit_new_place(session, volunteer, {"name": "Kiosk", "category": "shopping", "wheelchair": "yes",
                                                       **_offset(north_m=-200)}), "approve"),
        (lambda: submit_status(session, volunteer, library.id, {"wheelchair": "no"}), ("unverifiable", "Photo please")),
        (lambda: submit_status(session, volunteer, library.id, {"toilets_wheelchair": "yes"}), ("wrong", None)),
        (lambda: submit_status(session, volunteer, cafe.id, {"description": "Ramp at the back"}),
         ("unverifiable", None)),
    ]
    for send, decision in decided:
        submission = send()
        if decision == "approve":
            moderation.approve(session, submission.id, moderator, over_conflict=True)
        else:
            moderation.reject(session, submission.id, moderator, *decision)
    submit_status(session, volunteer, library.id, {"wheelchair": "yes"})  # still pending


def _someone_else(session, moderator) -> None:
    """Another volunteer's work far away and nearby: none of it may count."""
    other = Submitter(user=make_user(session))
    far = make_place(session, name="Far away", lon=8.0, lat=47.0)
    moderation.approve(session, submit_status(session, other, far.id, {"wheelchair": "yes"}).id, moderator)
    new = submit_new_place(session, Submitter(device_hash=hash_device_token("other-" + "y" * 32)),
                           {"name": "Other kiosk", "category": "shopping", "wheelchair": "no", **_offset(east_m=50)})
    moderation.approve(session, new.id, moderator)


def _assert_page_matches_sql(html: str, expected: dict) -> None:
    shown = _page_figures(html)
    for key in ("added", "checked", "approved", "rejected", "known", "area"):
        assert shown[key] == expected[key], (key, shown, expected)
    assert shown["pct"] == round(100 * expected["known"] / expected["area"])
    for n in expected["reasons"].values():
        assert f"({n} time{'' if n == 1 else 's'})" in html
    assert "A moderator could not confirm it." in html and "The information was not correct." in html
    assert "Moderator's note: “Photo please”" in html


def test_me_figures_equal_sql_counts_for_an_anonymous_device(app, client, session):
    moderator = make_user(session, role="moderator")
    with app.app_context():
        _contribute(session, DEVICE, moderator)
        _someone_else(session, moderator)
    session.commit()
    expected = _sql(session, DEVICE)
    # The data really has each case: an added place, two checked, three places in the area known of five.
    assert (expected["added"], expected["checked"], expected["approved"], expected["rejected"]) == (1, 2, 4, 3)
    assert (expected["known"], expected["area"]) == (4, 6)  # Café, Inside east, Kiosk, Other kiosk; + 2 unknown
    assert expected["reasons"] == {"unverifiable": 2, "wrong": 1}
    client.set_cookie(COOKIE, TOKEN)
    html = client.get("/me").get_data(as_text=True)
    _assert_page_matches_sql(html, expected)
    assert "from this device without an account" in html


def test_me_figures_equal_sql_counts_for_an_account(app, client, session, auth):
    moderator = make_user(session, role="moderator")
    # What this browser sent anonymously before signing in is the device's, not the account's.
    with app.app_context():
        _contribute(session, DEVICE, moderator)
    client.set_cookie(COOKIE, TOKEN)
    user = auth.login_as("volunteer")
    volunteer = Submitter(user=user)
    with app.app_context():
        _contribute(session, volunteer, moderator)
        _someone_else(session, moderator)
    session.commit()
    expected = _sql(session, volunteer)
    assert (expected["added"], expected["checked"], expected["rejected"]) == (1, 2, 3)
    _assert_page_matches_sql(client.get("/me").get_data(as_text=True), expected)


def test_me_for_a_new_visitor_shows_the_way_to_check_and_sets_no_cookie(client):
    response = client.get("/me")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing sent yet" in html and 'href="/check"' in html
    assert "places known" not in html
    assert "Set-Cookie" not in response.headers or COOKIE not in response.headers["Set-Cookie"]


def _monday(weeks_ago: int, today: date) -> datetime:
    monday = today - timedelta(days=today.weekday(), weeks=weeks_ago)
    return datetime(monday.year, monday.month, monday.day, 10, tzinfo=UTC)


def _send_in_weeks(session, volunteer: Submitter, weeks_ago: list[int], today: date) -> None:
    """One answer for each week named, each about a place of its own (a repeat would update the first)."""
    for n in weeks_ago:
        submission = submit_status(session, volunteer, make_place(session).id, {"wheelchair": "yes"})
        session.execute(update(Submission).where(Submission.id == submission.id)
                        .values(created_at=_monday(n, today)))
    session.flush()


@pytest.mark.parametrize("weeks_ago, current, longest", [
    pytest.param([0, 0, 1, 2, 4, 5, 6, 7], 3, 4, id="this-week-run-after-a-gap"),
    pytest.param([1, 2, 5], 2, 2, id="last-week-still-counts"),
    pytest.param([2, 3, 4], 0, 3, id="broken-two-weeks-ago"),
    pytest.param([0], 1, 1, id="first-week"),
    pytest.param([52, 53, 54, 55, 56, 0], 1, 5, id="across-a-year"),
])
def test_weekly_streak_counts_consecutive_iso_weeks(session, weeks_ago, current, longest):
    today = date(2025, 1, 2)  # a Thursday in ISO week 1 of 2025, which began on Monday 30 December 2024
    volunteer = Submitter(device_hash=hash_device_token("streak-" + "z" * 32))
    _send_in_weeks(session, volunteer, weeks_ago, today)
    impact = volunteer_impact(session, volunteer, today=today)
    assert (impact.current_streak, impact.longest_streak) == (current, longest)


def test_weekly_streak_weeks_start_on_monday_utc(session):
    today = date(2025, 1, 8)  # Wednesday
    volunteer = Submitter(device_hash=hash_device_token("sunday-" + "z" * 32))
    for when in (datetime(2024, 12, 29, 23, 30, tzinfo=UTC),   # Sunday: ISO week 52 of 2024
                 datetime(2024, 12, 30, 0, 30, tzinfo=UTC)):   # Monday: ISO week 1 of 2025
        submission = submit_status(session, volunteer, make_place(session).id, {"wheelchair": "yes"})
        submission.created_at = when
    session.flush()
    impact = volunteer_impact(session, volunteer, today=today)
    assert (impact.current_streak, impact.longest_streak) == (2, 2)


def test_me_shows_the_streak_in_words(client, session):
    _send_in_weeks(session, DEVICE, [0, 1, 2, 6, 7, 8, 9], datetime.now(UTC).date())
    session.commit()
    client.set_cookie(COOKIE, TOKEN)
    html = client.get("/me").get_data(as_text=True)
    assert "<strong>3 weeks in a row</strong>" in html
    assert "Your longest streak: <strong>4 weeks</strong>" in html


def _grow(session, volunteer: Submitter, moderator, start: int, size: int) -> None:
    """More of everything /me counts: places in the area, added, checked, rejected, pending, older weeks."""
    for i in range(start, size):
        place = make_place(session, name=f"Near {i}", wheelchair="yes" if i % 2 else "unknown",
                           **_offset(east_m=37 * i, north_m=-23 * i))
        checked = submit_status(session, volunteer, place.id, {"wheelchair": "no"})
        moderation.approve(session, checked.id, moderator)
        added = submit_new_place(session, volunteer, {"name": f"New {i}", "category": "food", "wheelchair": "yes",
                                                      **_offset(east_m=-41 * i)})
        moderation.approve(session, added.id, moderator)
        refused = submit_status(session, volunteer, place.id, {"description": f"Step {i}"})
        moderation.reject(session, refused.id, moderator, ("wrong", "duplicate", "other")[i % 3], f"Note {i}")
        pending = submit_status(session, volunteer, place.id, {"toilets_wheelchair": "yes"})
        pending.created_at = _monday(i % 7, datetime.now(UTC).date())
    session.commit()


def test_me_statements_do_not_grow_with_the_submissions(app, client, session, count_queries):
    moderator = make_user(session, role="moderator")
    client.set_cookie(COOKIE, TOKEN)

    def measure() -> tuple[int, str]:
        client.get("/me")
        with count_queries() as counted:
            response = client.get("/me")
        assert response.status_code == 200 and "places known" in response.get_data(as_text=True)
        return counted.count, str(counted)

    with app.app_context():
        _grow(session, DEVICE, moderator, 0, 3)
    small, small_sql = measure()
    with app.app_context():
        _grow(session, DEVICE, moderator, 3, 30)
    large, large_sql = measure()
    assert _sql(session, DEVICE)["added"] == 30
    assert large == small, f"{small_sql}\n\n{large_sql}"
    # Counts, area, streak, reasons, latest rejections, and the menu's notice count.
    assert large <= 6, large_sql
