"""The pages that list many things run as many SQL statements for 30 rows as for 3 (no N+1 queries).

Each test measures a page on a small world, grows the world tenfold (more queue rows, authors, neighbours,
revisions, pending submissions on the same place and by the same author) and measures again: the count
must not move, and stays under the ceiling written here (today's count; lower it when a page gets leaner).
"""

from dataclasses import dataclass, field

import pytest

from app.device import COOKIE
from app.models import Place, Submission, User
from app.services import accounts
from app.services.submissions import Submitter, hash_device_token, submit_status
from tests.factories import make_place, make_user

SMALL, LARGE = 3, 30
DEVICE_TOKEN = "query-counts-device-token-0123456789abcdef"
STREET = "9.519,47.139,9.524,47.141"
CITY = "9.45,47.10,9.60,47.18"
REGION = "9.0,46.8,10.3,47.6"
STATUSES = ("yes", "limited", "no")


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch):
    # The large world has some 60 accounts: with scrypt, hashing their passwords would take most of the test.
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", "pbkdf2:sha256:1")


@dataclass
class World:
    """The reviewed submission (author 0 on place 0) and everything around it that grows with `size`."""

    place: Place
    author: User
    reviewed: Submission
    size: int = 1
    visitor: Submitter = field(default_factory=lambda: Submitter(device_hash=hash_device_token(DEVICE_TOKEN)))


def _world(session) -> World:
    place = make_place(session, name="Place 0", lon=9.52, lat=47.14)
    author = make_user(session)
    reviewed = submit_status(session, Submitter(user=author), place.id, {"wheelchair": "yes"})
    session.commit()
    return World(place, author, reviewed)


def grow(session, world: World, size: int) -> None:
    """Add neighbours, authors, queue rows and history until the world has `size` of each."""
    for i in range(world.size, size):
        status = {"wheelchair": STATUSES[i % 3]}
        # A neighbour within 50 m with a history of its own, and a new author with pending work on it.
        neighbour = make_place(session, name=f"Place {i}", lon=9.52 + i * 1e-5, lat=47.14)
        author = make_user(session)
        submit_status(session, Submitter(user=author), neighbour.id, status)
        # More pending work on the reviewed place (another author and an anonymous device) and by its author.
        submit_status(session, Submitter(user=author), world.place.id, {"toilets_wheelchair": "yes"})
        submit_status(session, Submitter(device_hash=hash_device_token(f"device-{i}-" + "x" * 32)),
                      world.place.id, {"description": f"Ramp {i}"})
        submit_status(session, Submitter(user=world.author), neighbour.id, {"toilets_wheelchair": "no"})
        # The visitor's own pending submissions, shown in the place's detail.
        submit_status(session, world.visitor, world.place.id, status)
        # History: a moderator's change is applied at once, as a revision of the place.
        moderator = make_user(session, role="moderator")
        submit_status(session, Submitter(user=moderator), world.place.id, {"description": f"Step {i}"})
        submit_status(session, Submitter(user=moderator), neighbour.id, status)
    world.size = size
    session.commit()


def _measure(client, count_queries, path: str) -> tuple[int, str]:
    client.get(path)  # once first, so one-off work (a first connection, caches) is not counted
    with count_queries() as counted:
        response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return counted.count, str(counted)


def _small_and_large(app, session, client, count_queries, path_for) -> tuple[tuple[int, str], tuple[int, str]]:
    # The app context only around the data: a request inside it would share its `g`, and with it one
    # database session and its identity map, with the requests before it, hiding their repeated lookups.
    with app.app_context():
        world = _world(session)
        grow(session, world, SMALL)
    small = _measure(client, count_queries, path_for(world))
    with app.app_context():
        grow(session, world, LARGE)
    large = _measure(client, count_queries, path_for(world))
    return small, large


def _assert_flat(small, large, ceiling: int) -> None:
    (small_count, small_sql), (large_count, large_sql) = small, large
    assert large_count == small_count, (
        f"the statements grow with the data: {SMALL} rows → {small_sql}\n\n{LARGE} rows → {large_sql}")
    assert large_count <= ceiling, large_sql


# The ceilings are today's counts. A street or region view is one statement (a city-sized view adds a grid
# check); a place's detail sets the time zone to UTC, reads the place, the visitor's own pending submissions and
# the place's shown photos.
@pytest.mark.parametrize("path_for, ceiling", [
    pytest.param(lambda world: f"/api/places?bbox={STREET}", 1, id="street-view"),
    pytest.param(lambda world: f"/api/places?bbox={CITY}", 2, id="city-view"),
    pytest.param(lambda world: f"/api/places?bbox={REGION}", 1, id="clustered-view"),
    pytest.param(lambda world: f"/api/places/{world.place.id}", 4, id="place-detail"),
])
def test_map_api_statements_do_not_grow_with_the_data(app, session, client, count_queries, path_for, ceiling):
    client.set_cookie(COOKIE, DEVICE_TOKEN)
    small, large = _small_and_large(app, session, client, count_queries, path_for)
    _assert_flat(small, large, ceiling)


def test_moderation_queue_statements_do_not_grow_with_the_data(app, session, client, auth, count_queries):
    auth.login_as("moderator")
    small, large = _small_and_large(app, session, client, count_queries, lambda world: "/moderate")
    # The moderator, the rows, their trust, the counts; +1 for the menu's unread notices (app/blueprints/me.py).
    _assert_flat(small, large, ceiling=5)


def test_review_screen_statements_do_not_grow_with_the_data(app, session, client, auth, count_queries):
    auth.login_as("moderator")
    small, large = _small_and_large(app, session, client, count_queries,
                                    lambda world: f"/moderate/submissions/{world.reviewed.id}")
    # The moderator, the submission, its place, the author's record and account, the other pending ones for
    # the place, the neighbours, the author's pending ones, the place's history; +1 for the menu's unread notices.
    _assert_flat(small, large, ceiling=10)
