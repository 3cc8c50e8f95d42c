"""Load-test /api/places over real HTTP against gunicorn, next to the same SQL on a pool of psycopg connections.

    python -m benchmarks.load_bench                          # 1,000,000 places, 50 and 200 clients, 30 s each
    python -m benchmarks.load_bench --seconds 5 --repeat 3   # shorter runs, each scenario three times
    python -m benchmarks.load_bench --threads 4              # try another thread count (or --workers, --gunicorn-arg)

It starts gunicorn on a free loopback port with the production settings (app/gunicorn_conf.py) and, for each
client count, runs for a 2 s warm-up and then --seconds:
  SQL:  the statements /api/places runs for each view (app.queries.map's SQL texts, through the same
        decisions as view_features: benchmarks.map_api_bench.direct), as `clients` closed-loop clients whose
        requests wait in one first-come-first-served queue for as many psycopg connections (autocommit, as
        the app reads) as the app's workers have threads;
  app:  `clients` closed-loop HTTP/1.1 keep-alive clients on asyncio sockets, each sending its next
        GET /api/places?bbox=... (the map's request: a phone's city view padded by 25 %, five decimals) when
        the previous answer has fully arrived;
and, at the first client count, the app again while a few /export/places.geojson downloads (curl, at a
user's speed by default) run the whole time: the map's req/s and p95 with and without them.
A request that does not answer 200 with its whole body, times out (--timeout) or loses its connection is
an error. It prints req/s, p50/p95/p99 and errors per scenario (medians and min–max over --repeat), the CPU
each side used, the ratios app/SQL at the first client count and app at the last / at the first, and
whether the goals are met. Before the load it compares a few answers' feature counts with the SQL's.
Progress goes to stderr.
"""

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import queue
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from benchmarks.map_api_bench import PHONE_ASPECT, direct, percentile
from benchmarks.synthetic import CITIES, DEFAULT_PLACES, ensure_synthetic_database
from geo.bbox import BBox

log = logging.getLogger("load_bench")

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
VIEW_WIDTHS = (0.02, 0.05)       # degrees of longitude a phone shows at city zoom (zoom 13–14)
VIEWPORTS = 4000
REQUEST_TIMEOUT = 10.0           # seconds; a slower answer counts as an error
WARMUP_SECONDS = 2.0             # run before each measured period and not counted
MAX_RESPONSE_BYTES = 64 << 20
GOAL_APP_VS_SQL = 0.5
GOAL_SCALING = 0.9
CPU_GROUPS = ("app", "db", "gen", "other")


# ---------------------------------------------------------------------------------------------- viewports

def city_views(count: int, seed: int) -> list[BBox]:
    """The boxes the map asks for at city zoom: a phone view near a city centre, padded by 25 % per side."""
    rng = random.Random(seed)
    boxes = []
    for _ in range(count):
        _, lon, lat, spread = rng.choice(CITIES)
        width = rng.uniform(*VIEW_WIDTHS)
        cx, cy = rng.gauss(lon, spread), rng.gauss(lat, spread * 0.7)
        height = width * PHONE_ASPECT * math.cos(math.radians(cy))
        # Leaflet's bounds.pad(0.25) adds a quarter of the size on every side, and the map sends 5 decimals.
        w, h = width * 1.5, height * 1.5
        boxes.append(BBox(*(round(v, 5) for v in (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))))
    return boxes


def api_path(box: BBox) -> str:
    return "/api/places?bbox=" + ",".join(f"{v:.5f}" for v in box.as_tuple())


# ---------------------------------------------------------------------------------------------- results

@dataclass
class Result:
    scenario: str
    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict = field(default_factory=dict)
    note: str = ""
    cpu: dict = field(default_factory=dict)      # cores used in the window: app, db, gen (this process), other

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def pct(self, q: float) -> float:
        return percentile(self.latencies_ms, q) if self.latencies_ms else float("nan")


class Window:
    """The measured period: after a warm-up, for `seconds`; requests are counted when they finish inside it."""

    def __init__(self, warmup: float, seconds: float):
        self.start = time.perf_counter() + warmup
        self.end = self.start + seconds

    def counts(self, finished: float) -> bool:
        return self.start <= finished <= self.end


# ---------------------------------------------------------------------------------------------- CPU

_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process (all its threads); None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        with contextlib.suppress(OSError):
            todo += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
    return pids


def _busy_seconds() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / _TICKS   # all but idle and iowait


