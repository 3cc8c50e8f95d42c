"""Operability: /healthz and /readyz, the request id on answers and in logs, JSON logs, and /metrics."""

import json
import logging
import os
import re
import signal
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from alembic import command
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from app import create_app
from app.dbadmin import drop_database, ensure_database
from app.observability import StderrHandler
from app.readiness import migration_heads
from app.schema import alembic_config
from app.services import moderation
from app.services.submissions import Submitter, submit_new_place, submit_status
from tests.conftest import make_test_config, throwaway_database_url
from tests.factories import make_place, make_user
from tests.servers import free_port, gunicorn, migrated_app, send_at_once

GENERATED_ID = re.compile(r"[0-9a-f]{32}")
STATIC = "/static/css/stepfree.css"


def _get(client, path: str, **kwargs):
    """GET and close: the body is read, the response's resources released."""
    with client.get(path, **kwargs) as response:
        response.get_data()
        return response


def _value(metrics_text: str, name: str, **labels) -> float:
    """One sample's value from Prometheus text, 0 when the series is absent."""
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def _scrape(client) -> str:
    response = _get(client, "/metrics")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


# --- /healthz and /readyz ---------------------------------------------------------------------------------

def test_healthz_answers_without_the_database():
    app = create_app(make_test_config(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"))
    response = _get(app.test_client(), "/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert app.extensions["stepfree_db"].engine.pool.checkedout() == 0


def test_readyz_answers_ok_at_the_migration_head(client):
    response = _get(client, "/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_answers_503_when_migrations_are_behind_head():
    url = throwaway_database_url("stepfree_behind")
    ensure_database(url)
    app = create_app(make_test_config(url, DATABASE_RETRY_AFTER=9))
    try:
        command.upgrade(alembic_config(url), "0002")
        response = _get(app.test_client(), "/readyz")
    finally:
        app.extensions["stepfree_db"].engine.dispose()
        drop_database(url)
    assert response.status_code == 503 and response.headers["Retry-After"] == "9"
    checks = response.json["checks"]
    assert response.json["status"] == "unavailable" and checks["database"] == "ok"
    assert checks["migrations"] == f"database at 0002, code expects {', '.join(sorted(migration_heads()))}"


@pytest.fixture(scope="module")
def cluster_app(temp_cluster):
    app = migrated_app(temp_cluster.server_url, DATABASE_RETRY_AFTER=7)
    yield app
    app.extensions["stepfree_db"].engine.dispose()


def test_readyz_answers_503_while_the_database_is_stopped(temp_cluster, cluster_app, caplog):
    client = cluster_app.test_client()
    assert _get(client, "/readyz").status_code == 200
    temp_cluster.stop()
    try:
        started = time.monotonic()
        response = _get(client, "/readyz", headers={"X-Request-ID": "probe-7"})
        elapsed = time.monotonic() - started
        metrics_text = _scrape(client)
    finally:
        temp_cluster.start()
    assert response.status_code == 503 and elapsed < 6
    assert response.json == {"status": "unavailable", "checks": {"database": "unreachable",
                                                                 "migrations": "not checked"}}
    assert response.headers["Retry-After"] == "7" and response.headers["X-Request-ID"] == "probe-7"
    # The warning about the failed check carries the probe's request id.
    assert any(r.request_id == "probe-7" and r.levelno == logging.WARNING for r in caplog.records)
    # Scrapes go on while the database is away, without its gauges.
    assert _value(metrics_text, "stepfree_database_up") == 0
    assert "stepfree_submissions{" not in metrics_text
    assert _get(client, "/readyz").status_code == 200


# --- request id -------------------------------------------------------------------------------------------

def test_request_id_is_generated_when_none_is_sent(client):
    first, second = _get(client, "/healthz"), _get(client, "/healthz")
    assert GENERATED_ID.fullmatch(first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_request_id_of_a_proxy_is_kept(client):
    response = _get(client, "/healthz", headers={"X-Request-ID": "lb-7f3a.2_B-9"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.2_B-9"


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", "a" * 200, "two words", "id\\n", "a/b", ""])
def test_request_id_is_replaced_when_malformed(client, hostile):
    response = _get(client, "/healthz", headers={"X-Request-ID": hostile})
    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/no-such-page", 404),
    ("GET", STATIC, 200),
    ("GET", "/api/places/99999999999", 404),  # refused before any view or before_request hook
    ("POST", "/healthz", 405),
    ("GET", "/api/places/search?q=", 400),
])
def test_request_id_is_on_every_answer(client, method, path, status):
    with client.open(path, method=method, headers={"X-Request-ID": "edge-1"}) as response:
        assert response.status_code == status
        assert response.headers["X-Request-ID"] == "edge-1"


# --- logs -------------------------------------------------------------------------------------------------

def test_request_id_is_in_the_log_records_of_its_request(client, caplog):
    caplog.set_level(logging.INFO)
    response = _get(client, "/api/places/search?q=private-search-term", headers={"X-Request-ID": "trace-42"})
    [summary] = [r for r in caplog.records if r.name == "app.requests"]
    assert summary.request_id == "trace-42"
    assert summary.getMessage().startswith(f"GET /api/places/search {response.status_code} ")
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "private-search-term" not in logged and "127.0.0.1" not in logged
    logging.getLogger("app.test").warning("outside any request")
    assert caplog.records[-1].request_id == "-"


@contextmanager
def _pytest_handlers_aside():
    """Let create_app install StepFree's stderr handler, as in production: pytest's step aside meanwhile."""
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = []
    try:
        yield
    finally:
        root.handlers = saved


def test_logs_are_json_lines_when_configured(database_url, capsys):
    with _pytest_handlers_aside():
        app = create_app(make_test_config(database_url, LOG_FORMAT="json"))
        try:
            assert [type(h) for h in logging.getLogger().handlers] == [StderrHandler]
            _get(app.test_client(), STATIC + "?email=someone@example.org", headers={"X-Request-ID": "json-1"})
            logging.getLogger("app").info("outside any request")
            with app.test_request_context(headers={"X-Request-ID": "json-2"}):
                try:
                    raise ZeroDivisionError("broken on purpose")
                except ZeroDivisionError:
                    logging.getLogger("app.test").exception("it failed")
            create_app(make_test_config(database_url, LOG_FORMAT="json"))  # a second app adds no second handler
            assert len(logging.getLogger().handlers) == 1
        finally:
            app.extensions["stepfree_db"].engine.dispose()
    lines = {entry["logger"]: entry for entry in map(json.loads, capsys.readouterr().err.splitlines())}
    summary, outside, failure = lines["app.requests"], lines["app"], lines["app.test"]
    assert summary["request_id"] == "json-1" and summary["level"] == "INFO"
    assert (summary["method"], summary["path"], summary["status"]) == ("GET", STATIC, 200)
    assert summary["message"].startswith(f"GET {STATIC} 200 ") and summary["duration_ms"] >= 0
    assert summary["time"].endswith("+00:00") and "someone@example.org" not in json.dumps(lines)
    assert outside["message"] == "outside any request" and outside["request_id"] == "-"
    assert failure["request_id"] == "json-2" and "ZeroDivisionError: broken on purpose" in failure["exception"]


@pytest.mark.parametrize(("setting", "value"), [
    ("LOG_LEVEL", "LOUD"), ("LOG_FORMAT", "xml"), ("METRICS_ALLOW_FROM", "10.0.0.0/33")])
def test_observability_settings_that_cannot_be_read_stop_the_start(database_url, setting, value):
    with pytest.raises(ValueError, match=setting):
        create_app(make_test_config(database_url, **{setting: value}))


# --- /metrics ---------------------------------------------------------------------------------------------

def test_metrics_count_requests_by_route_not_by_path(client, session):
    place = make_place(session)
    session.commit()
    route = {"route": "/api/places/<int:place_id>", "method": "GET"}
    before = _scrape(client)
    for _ in range(3):
        assert _get(client, f"/api/places/{place.id}").status_code == 200
    _get(client, "/no-such-page")
    _get(client, STATIC)
    after = _scrape(client)
    total = "stepfree_http_requests_total"
    assert _value(after, total, **route, status="200") - _value(before, total, **route, status="200") == 3
    for labels in ({"route": "<unmatched>", "method": "GET", "status": "404"},
                   {"route": "/static/<path:filename>", "method": "GET", "status": "200"}):
        assert _value(after, total, **labels) - _value(before, total, **labels) == 1
    histogram = "stepfree_http_request_duration_seconds"
    assert _value(after, f"{histogram}_count", **route) - _value(before, f"{histogram}_count", **route) == 3
    assert _value(after, f"{histogram}_bucket", **route, le="+Inf") == _value(after, f"{histogram}_count", **route)
    assert f"/api/places/{place.id}\"" not in after


def test_metrics_gauges_equal_the_counts_in_the_database(app, client, session):
    with app.app_context():
        volunteer, moderator = make_user(session), make_user(session, role="moderator")
        places = [make_place(session) for _ in range(3)]
        for place in places:
            submit_status(session, Submitter(user=volunteer), place.id, {"wheelchair": "yes"})
        submit_new_place(session, Submitter(user=volunteer), {
            "name": "New", "category": "food", "lon": 9.5, "lat": 47.1, "wheelchair": "yes"})
        # Another volunteer's: the first one's second answer about the place would update their pending one.
        decided = submit_status(session, Submitter(user=make_user(session)), places[0].id, {"wheelchair": "no"})
        moderation.reject(session, decided.id, moderator, "wrong")
        session.commit()
    pending = dict(session.execute(text("SELECT kind, count(*) FROM submissions WHERE state = 'pending' "
                                        "GROUP BY kind")).all())
    states = dict(session.execute(text("SELECT state, count(*) FROM submissions GROUP BY state")).all())
    assert pending["status"] >= 3 and states["rejected"] >= 1
    metrics_text = _scrape(client)
    for kind in ("status", "new_place", "correction", "report"):
        assert _value(metrics_text, "stepfree_moderation_queue_pending", kind=kind) == pending.get(kind, 0)
    for state in ("pending", "approved", "rejected", "superseded", "withdrawn"):
        assert _value(metrics_text, "stepfree_submissions", state=state) == states.get(state, 0)
    assert _value(metrics_text, "stepfree_database_up") == 1


def test_metrics_are_prometheus_text(client):
    response = _get(client, "/metrics")
    assert response.mimetype == "text/plain" and "version=0.0.4" in response.headers["Content-Type"]
    assert "# TYPE stepfree_http_request_duration_seconds histogram" in response.get_data(as_text=True)


@pytest.mark.parametrize("address", ["203.0.113.5", "10.1.2.3", "::ffff:198.51.100.1"])
def test_metrics_refuse_addresses_outside_the_allowed_networks(client, address):
    response = _get(client, "/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert "stepfree_" not in response.get_data(as_text=True)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_metrics_are_served_to_loopback(client, address):
    assert _get(client, "/metrics", environ_base={"REMOTE_ADDR": address}).status_code == 200


def test_metrics_allow_the_configured_networks(database_url):
    app = create_app(make_test_config(database_url, METRICS_ALLOW_FROM="203.0.113.0/24, 2001:db8::/32"))
    client = app.test_client()
    try:
        assert _get(client, "/metrics", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 200
        assert _get(client, "/metrics", environ_base={"REMOTE_ADDR": "2001:db8::1"}).status_code == 200
        assert _get(client, "/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 403
    finally:
        app.extensions["stepfree_db"].engine.dispose()


def test_metrics_sum_the_requests_of_all_gunicorn_workers(database_url, tmp_path, monkeypatch):
    access_log = tmp_path / "access.log"
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    # A gthread worker accepts while it has room: two connections at most each, so both workers take some.
    env = {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key", "WEB_CONCURRENCY": "2",
           "GUNICORN_THREADS": "1", "GUNICORN_WORKER_CONNECTIONS": "2", "RATELIMIT_STORAGE_URI": "memory://"}
    with gunicorn(env, "-c", "python:app.gunicorn_conf", "--access-logfile", str(access_log),
                  "--access-logformat", "%(p)s %(s)s %(U)s") as (base, process):
        [metrics_dir] = Path(tempfile.gettempdir()).glob(f"stepfree-metrics-{process.pid}-*")
        sent = 0
        for _ in range(20):  # until both workers have booted and taken some (bounded: a busy machine boots slowly)
            assert send_at_once(40, "GET", base + STATIC) == [200] * 40
            sent += 40
            first_workers = _pids_in_access_log(access_log, STATIC, sent)
            if len(first_workers) == 2:
                break
            time.sleep(0.25)
        first_sent = sent
        first_scrapes = [requests.get(base + "/metrics", timeout=30).text for _ in range(4)]
        # A worker that dies keeps its counts in the sum, and the one gunicorn starts instead adds its own.
        os.kill(int(min(first_workers).strip("<>")), signal.SIGKILL)
        for _ in range(40):  # until the replacement has booted and taken some (bounded: about 10 s)
            assert send_at_once(10, "GET", base + STATIC) == [200] * 10
            sent += 10
            all_workers = _pids_in_access_log(access_log, STATIC, sent)
            if all_workers - first_workers:
                break
            time.sleep(0.25)
        later_scrapes = [requests.get(base + "/metrics", timeout=30).text for _ in range(4)]
    assert len(first_workers) == 2, "one worker took every request: the test did not exercise two workers"
    assert all_workers - first_workers, "the replacement worker served none of the later requests"
    labels = {"route": "/static/<path:filename>", "method": "GET"}
    for scrapes, expected in ((first_scrapes, first_sent), (later_scrapes, sent)):
        for scrape in scrapes:  # whichever worker answered, it reports all workers' requests
            assert _value(scrape, "stepfree_http_requests_total", **labels, status="200") == expected
            assert _value(scrape, "stepfree_http_request_duration_seconds_count", **labels) == expected
            # The database gauges are read once per scrape, not once per worker.
            assert len(re.findall(r'^stepfree_submissions\{state="pending"\}', scrape, re.MULTILINE)) == 1
    assert not metrics_dir.exists(), "the private metrics directory outlived gunicorn"


def _pids_in_access_log(log: Path, path: str, expected: int) -> set[str]:
    # gunicorn writes the access line just after the answer: wait (briefly) for the last ones.
    deadline = time.monotonic() + 10
    while True:
        lines = [line.split() for line in log.read_text().splitlines()]
        served = [pid for pid, status, logged_path in lines if logged_path == path and status == "200"]
        if len(served) >= expected or time.monotonic() > deadline:
            return set(served)
        time.sleep(0.1)
