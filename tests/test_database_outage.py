"""While PostgreSQL is down the app answers 503 with Retry-After; when it is back, the app recovers by itself.

The app runs against a PostgreSQL server of its own (tests/pgcluster.py), which the test stops and starts
under it; nothing is restarted on the app's side.
"""

import threading

import pytest
import requests

from tests.servers import migrated_app, serving


@pytest.fixture(scope="module")
def served(temp_cluster):
    with serving(migrated_app(temp_cluster.server_url, DATABASE_RETRY_AFTER=7)) as url:
        yield url


BOX = "/api/places?bbox=9.50,47.13,9.53,47.15"


def _warm(base: str) -> None:
    """Fill the pool with connections that the restart will kill."""
    threads = [threading.Thread(target=lambda: requests.get(base + BOX, timeout=10)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_database_outage_answers_503_then_recovers_without_a_restart(temp_cluster, served):
    assert requests.get(served + BOX, timeout=10).status_code == 200
    _warm(served)
    temp_cluster.stop()
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
        temp_cluster.start()
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
