"""Freshness in words: "checked 3 years ago" from app/timefmt.py, and the place page that says it."""

from datetime import UTC, datetime, timedelta

import pytest

from app.timefmt import ago
from tests.factories import make_place

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("before, words", [
    (timedelta(seconds=0), "just now"),
    (timedelta(seconds=59), "just now"),
    (timedelta(seconds=-30), "just now"),  # another clock a little ahead
    (timedelta(minutes=1), "1 minute ago"),
    (timedelta(minutes=59), "59 minutes ago"),
    (timedelta(hours=2), "2 hours ago"),
    (timedelta(days=1), "1 day ago"),
    (timedelta(days=6, hours=23), "6 days ago"),
    (timedelta(days=13), "1 week ago"),
    (timedelta(days=45), "1 month ago"),
    (timedelta(days=364), "12 months ago"),
    (timedelta(days=365), "1 year ago"),
    (timedelta(days=3 * 365 + 200), "3 years ago"),  # the largest whole unit, as people say it
])
def test_ago_says_the_largest_whole_unit(before, words):
    assert ago(NOW - before, NOW) == words


def test_ago_defaults_to_the_current_time():
    assert ago(datetime.now(UTC) - timedelta(days=800)) == "2 years ago"


def test_place_page_says_when_it_was_last_checked(client, session):
    checked = make_place(session, wheelchair="yes")
    checked.last_verified_at = datetime.now(UTC) - timedelta(days=3 * 365 + 10)
    never = make_place(session, wheelchair="unknown")
    session.commit()

    html = client.get(f"/places/{checked.id}").get_data(as_text=True)
    day = checked.last_verified_at.strftime("%Y-%m-%d")
    assert (f'Checked 3 years ago, on <time datetime="{checked.last_verified_at.isoformat()}">{day}</time>'
            in html)
    assert "Never checked" not in html
    assert "Never checked by a volunteer" in client.get(f"/places/{never.id}").get_data(as_text=True)
