"""With RATELIMIT_STORAGE_URI set to Redis, submission limits are counted in Redis (shared by all workers)."""

import json
import os

import pytest
import redis

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
