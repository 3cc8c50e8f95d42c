"""With RATELIMIT_STORAGE_URI set to Redis, submission limits are counted in Redis (shared by all workers)."""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
import requests

from app import create_app
from app.extensions import limiter
from tests.conftest import make_test_config
from tests.factories import make_place

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
                                 RATELIMIT_SUBMISSIONS="2 per minute"))
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, process, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited"
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not answer in time")


def test_submission_limit_holds_across_two_gunicorn_workers(database_url, live_db, redis_client, tmp_path):
    """Each worker counting on its own let 20 through a limit of 10; the shared store holds it at 10."""
    place = make_place(live_db)
    live_db.commit()
    port = _free_port()
    log = tmp_path / "access.log"
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key",
           "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_SUBMISSIONS": "10 per minute"}
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", str(log), "--access-logformat", "%(p)s %(s)s", "app:create_app()"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base + "/healthz", process)
        statuses, barrier = [], threading.Barrier(20)

        def send():
            barrier.wait()  # all at once, so that both workers take some of them
            statuses.append(requests.post(f"{base}/api/places/{place.id}/status", json={"wheelchair": "yes"},
                                          timeout=30).status_code)

        threads = [threading.Thread(target=send) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert sorted(statuses) == [201] * 10 + [429] * 10
    served_by = {line.split()[0] for line in log.read_text().splitlines() if re.search(r" (201|429)$", line)}
    assert len(served_by) == 2, "one worker took every request: the test did not exercise two workers"
