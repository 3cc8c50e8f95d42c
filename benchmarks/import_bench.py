"""OSM import throughput next to pyosmium reading the same file, and next to a plain COPY, in the same run.

    python -m benchmarks.import_bench                                   # the shared Liechtenstein extract
    python -m benchmarks.import_bench --realistic 100000 1000000 --dense 500000 --repeat 3

The server comes from STEPFREE_BENCH_SERVER_URL, else STEPFREE_TEST_SERVER_URL, else DATABASE_URL. Each file is
imported into its own throwaway database (created with the migrations, dropped at the end). Every measured run
is a child process, so its peak RSS (VmHWM) and peak anonymous memory (RssAnon, sampled; AnonymousPeak says
why both) are its own. Per file, --repeat runs of each:

- read:      pyosmium iterating over every object of the file in Python (the baseline);
- import:    the first import into an empty database, all that `flask osm import` runs before its commit
             (rolled back, except the last run, which commits): the first pass (the candidate count for the
             progress bar; its time shown apart), the places (with the node location index diffs need), and the
             ways and relations diffs need;
- re-import: the same again on the imported database (rolled back). Like `flask osm import` of the extract imported
             last, it takes that import's candidate count as its progress length: no first pass. After each
             rolled-back run the database is vacuumed (vacuum());
- floor:     (--dense) a plain COPY of the same place rows into a table with the places table's indexes (an
             ordinary table, written to the WAL like places), and the same with each place's first revision added;
- diff:      (--realistic) a change file touching about 1 % of the places, derived with `osmium derive-changes`
             from a modified copy of the file: read_change + apply_change (what `flask osm update` runs, rolled
             back) on the committed import, next to pyosmium reading the same .osc.
Synthetic files (benchmarks/synthetic_osm.py): --realistic N writes about N objects, 1.5 % of them places;
--dense N writes N place nodes. The table shows medians, ranges, and the run-by-run ratios to the read (and to
the floor); the last line sets the first import's peak RSS of each file side by side (memory flat in N).
"""

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import osmium
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.dbadmin import drop_database, ensure_database
from app.schema import ROOT, alembic_config
from app.services.osm_diff import apply_change, import_extract, new_node_index, read_change
from benchmarks.synthetic import server_url
from benchmarks.synthetic_osm import write_dense, write_modified, write_realistic

log = logging.getLogger(__name__)

PLACE_COLUMNS = ("geom, name, category, wheelchair, toilets_wheelchair, description, address, source, osm_type, "
                 "osm_id, osm_seen, version, created_at, updated_at")
REVISION_COLUMNS = "place_id, version, source, before, after, created_at"
DEFAULT_FILE = ROOT / ".." / "shared" / "data" / "osm" / "liechtenstein-2013-08-03.osm.pbf"


def status_mb(field: str) -> float:
    """A size from /proc/self/status (VmHWM, RssAnon, ...), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM), in MB."""
    return status_mb("VmHWM")


class AnonymousPeak:
    """The highest anonymous resident memory (RssAnon) of this process, sampled every 10 ms by a thread.

    VmHWM also counts file-backed pages: those of the node location index, which the import writes through a
    memory map (16 bytes a node) and the kernel evicts like any page cache. RssAnon is the memory the process
    itself holds: Python's objects, pyosmium's buffers and the database driver's.
    """

    def __init__(self) -> None:
        self.peak = status_mb("RssAnon")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, status_mb("RssAnon"))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.peak, status_mb("RssAnon"))


def child(operation: str, path: Path, url: str, change: Path | None = None) -> dict:
    """One measured run, in this (child) process.

    An import or re-import runs what `flask osm import` runs (app/cli/osm.py), with the time of its first pass
    (the candidate count) apart.
    """
    anonymous = AnonymousPeak()
    started = time.perf_counter()
    result: dict = {}
    if operation == "read":
        places = sum(1 for _ in osmium.FileProcessor(str(path)))
    elif operation == "read-change":
        places = sum(1 for _ in osmium.FileProcessor(str(change)))
    else:
        engine = create_engine(url)
        with Session(engine) as session:
            if operation == "diff":
                places = apply_change(session, read_change(change), node_index(path), source=change.name).places
                session.rollback()
            else:
                pending = new_node_index(session, path, node_index(path))
                result["index_seconds"] = time.perf_counter() - started
                places = import_extract(session, path, pending).places
                if operation == "import-keep":
                    session.commit()
                    pending.install()
                else:
                    session.rollback()  # leave the database as it was for the next run
                    pending.discard()
        engine.dispose()
    return {**result, "seconds": time.perf_counter() - started, "rss_mb": peak_rss_mb(),
            "anonymous_mb": anonymous.stop(), "count": places}


