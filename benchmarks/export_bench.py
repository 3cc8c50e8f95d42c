"""Benchmark the GeoJSON export against GDAL and against PostgreSQL's own COPY, in one run.

    python -m benchmarks.export_bench                       # 1,000,000 places
    python -m benchmarks.export_bench --places 100000 1000000 --repeat 3

For each size it fills (or reuses) a separate database with benchmarks/synthetic.py, then times, on the same
published rows:
  (a) StepFree: GET /export/places.geojson from gunicorn (one sync worker), downloaded to a file with curl;
  (b) GDAL: `ogr2ogr -f GeoJSON` of the same rows and columns, reading the database directly;
  (c) the floor: psql `\\copy` of StepFree's feature SQL, one feature per row, to a file (no HTTP, no Python),
      with the session settings StepFree's export uses (UTC, JIT off).
It prints the median and range of --repeat runs of each, the ratios to ogr2ogr and the floor (median and range
of the run-by-run ratios), and the peak RSS (VmHWM)
of the gunicorn worker that served the exports.
"""

import argparse
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from app.queries.export import PlaceFilters, features_select
from benchmarks.synthetic import DEFAULT_PLACES, ensure_synthetic_database

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED_COLUMNS = ("SELECT id, geom, name, category, wheelchair, toilets_wheelchair AS \"toilets:wheelchair\", "
                     "description AS \"wheelchair:description\", osm_type, osm_id, updated_at, last_verified_at, "
                     "to_char(last_verified_at, 'YYYY-MM-DD') AS \"check_date:wheelchair\" "
                     "FROM places WHERE hidden_at IS NULL AND gone_at IS NULL")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _libpq(url: str) -> dict:
    u = make_url(url)
    return {"host": u.host or "127.0.0.1", "port": str(u.port or 5432), "user": u.username or "postgres",
            "dbname": u.database, **({"password": u.password} if u.password else {})}


class Server:
    """gunicorn serving StepFree on the benchmark database, one sync worker, on a free local port."""

    def __init__(self, url: str):
        self.port = _free_port()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(32)}
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "--workers", "1", "--timeout", "600",
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "app:create_app()"],
            cwd=ROOT, env=env)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if subprocess.run(["curl", "-sf", "-o", "/dev/null", f"{self.base}/ogc/conformance"]).returncode == 0:
                return
            time.sleep(0.2)
        self.stop()
        raise SystemExit("gunicorn did not start")

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return int(children[0])

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.worker_pid()}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _timed(command: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def run_size(places: int, repeat: int, workdir: Path) -> dict:
    url = ensure_synthetic_database(places)
    libpq = _libpq(url)
    # ogr2ogr and psql both read these; the session settings are the ones StepFree's export uses.
    pg_env = {"PGHOST": libpq["host"], "PGPORT": libpq["port"], "PGUSER": libpq["user"], "PGDATABASE": libpq["dbname"],
              "PGOPTIONS": "-c TimeZone=UTC -c jit=off",
              **({"PGPASSWORD": libpq["password"]} if "password" in libpq else {})}
    engine = create_engine(url)
    floor_sql = str(features_select(PlaceFilters()).compile(dialect=engine.dialect,
                                                            compile_kwargs={"literal_binds": True}))
    engine.dispose()
    outputs = {name: workdir / f"{name}-{places}.geojson" for name in ("stepfree", "ogr2ogr", "floor")}
    commands = {
        "stepfree": None,
        "ogr2ogr": ["ogr2ogr", "-f", "GeoJSON", str(outputs["ogr2ogr"]),
                    "PG:" + " ".join(f"{k}={v}" for k, v in libpq.items()), "-sql", PUBLISHED_COLUMNS],
        "floor": ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-c",
                  f"\\copy ({floor_sql}) TO '{outputs['floor']}' WITH (FORMAT csv, QUOTE E'\\x01', "
                  "DELIMITER E'\\x02')"],
    }
    server = Server(url)
    try:
        # Warm the worker (imports, connection pool) and the table's pages before timing anything.
        subprocess.run(["curl", "-sf", "-o", "/dev/null", f"{server.base}/export/places.geojson?bbox=9.4,47,9.7,47.3"],
                       check=True)
        rss_before = server.peak_rss_mb()
        runs: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(repeat):
            for name, command in commands.items():
                outputs[name].unlink(missing_ok=True)
                if name == "stepfree":
                    command = ["curl", "-sf", "-o", str(outputs[name]), f"{server.base}/export/places.geojson"]
                runs[name].append(_timed(command, pg_env if name != "stepfree" else None))
        rss_peak = server.peak_rss_mb()
    finally:
        server.stop()
    sizes = {name: path.stat().st_size for name, path in outputs.items()}
    with open(outputs["stepfree"], "rb") as f:
        features = sum(1 for line in f if line.startswith((b'{"type":"Feature"', b',{"type"')))
    for path in outputs.values():
        path.unlink(missing_ok=True)
    return {"places": places, "runs": runs, "bytes": sizes, "features": features,
            "rss_before": rss_before, "rss_peak": rss_peak}


def report(result: dict) -> str:
    """Medians and ranges over the runs; each ratio from the runs taken together (run i of one method against
    run i of the other, interleaved in time), as its median and range."""
    runs = result["runs"]
    s = {name: statistics.median(times) for name, times in runs.items()}
    lines = [f"{result['places']:,} places ({result['features']:,} published features exported), "
             f"{len(runs['stepfree'])} runs each: median (min–max)"]
    for name, label in (("stepfree", "StepFree HTTP export (gunicorn + curl)"), ("ogr2ogr", "ogr2ogr -f GeoJSON"),
                        ("floor", "psql \\copy of the feature SQL (floor)")):
        mb = result["bytes"][name] / 1e6
        lines.append(f"  {label:42s} {s[name]:7.2f} s ({min(runs[name]):.2f}–{max(runs[name]):.2f})  {mb:7.1f} MB  "
                     f"{mb / s[name]:6.1f} MB/s")

    def ratio(a: str, b: str) -> str:
        each = [x / y for x, y in zip(runs[a], runs[b], strict=True)]
        return f"{statistics.median(each):.2f} ({min(each):.2f}–{max(each):.2f})"
    lines.append(f"  StepFree / ogr2ogr = {ratio('stepfree', 'ogr2ogr')}   "
                 f"StepFree / floor = {ratio('stepfree', 'floor')}   ogr2ogr / floor = {ratio('ogr2ogr', 'floor')}")
    lines.append(f"  StepFree worker peak RSS: {result['rss_peak']:.0f} MB "
                 f"(after warm-up, before the big exports: {result['rss_before']:.0f} MB)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, nargs="+", default=[DEFAULT_PLACES],
                        help="database sizes to measure (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each method; medians and ranges reported")
    args = parser.parse_args(argv)
    for tool in ("curl", "ogr2ogr", "psql"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing (make test installs gdal-bin and postgresql-client)")
    with tempfile.TemporaryDirectory(prefix="stepfree-bench-") as tmp:
        for places in args.places:
            sys.stdout.write(report(run_size(places, args.repeat, Path(tmp))) + "\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
