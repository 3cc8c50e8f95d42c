"""OSM import throughput next to pyosmium merely reading the same file, in the same run.

    python -m benchmarks.import_bench                       # the shared Liechtenstein extract
    python -m benchmarks.import_bench --file some.osm.pbf --repeat 5

The server comes from STEPFREE_BENCH_SERVER_URL, else STEPFREE_TEST_SERVER_URL, else DATABASE_URL. The
import runs into a throwaway database (created with the migrations, dropped at the end). Each figure is the
best of --repeat runs, in OSM objects (nodes + ways + relations of the file) per second:

- decode:    pyosmium decoding the file without handing any object to Python (the floor);
- read:      pyosmium iterating over every object of the file in Python (the baseline);
- reader:    StepFree's reader (locations, multipolygon areas, tag mapping, points on surface), no database;
- import:    the whole first import into an empty database (every place created with its revision);
- re-import: importing the same file again (every place compared, nothing written but the audit event).
"""

import argparse
import logging
import os
import sys
import time
import uuid
from pathlib import Path

import osmium
import osmium.filter
from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.dbadmin import drop_database, ensure_database
from app.schema import ROOT, alembic_config
from app.services.osm_import import import_file
from app.services.osm_reader import read_places
from benchmarks.synthetic import server_url

log = logging.getLogger(__name__)

DEFAULT_FILE = ROOT / ".." / "shared" / "data" / "osm" / "liechtenstein-2013-08-03.osm.pbf"


def best_of(repeat: int, run) -> tuple[float, object]:
    """The shortest wall time of `repeat` calls of run(), and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def count_objects(path: Path) -> int:
    """pyosmium merely reading: iterate over every object of the file."""
    return sum(1 for _ in osmium.FileProcessor(str(path)))


def decode_only(path: Path) -> int:
    """pyosmium decoding every block while a C++ filter passes no object on to Python."""
    return sum(1 for _ in osmium.FileProcessor(str(path)).with_filter(osmium.filter.KeyFilter("stepfree:none")))


def measure(path: Path, repeat: int, url: str) -> dict:
    """Run the five measurements on `path` into the database at `url`."""
    decode_s, _ = best_of(repeat, lambda: decode_only(path))
    read_s, objects = best_of(repeat, lambda: count_objects(path))
    reader_s, records = best_of(repeat, lambda: sum(1 for _ in read_places(path)))
    engine = create_engine(url)
    try:
        def first_import():
            with Session(engine) as session:
                summary = import_file(session, path)
                session.rollback()  # leave the database empty for the next repetition
                return summary

        import_s, summary = best_of(repeat, first_import)
        with Session(engine) as session:
            import_file(session, path)
            session.commit()

        def reimport():
            with Session(engine) as session:
                again = import_file(session, path)
                session.rollback()
                return again

        reimport_s, again = best_of(repeat, reimport)
    finally:
        engine.dispose()
    if again.unchanged != summary.places:
        raise SystemExit(f"re-import was not a no-op: {again.as_dict()}")
    return {"objects": objects, "records": records, "places": summary.places, "decode": decode_s, "read": read_s,
            "reader": reader_s, "import": import_s, "reimport": reimport_s}


MEASUREMENTS = (("pyosmium decode only (floor)", "decode"), ("pyosmium read (baseline)", "read"),
                ("StepFree reader, no database", "reader"), ("first import", "import"),
                ("re-import (no changes)", "reimport"))


def report(path: Path, figures: dict) -> str:
    """The figures as a table, each next to the plain pyosmium read."""
    objects = figures["objects"]
    lines = [f"{path.name}: {objects} OSM objects, {figures['records']} candidates, "
             f"{figures['places']} places imported", ""]
    for label, key in MEASUREMENTS:
        seconds = figures[key]
        lines.append(f"  {label:30} {seconds:8.3f} s  {objects / seconds:12,.0f} objects/s  "
                     f"{seconds / figures['read']:6.1f}x the read time")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="an .osm.pbf or .osm file")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; the best counts")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    path = args.file.resolve()
    if not path.is_file():
        raise SystemExit(f"{path}: no such file (pass --file, or put the shared data next to the repository)")
    url = make_url(server_url()).set(database=f"stepfree_bench_osm_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    url = url.render_as_string(hide_password=False)
    ensure_database(url)
    try:
        command.upgrade(alembic_config(url), "head")
        figures = measure(path, max(1, args.repeat), url)
    finally:
        drop_database(url)
    sys.stdout.write(report(path, figures) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
