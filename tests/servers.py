"""Real servers for the tests that need one: the app in a thread, gunicorn in a process, a PostgreSQL of its own.

All of them listen on loopback only, on free ports, and every wait is bounded.
"""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from alembic import command
from werkzeug.serving import make_server

from app import create_app
from app.dbadmin import ensure_database
from app.schema import alembic_config

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def in_thread(server) -> Iterator[str]:
    """Run a socketserver-style server (serve_forever, shutdown) in a thread; yield its loopback base URL."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serving(app) -> Iterator[str]:
    """The app served by Werkzeug's threaded server in this process; yields its base URL."""
    try:
        with in_thread(make_server("127.0.0.1", 0, app, threaded=True)) as url:
            yield url
    finally:
        app.extensions["stepfree_db"].engine.dispose()


@contextmanager
def gunicorn(env: dict[str, str], *args: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """gunicorn serving the app in processes of its own, on a free port; yields its base URL and process."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--bind", f"127.0.0.1:{port}", *args, "app:create_app()"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz", process)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=60)


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError("the server did not answer in time")


def send_at_once(count: int, method: str, url: str, **kwargs) -> list[int]:
    """Send `count` requests released at the same moment (so that several workers take some); their statuses."""
    barrier, statuses = threading.Barrier(count), []

    def send():
        barrier.wait(timeout=30)
        statuses.append(requests.request(method, url, timeout=30, **kwargs).status_code)

    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def migrated_app(server_url: str, **config):
    """An app on a new database `stepfree` of the given server, migrated to head."""
    from tests.conftest import make_test_config
    url = f"{server_url}/stepfree"
    ensure_database(url)
    command.upgrade(alembic_config(url), "head")
    return create_app(make_test_config(url, **config))
