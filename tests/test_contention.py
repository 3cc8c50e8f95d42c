"""Many volunteers and a moderator writing to the same few places at once, over real HTTP (DESIGN.md 1–3, 5).

Twenty client threads send 15 status changes each to five places: trusted volunteers, whose
changes apply at once, and anonymous devices, whose changes wait for the moderator, who claims and decides
them in parallel. Before locks were taken in one order and reloaded, this answered 500s (stale versions
and deadlocks). Now: no 5xx, every 201 is stored exactly once (a repeat updates the row it names), and each
approval wrote at most one revision.
"""

import random
import re
import threading
import time
from collections import Counter

import pytest
import requests
from sqlalchemy import text

from tests.conftest import TEST_PASSWORD, csrf_token_from
from tests.factories import make_place, make_user

PLACES = 5
TRUSTED = 16
ANONYMOUS = 4
REQUESTS = 15      # per client
TIME_CAP = 120     # seconds: a safety bound on every loop, far above the few seconds the test takes
VALUES = ("yes", "limited", "no")


@pytest.fixture
def unthrottled(live_app):
    saved = dict(live_app.config)
    live_app.config.update(RATELIMIT_SUBMISSIONS="100000 per minute", RATELIMIT_SUBMISSIONS_ADDRESS="100000 per minute",
                           RATELIMIT_LOGIN_ACCOUNT="100000 per minute",
                           RATELIMIT_LOGIN_ADDRESS="100000 per minute")
    yield
    live_app.config.clear()
    live_app.config.update(saved)


def _trust(session, user_ids, place_id):
    """Give each user the record of a trusted volunteer: 25 approved submissions, none rejected."""
    session.execute(text("""
        INSERT INTO submissions (kind, state, origin, place_id, proposed, author_id, decided_at)
        SELECT 'status', 'approved', 'volunteer', :place, '{"wheelchair": "yes"}', u, now()
        FROM unnest(CAST(:users AS integer[])) AS u, generate_series(1, 25)"""),
                    {"place": place_id, "users": list(user_ids)})


def _signed_in(server, email):
    client = requests.Session()
    token = csrf_token_from(client.get(f"{server}/account/login").text)
    answer = client.post(f"{server}/account/login", data={"email": email, "password": TEST_PASSWORD,
                                                           "csrf_token": token}, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:300]
    return client


def _volunteer(server, client, place_ids, deadline, seed, out):
    rng = random.Random(seed)
    for _ in range(REQUESTS):
        if time.monotonic() > deadline:
            return
        place = rng.choice(place_ids)
        answer = client.post(f"{server}/api/places/{place}/status", json={"wheelchair": rng.choice(VALUES)})
        body = answer.json() if answer.headers.get("Content-Type", "").startswith("application/json") else None
        out.append((answer.status_code, body))


def _moderator(server, client, deadline, volunteers_done, out):
    """Claim and decide pending items until the volunteers are done."""
    token = csrf_token_from(client.get(f"{server}/moderate").text)
    while not volunteers_done.is_set():
        if time.monotonic() > deadline:
            return
        answer = client.post(f"{server}/moderate/next", data={"csrf_token": token}, allow_redirects=False)
        out.append((answer.status_code, None))
        match = re.search(r"/moderate/submissions/(\d+)$", answer.headers.get("Location", ""))
        if not match:
            time.sleep(0.05)  # the queue is empty for now
            continue
        decision = random.choice(("approve", "reject"))
        form = {"csrf_token": token, "over_conflict": "1"} if decision == "approve" else {
            "csrf_token": token, "reason": "wrong"}
        answer = client.post(f"{server}/moderate/submissions/{match.group(1)}/{decision}", data=form,
                             allow_redirects=False)
        out.append((answer.status_code, None))


def test_contention_no_5xx_and_every_answer_stored_once(live_server, live_db, unthrottled):
    places = [make_place(live_db) for _ in range(PLACES)]
    seed_place = make_place(live_db, name="Seed")
    volunteers = [make_user(live_db) for _ in range(TRUSTED)]
    moderator = make_user(live_db, role="moderator")
    live_db.flush()
    _trust(live_db, [v.id for v in volunteers], seed_place.id)
    live_db.commit()
    place_ids = [p.id for p in places]

    clients = [_signed_in(live_server, v.email) for v in volunteers] + [requests.Session() for _ in range(ANONYMOUS)]
    moderator_client = _signed_in(live_server, moderator.email)
    answers: list[list] = [[] for _ in clients]
    decisions: list = []
    deadline = time.monotonic() + TIME_CAP
    volunteers_done = threading.Event()
    threads = [threading.Thread(target=_volunteer, args=(live_server, c, place_ids, deadline, n, answers[n]))
               for n, c in enumerate(clients)]
    deciding = threading.Thread(target=_moderator, args=(live_server, moderator_client, deadline, volunteers_done,
                                                          decisions))
    for thread in threads + [deciding]:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIME_CAP)
    volunteers_done.set()
    deciding.join(timeout=TIME_CAP)
    assert not any(thread.is_alive() for thread in threads + [deciding])

    everything = [a for per_client in answers for a in per_client] + decisions
    statuses = Counter(status for status, _ in everything)
    assert not [s for s in statuses if s >= 500], statuses
    accepted = [body for per_client in answers for status, body in per_client if status == 201]
    assert len(accepted) == len(clients) * REQUESTS, statuses
    assert sum(1 for status, _ in decisions if status == 302) > 4, decisions  # the moderator decided meanwhile
    created = [body["id"] for body in accepted if not body["updated"]]
    assert len(set(created)) == len(created)
    # An anonymous device's repeat for a place whose answer still waited updated that one: a row stored before.
    assert {body["id"] for body in accepted if body["updated"]} <= set(created)

    rows = live_db.execute(text("""
        SELECT id, state, author_id IS NULL AS anonymous FROM submissions WHERE place_id = ANY(:places)"""),
                           {"places": place_ids}).all()
    # Every 201 is one stored row, and nothing else was stored: no row from an attempt that was retried.
    assert sorted(r.id for r in rows) == sorted(created)
    by_state = Counter(r.state for r in rows)
    assert by_state["approved"] >= TRUSTED * REQUESTS, by_state
    assert by_state["approved"] + by_state["rejected"] + by_state["pending"] == len(rows), by_state

    # One revision per approval, at most (an approval that changed nothing writes none), and none without one.
    revisions = live_db.execute(text("""
        SELECT r.submission_id, count(*) AS n, min(s.state) AS state FROM revisions r
        JOIN submissions s ON s.id = r.submission_id WHERE r.place_id = ANY(:places)
        GROUP BY r.submission_id"""), {"places": place_ids}).all()
    assert all(r.n == 1 for r in revisions), [r for r in revisions if r.n != 1][:5]
    assert all(r.state == "approved" for r in revisions)
    # Each place's history is one unbroken chain of versions, ending at its current version.
    chains = live_db.execute(text("""
        SELECT p.id, p.version, array_agg(r.version ORDER BY r.version) AS versions
        FROM places p JOIN revisions r ON r.place_id = p.id WHERE p.id = ANY(:places) GROUP BY p.id"""),
                             {"places": place_ids}).all()
    for chain in chains:
        assert chain.versions == list(range(1, chain.version + 1)), chain.id
