"""Production gunicorn settings: `gunicorn -c python:app.gunicorn_conf "app:create_app()"`.

Worker model: gthread, one process per core, 16 threads each. A sync worker serves one request at a time
and closes every connection, so a download holds a whole worker: on two cores, three export downloads left
two sync workers no time for the map at all (benchmarks/load_bench.py: 0 answers, every client timed out).
A gthread worker keeps idle keep-alive connections in its poller, not in a thread, and a streamed export
holds one of its threads while the others go on answering the map. One process per core because a map
answer spends about half its time in Python (the GIL) and half waiting for PostgreSQL (GIL released).
16 threads: on a quiet machine 4 to 32 threads give the same req/s (the two cores are the limit), but
when other work shares the cores, fewer threads leave them idle between round trips (measured 73, 88 and
98 req/s with 4, 8 and 16), and a few slow downloads per worker still leave most threads to the map.
gevent would need psycopg's waiting and SQLAlchemy's pool made cooperative; gthread needs nothing.

Each worker's SQLAlchemy pool is sized to its threads (DATABASE_POOL_SIZE, read by create_app in each
worker), so a thread never waits for a connection and PostgreSQL sees workers × threads of them (32 on
two cores: mind max_connections, or put PgBouncer in front, when adding cores). Every setting below can
be overridden from the environment.
"""

import os
import shutil
import tempfile
from pathlib import Path


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw.strip() else default
    except ValueError:
        raise SystemExit(f"environment variable {name}={raw!r} is not a whole number") from None


def _cores() -> int:
    # The cores this process may run on (a container's CPU set), not every core of the host.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:5000")
worker_class = "gthread"
# WEB_CONCURRENCY is the name gunicorn itself (and most hosts) use for the number of workers.
workers = _int_env("WEB_CONCURRENCY", _cores())
threads = _int_env("GUNICORN_THREADS", 16)
# The pool of each worker matches its threads; an explicit DATABASE_POOL_SIZE still wins.
os.environ.setdefault("DATABASE_POOL_SIZE", str(threads))

# Connections a worker keeps open at once, busy or idle keep-alive; past this it stops accepting and the
# kernel's backlog holds new ones.
worker_connections = _int_env("GUNICORN_WORKER_CONNECTIONS", 1000)
backlog = _int_env("GUNICORN_BACKLOG", 2048)
# Seconds an idle keep-alive connection stays open for the next request of the same phone (or proxy).
keepalive = _int_env("GUNICORN_KEEPALIVE", 5)
# gthread's heartbeat comes from the worker's main loop, not from a request, so a long streamed export
# never trips it; it only catches a worker that hangs as a whole.
timeout = _int_env("GUNICORN_TIMEOUT", 60)
# On a restart or deploy, in-flight downloads get this long to finish before their worker is stopped.
graceful_timeout = _int_env("GUNICORN_GRACEFUL_TIMEOUT", 120)

# Off: each worker builds its own app, and so its own connection pool, after the fork.
preload_app = False

accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# gunicorn 27 opens a control socket at one path per user (~/.gunicorn/gunicorn.ctl), which a second
# StepFree (or the benchmarks' gunicorn) on the same account would fight over; StepFree does not use it.
control_socket_disable = True

# Prometheus (app/metrics.py): each worker keeps its counters in files in PROMETHEUS_MULTIPROC_DIR and /metrics
# sums them all, whichever worker answers. The directory must start empty, or an earlier run's counts would be
# added in: a given one is emptied at start; without one, a new private (0700) directory is made for this run
# and removed at exit. The master sets the variable before forking, so every worker, respawned ones included,
# writes there (app/__init__.py imports prometheus_client only inside create_app, in the workers).
_metrics_dir_created = False


def on_starting(server):
    global _metrics_dir_created
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=f"stepfree-metrics-{os.getpid()}-")
        _metrics_dir_created = True


def child_exit(server, worker):
    # A dead worker's counters stay in the sum (counters only grow); this drops what must not, its live gauges.
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    # After a USR2 upgrade the new master (server.reexec_pid) goes on writing there: leave it to that one.
    if _metrics_dir_created and not server.reexec_pid:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