def node_index(path: Path) -> Path:
    """The node location index of the file's last committed import (diffs read it), beside the file."""
    return path.with_name(path.name + ".nodes.idx")


def run_child(operation: str, path: Path, url: str, change: Path | None = None) -> dict:
    argv = [sys.executable, "-m", "benchmarks.import_bench", "--child", operation, "--file", str(path), "--url", url]
    if change is not None:
        argv += ["--change", str(change)]
    output = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def vacuum(url: str) -> None:
    """VACUUM ANALYZE the database after a run, so that the next starts from what autovacuum would leave: the
    dead rows of a rolled-back import otherwise slow the next one by chance of timing (a re-import after two
    rolled-back first imports took 67 s instead of 19 s while autovacuum worked through 1 million dead places)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
    engine.dispose()


def copy_floor(url: str) -> dict:
    """Plain COPYs of the imported rows into copies of their tables with the same indexes (seconds): `places`, the
    place rows alone (the goal's floor), and `with_revisions`, adding each place's first revision, which an import
    must also write (DESIGN.md invariant 1). The copies are ordinary tables, written to the WAL as places is."""
    engine = create_engine(url)
    seconds = {}
    with tempfile.TemporaryDirectory() as folder, engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        for table, columns in (("places", PLACE_COLUMNS), ("revisions", REVISION_COLUMNS)):
            with open(Path(folder) / table, "wb") as rows, cursor.copy(
                    f"COPY (SELECT {columns} FROM {table}) TO STDOUT") as copy:
                for block in copy:
                    rows.write(block)
        for label, tables in (("places", ("places",)), ("with_revisions", ("places", "revisions"))):
            started = time.perf_counter()
            for table in tables:
                columns = PLACE_COLUMNS if table == "places" else REVISION_COLUMNS
                conn.execute(text(f"CREATE TABLE floor_{table} (LIKE {table} INCLUDING ALL)"))
                with open(Path(folder) / table, "rb") as rows, cursor.copy(
                        f"COPY floor_{table} ({columns}) FROM STDIN") as copy:
                    while block := rows.read(1 << 20):
                        copy.write(block)
            seconds[label] = time.perf_counter() - started
            conn.rollback()
    engine.dispose()
    return seconds


def derive_change(path: Path) -> Path:
    """A change file touching about 1 % of the file's places, as `osmium derive-changes` makes it from a modified
    copy (benchmarks.synthetic_osm.write_modified)."""
    modified = path.with_name(path.name.replace(".osm.pbf", "-modified.osm.pbf"))
    changed = write_modified(path, modified)
    change = path.with_name(path.name.replace(".osm.pbf", ".osc"))
    subprocess.run(["osmium", "derive-changes", "--overwrite", str(path), str(modified), "-o", str(change)],
                   check=True)
    log.info("%s: %d places changed", change.name, changed)
    return change


def measure(path: Path, repeat: int, floor: bool, diff: bool) -> dict:
    """The runs on one file, in a database of its own."""
    url = make_url(server_url()).set(database=f"stepfree_bench_osm_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    url = url.render_as_string(hide_password=False)
    ensure_database(url)
    runs: dict[str, list[dict]] = {"read": [], "import": [], "reimport": [], "floor": [], "diff": [],
                                   "read-change": []}
    change = derive_change(path) if diff else None
    try:
        command.upgrade(alembic_config(url), "head")
        for number in range(repeat):
            runs["read"].append(run_child("read", path, url))
            runs["import"].append(run_child("import-keep" if number == repeat - 1 else "import", path, url))
            vacuum(url)
            log.info("%s: run %d: read %.2f s, import %.2f s (first pass %.2f s)", path.name, number + 1,
                     runs["read"][-1]["seconds"], runs["import"][-1]["seconds"], runs["import"][-1]["index_seconds"])
        for _ in range(repeat):
            runs["read"].append(run_child("read", path, url))
            runs["reimport"].append(run_child("reimport", path, url))
            vacuum(url)
            if floor:
                floors = copy_floor(url)
                runs["floor"].append({"seconds": floors["places"], "with_revisions": floors["with_revisions"]})
        for _ in range(repeat if diff else 0):
            runs["read-change"].append(run_child("read-change", path, url, change))
            runs["diff"].append(run_child("diff", path, url, change))
    finally:
        drop_database(url)
        node_index(path).unlink(missing_ok=True)
    return runs


def _spread(values: list[float], unit: str = "", digits: int = 2) -> str:
    return f"{statistics.median(values):8.{digits}f}{unit} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def _memory(runs: list[dict]) -> str:
    return (f"peak RSS {_spread([r['rss_mb'] for r in runs], ' MB', 0)}, "
            f"anonymous {_spread([r['anonymous_mb'] for r in runs], ' MB', 0)}")


def report(path: Path, runs: dict) -> str:
    """Medians and ranges, each run next to the read made just before it (and to the floor)."""
    objects, places = runs["read"][0]["count"], runs["import"][0]["count"]
    lines = [f"{path.name}: {objects:,} OSM objects, {places:,} places"]
    reads = [r["seconds"] for r in runs["read"]]
    lines.append(f"  {'pyosmium read':22} {_spread(reads, ' s')}  {_memory(runs['read'])}")
    first_reads = reads[:len(runs["import"])]
    rows = [("first import", [r["seconds"] for r in runs["import"]], first_reads, runs["import"]),
            ("  of which first pass", [r["index_seconds"] for r in runs["import"]], first_reads, runs["import"]),
            ("re-import", [r["seconds"] for r in runs["reimport"]], reads[len(runs["import"]):], runs["reimport"])]
    for label, seconds, baseline, measured in rows:
        ratios = [s / b for s, b in zip(seconds, baseline, strict=True)]
        line = f"  {label:22} {_spread(seconds, ' s')}  {_spread(ratios, 'x')} the read"
        if not label.startswith(" "):
            line += f"  {_memory(measured)}"
        if runs["floor"] and label == "first import":
            for key, what in (("seconds", "the COPY floor"), ("with_revisions", "the floor with revisions")):
                floors = [r[key] for r in runs["floor"]]
                line += f"  {_spread([s / f for s, f in zip(seconds, floors, strict=True)], 'x')} {what}"
        lines.append(line)
    if runs["floor"]:
        lines.append(f"  {'COPY floor':22} {_spread([r['seconds'] for r in runs['floor']], ' s')}  (the place rows)")
        lines.append(f"  {'  + revisions':22} {_spread([r['with_revisions'] for r in runs['floor']], ' s')}  "
                     "(and each place's first revision)")
    if runs["diff"]:
        change_reads = [r["seconds"] for r in runs["read-change"]]
        seconds = [r["seconds"] for r in runs["diff"]]
        ratios = [s / b for s, b in zip(seconds, change_reads, strict=True)]
        lines.append(f"  {'pyosmium read of .osc':22} {_spread(change_reads, ' s', 3)}")
        lines.append(f"  {'diff (read + apply)':22} {_spread(seconds, ' s', 3)}  {_spread(ratios, 'x')} the .osc read  "
                     f"{_memory(runs['diff'])}  "
                     f"({runs['diff'][0]['count']:,} places changed or checked)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, help="an .osm.pbf or .osm file (default: the Liechtenstein extract)")
    parser.add_argument("--realistic", type=int, nargs="*", default=[], metavar="OBJECTS",
                        help="synthetic extracts of about OBJECTS objects, 1.5 %% of them places")
    parser.add_argument("--dense", type=int, nargs="*", default=[], metavar="PLACES",
                        help="synthetic extracts of PLACES place nodes, each next to a plain COPY")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median and range)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--change", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        sys.stdout.write(json.dumps(child(args.child, args.file, args.url, args.change)) + "\n")
        return 0
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    repeat = max(1, args.repeat)
    with tempfile.TemporaryDirectory(prefix="stepfree-import-bench-") as folder:
        files: list[tuple[Path, bool, bool]] = []
        for objects in args.realistic:
            path = Path(folder) / f"realistic-{objects}.osm.pbf"
            log.info("writing %s: %d places", path.name, write_realistic(path, objects))
            files.append((path, False, True))
        for places in args.dense:
            path = Path(folder) / f"dense-{places}.osm.pbf"
            write_dense(path, places)
            files.append((path, True, False))
        if args.file or not files:
            path = (args.file or DEFAULT_FILE).resolve()
            if not path.is_file():
                raise SystemExit(f"{path}: no such file (pass --file, or put the shared data next to the "
                                 "repository)")
            files.insert(0, (path, False, False))
        peaks = []
        for path, floor, diff in files:
            runs = measure(path, repeat, floor, diff)
            sys.stdout.write(report(path, runs) + "\n\n")
            sys.stdout.flush()
            peaks.append(f"{path.name} {statistics.median(r['rss_mb'] for r in runs['import']):.0f} MB "
                         f"(anonymous {statistics.median(r['anonymous_mb'] for r in runs['import']):.0f} MB)")
        sys.stdout.write("first import peak RSS (median): " + ", ".join(peaks) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