class CpuMeter:
    """Cores used during the measured window by the app (gunicorn), the database, this process, and the rest.

    The database column counts the server processes serving the benchmark database (other databases on the
    same server, a test suite's say, count as the rest); only when the server runs on this machine and /proc
    shows it. Processes that start or exit inside the window are not counted.
    """

    def __init__(self, app_pid: int | None, dsn: str):
        self.groups = {"app": lambda: _tree(app_pid) if app_pid else [],
                       "db": lambda: _backends(dsn),
                       "gen": lambda: [os.getpid()]}
        self.used: dict[str, float] = {}
        self.cancelled = threading.Event()

    def _sample(self) -> dict[str, dict[int, float]]:
        samples = {name: {pid: _cpu_seconds(pid) for pid in pids()} for name, pids in self.groups.items()}
        return {name: {pid: cpu for pid, cpu in group.items() if cpu is not None} for name, group in samples.items()}

    def watch(self, window: "Window") -> threading.Thread:
        def measure():
            if self.cancelled.wait(max(0.0, window.start - time.perf_counter())):
                return
            before, busy_before, started = self._sample(), _busy_seconds(), time.perf_counter()
            if self.cancelled.wait(max(0.0, window.end - time.perf_counter())):
                return
            after, busy_after = self._sample(), _busy_seconds()
            elapsed = time.perf_counter() - started
            for name in self.groups:
                # Only processes alive at both ends: a new one's earlier CPU would otherwise count.
                alive = [pid for pid in after[name] if pid in before[name]]
                self.used[name] = sum(after[name][pid] - before[name][pid] for pid in alive) / elapsed
            # Clamped: the samples are not taken at one instant and count in clock ticks.
            self.used["other"] = max(0.0, (busy_after - busy_before) / elapsed - sum(self.used.values()))
            if not after["db"]:       # a remote server: its CPU is not seen here
                self.used["db"] = float("nan")
        thread = threading.Thread(target=measure, daemon=True)
        thread.start()
        return thread


