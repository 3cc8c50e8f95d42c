"""With RATELIMIT_STORAGE_URI set to Redis, submission limits are counted in Redis (shared by all workers)."""

import json
import os
import re
import time

import pytest
import redis

from app import create_app
from app.extensions import limiter
from tests.conftest import make_test_config
from tests.factories import make_place
from tests.servers import gunicorn, send_at_once

REDIS_URL = os.environ.get("STEPFREE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}; start it or set STEPFREE_TEST_REDIS_URL")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_submission_limits_are_kept_in_redis(database_url, connection, session, redis_client):
    app = create_app(make_test_config(database_url, RATELIMIT_STORAGE_URI=REDIS_URL,
                                 RATELIMIT_SUBMISSIONS="2 per minute", RATELIMIT_SUBMISSIONS_ADDRESS="2 per minute"))
    app.extensions["stepfree_db"].bind_to(connection, join_transaction_mode="create_savepoint")
    place = make_place(session)
    session.commit()
    client = app.test_client()
    try:
        statuses = [client.post(f"/api/places/{place.id}/status", data=json.dumps({"wheelchair": "yes"}),
                                content_type="application/json").status_code for _ in range(3)]
        assert statuses == [201, 201, 429]
        assert redis_client.keys("*submissions-author*"), "no per-author counter was written to Redis"
        assert redis_client.keys("*submissions-ip*"), "no per-IP counter was written to Redis"
    finally:
        with app.app_context():
            limiter.reset()
        app.extensions["stepfree_db"].engine.dispose()


def _until_both_workers_answer(base: str, log, seconds: float = 30) -> None:
    """The server is up when one worker answers; the other may still be starting. Wait (bounded) until both
    have answered, so the burst below meets two workers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        send_at_once(8, "GET", f"{base}/healthz")
        if len({line.split()[0] for line in log.read_text().splitlines() if line.endswith(" 200")}) == 2:
            return
        time.sleep(0.2)


def test_submission_limit_holds_across_two_gunicorn_workers(database_url, live_db, redis_client, tmp_path):
    """Each worker counting on its own let 20 through a limit of 10; the shared store holds it at 10."""
    place = make_place(live_db)
    live_db.commit()
    log = tmp_path / "access.log"
    env = {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key", "RATELIMIT_STORAGE_URI": REDIS_URL,
           "RATELIMIT_SUBMISSIONS": "10 per minute", "RATELIMIT_SUBMISSIONS_ADDRESS": "10 per minute"}
    logging = ("--access-logfile", str(log), "--access-logformat", "%(p)s %(s)s")
    with gunicorn(env, "--workers", "2", *logging) as (base, _):
        _until_both_workers_answer(base, log)
        statuses = send_at_once(20, "POST", f"{base}/api/places/{place.id}/status", json={"wheelchair": "yes"})
    assert sorted(statuses) == [201] * 10 + [429] * 10
    served_by = {line.split()[0] for line in log.read_text().splitlines() if re.search(r" (201|429)$", line)}
    assert len(served_by) == 2, "one worker took every request: the test did not exercise two workers"
