"""While PostgreSQL is down the app answers 503 with Retry-After; when it is back, the app recovers by itself.

The app runs against a PostgreSQL server of its own (tests/pgcluster.py), which the test stops and starts
under it; nothing is restarted on the app's side.
"""

import threading

import pytest
import requests
from alembic import command
from werkzeug.serving import make_server

from app import create_app
from app.dbadmin import ensure_database
from app.schema import alembic_config
from tests.conftest import make_test_config
from tests.pgcluster import TempCluster


@pytest.fixture(scope="module")
def cluster():
    cluster = TempCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture(scope="module")
def served(cluster):
    url = f"{cluster.server_url}/stepfree"
    ensure_database(url)
    command.upgrade(alembic_config(url), "head")
    app = create_app(make_test_config(url, DATABASE_RETRY_AFTER=7))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["stepfree_db"].engine.dispose()


BOX = "/api/places?bbox=9.50,47.13,9.53,47.15"


def _warm(base: str) -> None:
    """Fill the pool with connections that the restart will kill."""
    threads = [threading.Thread(target=lambda: requests.get(base + BOX, timeout=10)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_database_outage_answers_503_then_recovers_without_a_restart(cluster, served):
    assert requests.get(served + BOX, timeout=10).status_code == 200
    _warm(served)
    cluster.stop()
    try:
        api = requests.get(served + BOX, timeout=30)
        assert api.status_code == 503
        assert api.headers["Retry-After"] == "7"
        assert api.json()["error"]["code"] == "unavailable"
        posted = requests.post(served + "/api/places", timeout=30, json={
            "name": "Café", "category": "food", "wheelchair": "yes", "lon": 9.52, "lat": 47.14})
        assert posted.status_code == 503 and posted.json()["error"]["code"] == "unavailable"
        page = requests.get(served + "/places/1", timeout=30, headers={"Accept": "text/html"})
        assert page.status_code == 503 and "Temporarily unavailable" in page.text
        assert page.headers["Retry-After"] == "7"
    finally:
        cluster.start()
    # Every pooled connection died with the server; none of them may reach a request now.
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(requests.get(served + BOX, timeout=10).status_code))
               for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 12
    created = requests.post(served + "/api/places", timeout=10, json={
        "name": "Café", "category": "food", "wheelchair": "yes", "lon": 9.52, "lat": 47.14})
    assert created.status_code == 201, created.text