def _backends(dsn: str) -> list[int]:
    """The server processes connected to the benchmark database, if they run on this machine."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
    return [pid for pid in pids if Path(f"/proc/{pid}/stat").exists()]


# ---------------------------------------------------------------------------------------------- HTTP load

class _Exchange(asyncio.Protocol):
    """One keep-alive connection; reads an answer's head, then only counts its body's bytes (cheap)."""

    def __init__(self):
        self.transport = None
        self.waiter: asyncio.Future | None = None
        self.head = bytearray()
        self.remaining: int | None = None
        self.status = 0
        self.keep_alive = True
        self.lost = False

    def connection_made(self, transport):
        self.transport = transport

    def send(self, request: bytes) -> asyncio.Future:
        self.head.clear()
        self.remaining = None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiter

    def data_received(self, data: bytes):
        if self.waiter is None or self.waiter.done():
            self._fail(ConnectionError("data outside an answer"))
            return
        if self.remaining is None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                if len(self.head) > 65536:
                    self._fail(ConnectionError("answer head too long"))
                return
            length = self._parse_head(bytes(self.head[:end]))
            if length is None:
                self._fail(ConnectionError("answer without Content-Length"))
                return
            self.remaining = length - (len(self.head) - end - 4)
        else:
            self.remaining -= len(data)
        if self.remaining == 0:
            self.waiter.set_result(self.status)
        elif self.remaining < 0:
            self._fail(ConnectionError("answer longer than its Content-Length"))

    def _parse_head(self, head: bytes) -> int | None:
        lines = head.split(b"\r\n")
        self.status = int(lines[0].split(b" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                self.keep_alive = False
        if length is not None and length > MAX_RESPONSE_BYTES:
            return None
        return length

    def _fail(self, error: Exception):
        self.keep_alive = False
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc):
        self.lost = True
        self.keep_alive = False
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc}"))


async def _http_client(number: int, port: int, requests: list[bytes], window: Window, result: Result,
                       timeout: float) -> None:
    loop = asyncio.get_running_loop()
    exchange: _Exchange | None = None
    index = number * 7919 % len(requests)
    try:
        while (started := time.perf_counter()) < window.end:
            try:
                if exchange is None or not exchange.keep_alive:
                    if exchange is not None:
                        exchange.transport.close()
                    _, exchange = await asyncio.wait_for(loop.create_connection(_Exchange, HOST, port), timeout)
                waiter = exchange.send(requests[index])
                timer = loop.call_later(timeout, lambda w=waiter: w.done() or w.set_exception(TimeoutError()))
                try:
                    status, failure = await waiter, None
                finally:
                    timer.cancel()
            except TimeoutError:
                status, failure = None, "timeout"
            except OSError as error:      # ConnectionError, refused or reset connections
                status, failure = None, type(error).__name__
            finished = time.perf_counter()
            index = (index + 1) % len(requests)
            if status is None:
                if exchange is not None:
                    exchange.transport.close()
                exchange = None
                if window.counts(finished):
                    result.error(failure)
                await asyncio.sleep(0.05)   # a refused connection would otherwise spin
            elif window.counts(finished):
                if status == 200:
                    result.latencies_ms.append((finished - started) * 1000)
                else:
                    result.error(f"HTTP {status}")
    finally:
        # Also when cancelled (Ctrl-C): a socket left open would keep gunicorn waiting for it to close.
        if exchange is not None:
            exchange.transport.close()


def run_http(port: int, paths: list[str], clients: int, seconds: float, scenario: str, meter: CpuMeter,
             timeout: float = REQUEST_TIMEOUT) -> Result:
    """`clients` closed-loop keep-alive clients for a warm-up and then `seconds`."""
    requests = [(f"GET {p} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: application/geo+json\r\n"
                 "Connection: keep-alive\r\n\r\n").encode() for p in paths]
    result = Result(scenario, clients, seconds)

    window = Window(WARMUP_SECONDS, seconds)
    watcher = meter.watch(window)

    async def main():
        await asyncio.gather(*(_http_client(i, port, requests, window, result, timeout) for i in range(clients)))

    try:
        asyncio.run(main())
    except BaseException:
        meter.cancelled.set()
        raise
    finally:
        watcher.join()
    result.cpu = meter.used
    return result


# ---------------------------------------------------------------------------------------------- SQL baseline

def run_sql(dsn: str, boxes: list[BBox], clients: int, connections: int, seconds: float, meter: CpuMeter) -> Result:
    """`clients` closed-loop clients running the endpoint's statements through a pool of connections.

    As in gthread, the requests wait in one first-come-first-served queue for `connections` threads, each
    holding a psycopg connection; a client's next request joins the queue when its previous one has been
    answered, and its latency runs from joining the queue to the answer.
    """
    result = Result("SQL", clients, seconds, note=f"{connections} psycopg connections")
    waiting: queue.SimpleQueue = queue.SimpleQueue()
    window = Window(WARMUP_SECONDS, seconds)
    lock = threading.Lock()
    for number in range(clients):
        waiting.put((number * 7919 % len(boxes), time.perf_counter()))

    def serve(conn) -> None:
        latencies, errors = [], 0
        while True:
            index, queued = waiting.get()
            if index < 0 or queued >= window.end:
                break
            try:
                direct(conn, boxes[index])
                ok = True
            except psycopg.Error:
                ok = False
            finished = time.perf_counter()
            if window.counts(finished):
                if ok:
                    latencies.append((finished - queued) * 1000)
                else:
                    errors += 1
            waiting.put(((index + 1) % len(boxes), finished))
        with lock:
            result.latencies_ms.extend(latencies)
            for _ in range(errors):
                result.error("SQL error")

    opened = [psycopg.connect(dsn, autocommit=True) for _ in range(connections)]
    threads = [threading.Thread(target=serve, args=(conn,), daemon=True) for conn in opened]
    watcher = meter.watch(window)
    try:
        for thread in threads:
            thread.start()
        time.sleep(max(0.0, window.end - time.perf_counter()))
    except BaseException:
        meter.cancelled.set()
        raise
    finally:
        for _ in threads:
            waiting.put((-1, 0.0))     # whoever is still waiting stops; a query in flight finishes first
        for thread in threads:
            thread.join(timeout=60)
        watcher.join()
        for conn in opened:
            conn.close()
    result.cpu = meter.used
    return result


# ---------------------------------------------------------------------------------------------- exports

class Exports:
    """`count` curl downloads of the whole GeoJSON export, each started again when it ends, until `until`."""

    def __init__(self, base: str, count: int, rate: str | None, until: float):
        self.command = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}"]
        if rate:
            self.command += ["--limit-rate", rate]
        self.url = f"{base}/export/places.geojson"
        self.until = until
        self.stopping = threading.Event()
        self.finished = self.cut = self.failed = self.bytes = 0
        self.lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()
        self.threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(count)]

    def _loop(self) -> None:
        while not self.stopping.is_set() and (remaining := self.until - time.perf_counter()) > 0.5:
            # curl stops itself at the end of the period (exit 28) and still reports what it received.
            with self.lock:
                if self.stopping.is_set():
                    return
                process = subprocess.Popen([*self.command, "--max-time", f"{remaining:.1f}", self.url],
                                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                self.running.add(process)
            try:
                out, _ = process.communicate(timeout=remaining + 10)
            except subprocess.TimeoutExpired:
                process.kill()
                out, _ = process.communicate()
            status, size = (out.split() + ["0", "0"])[:2]
            with self.lock:
                self.running.discard(process)
                self.bytes += int(float(size))
                if process.returncode == 0 and status == "200":
                    self.finished += 1
                elif process.returncode == 28 and status in ("200", "000"):
                    self.cut += 1
                else:
                    self.failed += 1
                    self.stopping.wait(0.5)

    def summary(self, seconds: float) -> str:
        return (f"{len(self.threads)} downloads: {self.finished} finished, {self.cut} cut at the end, "
                f"{self.failed} failed; {self.bytes / 1e6:.0f} MB at {self.bytes / 1e6 / seconds:.1f} MB/s")

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, exc_type, *exc):
        with self.lock:
            self.stopping.set()
            if exc_type is not None:      # interrupted: stop the downloads now rather than at the period's end
                for process in self.running:
                    process.kill()
        for thread in self.threads:
            thread.join(timeout=max(0.0, self.until - time.perf_counter()) + 15)


# ---------------------------------------------------------------------------------------------- gunicorn

def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn with the production settings, on a free loopback port; stopped by stop() (or on exit)."""

    def __init__(self, url: str, extra_args: list[str], env: dict[str, str]):
        self.port = _free_port()
        self.base = f"http://{HOST}:{self.port}"
        environment = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(32),
                       "GUNICORN_BIND": f"{HOST}:{self.port}", "GUNICORN_LOGLEVEL": "warning", **env}
        # No control socket: its default path is shared by every gunicorn of this user (a dev server, say).
        command = [str(Path(sys.executable).with_name("gunicorn")), "-c", "python:app.gunicorn_conf",
                   "--no-control-socket", *extra_args, "app:create_app()"]
        log.info("starting %s", " ".join(command[1:]))
        # Its own session: Ctrl-C reaches only this script, which then stops gunicorn in order.
        self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                                        start_new_session=True)

    def wait_ready(self, probe: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with status {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.base + probe, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not answer within a minute")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def production_settings(env: dict[str, str]) -> tuple[int, int]:
    """Workers and threads app/gunicorn_conf.py gives under this environment (without changing ours)."""
    code = ("import os, app.gunicorn_conf as c; "
            "print(c.workers, c.threads, os.environ['DATABASE_POOL_SIZE'])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, check=True,
                         capture_output=True, text=True).stdout.split()
    return int(out[0]), int(out[1])


# ---------------------------------------------------------------------------------------------- checks

def check_answers(base: str, dsn: str, boxes: list[BBox]) -> tuple[int, list[str]]:
    """Compare the app's feature counts with the same SQL's for a few views; return (checked, mismatches)."""
    mismatches = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for box in boxes:
            with urllib.request.urlopen(base + api_path(box), timeout=REQUEST_TIMEOUT) as response:
                body = json.load(response)
            expected = direct(conn, box)
            got = len(body["features"])
            if got != expected or body["numberReturned"] != got:
                mismatches.append(f"{api_path(box)}: app {got} features, SQL {expected}")
    return len(boxes), mismatches


# ---------------------------------------------------------------------------------------------- report

def summarise(runs: list[Result]) -> dict:
    rates = [r.rate for r in runs]
    p95s = [r.pct(0.95) for r in runs]
    return {"scenario": runs[0].scenario, "clients": runs[0].clients, "rate": statistics.median(rates),
            "rate_range": (min(rates), max(rates)), "p50": statistics.median(r.pct(0.50) for r in runs),
            "p95": statistics.median(p95s), "p95_range": (min(p95s), max(p95s)),
            "p99": statistics.median(r.pct(0.99) for r in runs), "errors": sum(r.errors for r in runs),
            "error_kinds": _merge(r.error_kinds for r in runs), "note": runs[0].note, "n": len(runs),
            "cpu": {k: statistics.median(r.cpu.get(k, float("nan")) for r in runs) for k in CPU_GROUPS},
            # CPU ms per answer of the app, the database and the load generator: unlike req/s, it hardly
            # depends on what else the machine runs meanwhile.
            "cpu_ms": statistics.median(1000 * sum(r.cpu.get(k, 0.0) for k in CPU_GROUPS[:3]) / r.rate
                                        if r.rate else float("nan") for r in runs)}


def _merge(dicts) -> dict:
    merged = {}
    for d in dicts:
        for k, v in d.items():
            merged[k] = merged.get(k, 0) + v
    return merged


def table(rows: list[dict]) -> str:
    ranged = rows[0]["n"] > 1
    head = (f"{'scenario':<14} {'clients':>7} {'req/s':>6} {'(min–max)':>10} {'p50':>7} {'p95':>7} "
            f"{'(min–max)':>11} {'p99':>7} {'errors':>6}  {'CPU: app   db  gen other':>24} {'ms/req':>6}  note")
    lines = [head, "-" * len(head)]
    for row in rows:
        rate_range = f"{row['rate_range'][0]:.0f}–{row['rate_range'][1]:.0f}" if ranged else ""
        p95_range = f"{row['p95_range'][0]:.0f}–{row['p95_range'][1]:.0f}" if ranged else ""
        kinds = ", ".join(f"{k}: {v}" for k, v in row["error_kinds"].items())
        cpu = " ".join(f"{row['cpu'][k]:4.2f}" for k in CPU_GROUPS)
        note = f"{row['note']} ({kinds})" if kinds else row["note"]
        lines.append(f"{row['scenario']:<14} {row['clients']:>7} {row['rate']:6.0f} {rate_range:>10} "
                     f"{row['p50']:7.1f} {row['p95']:7.1f} {p95_range:>11} {row['p99']:7.1f} "
                     f"{row['errors']:>6}  {cpu:>24} {row['cpu_ms']:6.2f}  {note}")
    return "\n".join(lines)


def verdict(rows: dict, clients: list[int], repeats: int) -> tuple[list[str], bool]:
    low, high = clients[0], clients[-1]
    app_low, sql_low, app_high = rows[("app", low)], rows[("SQL", low)], rows[("app", high)]
    errors = sum(row["errors"] for key, row in rows.items() if key[0] != "SQL")
    vs_sql = app_low["rate"] / sql_low["rate"]
    scaling = app_high["rate"] / app_low["rate"]
    goals = [
        (f"app errors: {errors}", errors == 0, "0"),
        (f"app/SQL req/s at {low} clients: {vs_sql:.2f}", vs_sql >= GOAL_APP_VS_SQL, f"≥ {GOAL_APP_VS_SQL}"),
        (f"app@{high} / app@{low} req/s: {scaling:.2f}", scaling >= GOAL_SCALING, f"≥ {GOAL_SCALING}"),
    ]
    lines = [f"{text:<44} goal {goal:<6} {'PASS' if ok else 'FAIL'}" for text, ok, goal in goals]
    if ("app + exports", low) in rows:
        mixed = rows[("app + exports", low)]
        lines.append(f"map reads with exports running: {mixed['rate'] / app_low['rate']:.2f}× the req/s, "
                     f"p95 {mixed['p95']:.0f} ms vs {app_low['p95']:.0f} ms without ({mixed['note']})")
    if repeats > 1:
        lines.append(f"medians of {repeats} runs (ratios from the medians); ranges are min–max, never best-of-N")
    return lines, all(ok for _, ok, _ in goals)


# ---------------------------------------------------------------------------------------------- main

def run(args) -> int:
    url = ensure_synthetic_database(args.places)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    env = {}
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    workers, threads = production_settings(env)
    connections = args.sql_connections or workers * threads
    boxes = city_views(VIEWPORTS, args.seed)
    paths = [api_path(b) for b in boxes]
    model = " ".join([f"{workers} workers × {threads} threads", *args.gunicorn_arg])
    export_rate = None if args.export_rate in ("", "0") else args.export_rate
    server = Gunicorn(url, args.gunicorn_arg, env)
    runs: dict[tuple[str, int], list[Result]] = {}
    try:
        server.wait_ready(paths[0])
        checked, mismatches = check_answers(server.base, dsn, boxes[:args.check])
        log.info("answers checked against the SQL: %d views, %d mismatches", checked, len(mismatches))
        for line in mismatches[:5]:
            log.info("  %s", line)
        for repeat in range(args.repeat):
            for clients in args.clients:
                for scenario in ("SQL", "app"):
                    log.info("run %d/%d: %s, %d clients, %.0f s", repeat + 1, args.repeat, scenario, clients,
                             args.seconds)
                    meter = CpuMeter(server.process.pid, dsn)
                    if scenario == "SQL":
                        result = run_sql(dsn, boxes, clients, connections, args.seconds, meter)
                    else:
                        result = run_http(server.port, paths, clients, args.seconds, "app", meter, args.timeout)
                        result.note = model.split(" --")[0]
                    log.info("  %.0f req/s, p95 %.1f ms, %d errors; CPU cores %s", result.rate, result.pct(0.95),
                             result.errors, " ".join(f"{k} {v:.2f}" for k, v in result.cpu.items()))
                    runs.setdefault((scenario, clients), []).append(result)
            if args.exports:
                clients = args.clients[0]
                log.info("run %d/%d: app + %d exports, %d clients, %.0f s", repeat + 1, args.repeat, args.exports,
                         clients, args.seconds)
                started = time.perf_counter()
                with Exports(server.base, args.exports, export_rate,
                             until=started + WARMUP_SECONDS + args.seconds) as exports:
                    result = run_http(server.port, paths, clients, args.seconds, "app + exports",
                                      CpuMeter(server.process.pid, dsn), args.timeout)
                result.note = exports.summary(time.perf_counter() - started)
                if exports.failed:
                    result.error_kinds["export failed"] = exports.failed
                    result.errors += exports.failed
                log.info("  %.0f req/s, p95 %.1f ms, %d errors; %s", result.rate, result.pct(0.95), result.errors,
                         result.note)
                runs.setdefault(("app + exports", clients), []).append(result)
    finally:
        server.stop()
    rows = {key: summarise(results) for key, results in runs.items()}
    out = [f"{args.places:,} places; city views {VIEW_WIDTHS[0]}–{VIEW_WIDTHS[1]}° wide (padded ×1.5 as the map "
           f"sends them), {len(boxes)} distinct; {args.seconds:.0f} s per run after {WARMUP_SECONDS:.0f} s warm-up; "
           f"latencies in ms",
           f"app: gunicorn -c python:app.gunicorn_conf, {model}; SQL: the same statements on {connections} "
           f"psycopg connections serving the clients first come, first served",
           f"mixed run: {args.exports} export downloads"
           f"{f' at {export_rate}B/s each' if export_rate else ' at full speed'} during the map's period",
           f"answers checked: {checked} views, {len(mismatches)} differ from the SQL's feature counts", "",
           table([rows[k] for k in sorted(rows, key=lambda k: (k[1], k[0] != "SQL", k[0]))]), ""]
    lines, ok = verdict(rows, args.clients, args.repeat)
    out += ["CPU: cores used during the period by gunicorn, the database backends of the benchmark database, this "
            "process (load generator / SQL client) and everything else on the machine; ms/req: CPU of the first "
            "three per answer (the mixed run's includes the exports')", ""] + lines
    sys.stdout.write("\n".join(out) + "\n")
    return 0 if ok and not mismatches else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, default=DEFAULT_PLACES)
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 200],
                        help="concurrent clients per scenario; the first is compared with SQL, the last with it")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds per run (after a warm-up)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each scenario; medians and ranges reported")
    parser.add_argument("--exports", type=int, default=3, help="concurrent export downloads in the mixed run (0: none)")
    parser.add_argument("--export-rate", default="2M",
                        help="curl --limit-rate of each download, as from a user's connection (0: full speed)")
    parser.add_argument("--timeout", type=float, default=REQUEST_TIMEOUT,
                        help="seconds after which an unanswered request counts as an error")
    parser.add_argument("--check", type=int, default=20, help="views whose answers are compared with the SQL")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--sql-connections", type=int, default=0,
                        help="connections of the SQL baseline (default: as many as the app's pools)")
    parser.add_argument("--workers", type=int, default=0, help="override WEB_CONCURRENCY (experiments)")
    parser.add_argument("--threads", type=int, default=0, help="override GUNICORN_THREADS (experiments)")
    parser.add_argument("--gunicorn-arg", action="append", default=[],
                        help="extra gunicorn argument, e.g. --gunicorn-arg=--worker-class=sync (experiments)")
    args = parser.parse_args(argv)
    if min(args.clients) < 1 or args.seconds <= 0 or args.repeat < 1:
        parser.error("--clients, --seconds and --repeat must be positive")
    if args.exports and shutil.which("curl") is None:
        parser.error("curl is missing (needed for the export downloads; --exports 0 skips them)")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
