"""Importing OpenStreetMap places with a three-way merge that keeps StepFree's local knowledge.

Per field, base is what the previous import saw (places.osm_seen), theirs is what OSM says now, ours is the
place's current public value:
- OSM unchanged (theirs == base): keep ours, whatever volunteers and moderators did since;
- OSM changed, ours untouched (ours == base): take OSM's value, as an `import` revision;
- both changed and disagree: keep ours and file a conflict submission (origin `import`) for moderators, whose
  approval through moderation.approve applies OSM's values.
The address (places.address, OSM's addr:* tags) is OSM's alone: volunteers never edit it, so every import
takes OSM's value as it is, without a merge or a revision.
Objects gone from OSM are marked gone (never deleted) only when the caller says the file covers them
(mark_gone) and only inside the file's declared bounding box; a place with local changes (any revision not
made by the importer) is never marked gone: a `gone` correction goes to moderators instead.

The bulk path: records are copied (COPY) in chunks into a temporary staging table and merged with a few
set-based statements per batch of staged rows, so the cost per place is PostgreSQL's, the statement-level grid and
statistics triggers write each batch's deltas once, and Python holds a few small chunks at a time. The file is
read in a thread of its own while the chunk before is staged and merged (_read_ahead). New places are inserted
first, one index lookup per staged row; only a batch that holds places seen before is then classified (OSM
unchanged; changed), so a first import only inserts and a re-import of an unchanged file only compares. The
statements cover the common cases exactly as the rules above say (new places with their first revision; OSM
unchanged; OSM changed and the place untouched since the last import, with its revision); every other existing
place (local changes, or an osm_seen written before a field existed) goes through merge_place, row by row, which
files the conflicts.

The whole import runs in one savepoint of the caller's transaction: a corrupt file or any error leaves the
database as it was. Imports are serialised with a transaction-scoped advisory lock.
"""

import contextvars
import json
import logging
import os
import sys
import threading
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter
from queue import Full, Queue

import psycopg.errors
from sqlalchemy import delete, exists, func, select, text, tuple_
from sqlalchemy.orm import Session

from app.models import OsmNode, Place, Revision, Submission
from app.models.base import utcnow
from app.services import duplicates
from app.services.audit import record_event
from app.services.osm_reader import DUPLICATE, UNMAPPED, OsmRecord, check_readable, file_bbox, read_places
from app.services.places import apply_change, created_columns, snapshot
from geo.fields import COLUMN_FIELDS, KINDS

log = logging.getLogger(__name__)

# Staged rows per merge, at most: more spread each statement's cost. The first merges are smaller (FIRST_BATCH,
# doubling), so the first places are written early in a long import.
BATCH_SIZE = 10_000
FIRST_BATCH = 500
# Records per chunk the reader hands over (also from FIRST_BATCH, doubling), at most: bounds the import's memory,
# since a chunk's records live until it is staged, a few chunks at a time. A chunk is staged at once and merged
# with the next ones once BATCH_SIZE rows wait.
CHUNK_SIZE = 2_000
# Chunks read ahead of the one being merged (_read_ahead).
READ_AHEAD = 4
# The GIL switch interval while the reader runs (seconds; Python's default is 0.005). The merging thread gives up
# the GIL whenever it waits for PostgreSQL, and each time it is back it waits for the reader to hand it over:
# at most this long, several times per chunk, while PostgreSQL idles.
MERGE_SWITCH_INTERVAL = 0.0005
# pg_advisory_xact_lock key: two imports at once would race on the same places and osm_seen.
IMPORT_LOCK_KEY = 0x5354_4550_4F53_4D  # "STEPOSM"
# The kinds an import conflict is filed as, so a moderator reviews it like a volunteer's change of those fields.
CONFLICT_KINDS = ("status", "details", "correction")
# Merged as units: a move changes lon and lat together.
MERGE_FIELDS: dict[str, tuple[str, ...]] = {
    **{key: (key,) for key in COLUMN_FIELDS}, "location": ("lon", "lat"), "gone": ("gone",),
}

STAGE = "osm_import_stage"
PRESENT = "osm_import_present"
PRESENT_COLUMNS = ("osm_type", "osm_id", "place")
# A staged row: OSM's values as a new place's columns would hold them (created_columns), its location and
# its address; for a node, the object as OSM has it (osm_nodes: what writing back to OSM needs).
STAGE_COLUMNS = ("osm_type", "osm_id", *COLUMN_FIELDS, "lon", "lat", "address", "node_version", "node_tags", "node_x",
                 "node_y")
NODE_ROWS = f"SELECT osm_id, node_version, node_tags, node_x, node_y FROM {STAGE} WHERE node_version IS NOT NULL"
# A node place's upstream row, inserted, or rewritten only when OSM's object changed (a re-import writes nothing).
NODES_SQL = f"""
    INSERT INTO osm_nodes (id, version, tags, x, y) {NODE_ROWS}
    ON CONFLICT (id) DO UPDATE SET version = excluded.version, tags = excluded.tags, x = excluded.x, y = excluded.y
    WHERE (osm_nodes.version, osm_nodes.x, osm_nodes.y, osm_nodes.tags)
          IS DISTINCT FROM (excluded.version, excluded.x, excluded.y, excluded.tags)"""
NODES_ALL_SQL = f"INSERT INTO osm_nodes (id, version, tags, x, y) {NODE_ROWS}"
# After an import: the nodes the file no longer has as places are not kept.
NODES_GONE_SQL = f"""
    DELETE FROM osm_nodes o WHERE NOT EXISTS (
        SELECT FROM {PRESENT} k WHERE k.osm_type = 'node' AND k.osm_id = o.id AND k.place)"""
THEIRS_KEYS = (*COLUMN_FIELDS, "lon", "lat")
_column_values = attrgetter(*COLUMN_FIELDS)  # a record's column values in COLUMN_FIELDS order, in one C call
# A staged row in osm_seen's shape (OsmRecord.seen): theirs in the merge.
SEEN_SQL = "jsonb_build_object(" + ", ".join(f"'{k}', s.{k}" for k in THEIRS_KEYS) + ", 'gone', false)"


def _current_sql(alias: str) -> str:
    """A place row's public values in osm_seen's shape (current_values)."""
    columns = ", ".join(f"'{k}', {alias}.{k}" for k in COLUMN_FIELDS)
    return (f"jsonb_build_object({columns}, 'lon', ST_X({alias}.geom), 'lat', ST_Y({alias}.geom), "
            f"'gone', {alias}.gone_at IS NOT NULL)")


TAKE_ALL = ", ".join(f"{k} = t.{k}" for k in COLUMN_FIELDS)
MATCH = "p.osm_type = s.osm_type AND p.osm_id = s.osm_id"
# Each staged row's case, after CREATE_SQL has inserted the new ones, with one index lookup: its place, and
# whether OSM says what the last import saw (osm_seen) and the same address. A chunk of a first import, all new,
# never gets here; a re-import of an unchanged file ends here. Only imports create places with an OSM identity,
# and they hold IMPORT_LOCK_KEY, so a row found new stays new until the chunk's insert.
# Every statement reaches places through a correlated subquery or a LATERAL join on its unique keys, so that
# each staged row is one index lookup whatever the planner believes of places: its statistics can be far off
# while an import fills the table (after a rolled-back import they say "no rows" on many pages, and a join
# from places to the staged rows then rescanned the staging table once per place: minutes per chunk).
CLASSIFY_SQL = f"""
UPDATE {STAGE} s SET (place_id, seen_same, address_same) = (
    SELECT p.id, COALESCE(p.osm_seen = {SEEN_SQL}, false), p.address IS NOT DISTINCT FROM s.address
    FROM places p WHERE {MATCH})"""
# New places (no place with their OSM identity yet) and their first revisions, in one statement. A new place's
# snapshot (a revision's `after`) is what OSM said (osm_seen) plus `hidden`, since its columns are the staged
# values: a jsonb_build_object of its columns cost PostgreSQL about 10 µs a place, half what a COPY of the whole
# row costs. A scalar subquery, not NOT EXISTS: the planner turns that into an anti-join, and with stale
# statistics into a rescan of every place this import wrote, per staged row. CREATE_ALL_SQL, without the lookup,
# is for an import that started with no OSM place at all (Staged.first): all its staged rows are new.
CREATE_ALL_SQL = f"""
WITH created AS (
    INSERT INTO places (geom, {', '.join(COLUMN_FIELDS)}, address, source, osm_type, osm_id, osm_seen, version,
                        created_at, updated_at)
    SELECT ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326), {', '.join(f's.{k}' for k in COLUMN_FIELDS)},
           s.address, 'osm', s.osm_type, s.osm_id, {SEEN_SQL}, 1, :now, :now
    FROM {STAGE} s
    RETURNING id, osm_seen || jsonb_build_object('hidden', false) AS after
)
INSERT INTO revisions (place_id, version, source, before, after)
SELECT id, 1, 'import', CAST('{{}}' AS jsonb), after FROM created"""
CREATE_SQL = CREATE_ALL_SQL.replace(f"FROM {STAGE} s\n",
                                    f"FROM {STAGE} s\n    WHERE (SELECT p.id FROM places p WHERE {MATCH}) IS NULL\n")
# OSM changed and the place is as the last import left it (ours == base): theirs is the new value of every field,
# and the revision records the fields that differ. The row lock re-checks the condition against a concurrent
# commit, so a change that lands meanwhile sends the place to merge_place instead.
UPDATE_SQL = f"""
WITH changed_in_osm AS MATERIALIZED (
    SELECT s.place_id AS id, p.base, {SEEN_SQL} AS theirs, s.*
    FROM {STAGE} s CROSS JOIN LATERAL (SELECT p.osm_seen AS base FROM places p WHERE p.id = s.place_id) p
    WHERE NOT s.seen_same AND p.base <> {SEEN_SQL}
), target AS (
    SELECT c.* FROM changed_in_osm c CROSS JOIN LATERAL (
        SELECT FROM places p WHERE p.id = c.id AND {_current_sql('p')} = c.base FOR UPDATE) p
), changed AS (
    UPDATE places p SET {TAKE_ALL},
        geom = CASE WHEN t.base -> 'lon' = t.theirs -> 'lon' AND t.base -> 'lat' = t.theirs -> 'lat' THEN p.geom
                    ELSE ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326) END,
        gone_at = NULL, version = p.version + 1, updated_at = :now, osm_seen = t.theirs
    FROM target t WHERE p.id = t.id
    RETURNING p.id, p.version, t.base, t.theirs
)
INSERT INTO revisions (place_id, version, source, before, after)
SELECT c.id, c.version, 'import', d.before, d.after
FROM changed c CROSS JOIN LATERAL (
    SELECT jsonb_object_agg(e.key, e.value) AS before, jsonb_object_agg(e.key, c.theirs -> e.key) AS after
    FROM jsonb_each(c.base) AS e WHERE e.value <> c.theirs -> e.key) AS d"""
ADDRESS_SQL = f"""
UPDATE places p SET address = s.address FROM {STAGE} s
WHERE p.id = s.place_id AND NOT s.address_same AND p.address IS DISTINCT FROM s.address"""
# What the statements above leave: existing places whose osm_seen is not OSM's values yet.
REMAINING_SQL = f"""
SELECT s.place_id FROM {STAGE} s
WHERE NOT s.seen_same AND (SELECT p.osm_seen FROM places p WHERE p.id = s.place_id) IS DISTINCT FROM {SEEN_SQL}"""
# The staged rows of the places merge_place takes.
THEIRS_SQL = f"SELECT osm_type, osm_id, {SEEN_SQL} FROM {STAGE} s WHERE place_id = ANY(:ids)"
EARLIER_SQL = f"""
SELECT k.osm_type, k.osm_id FROM {PRESENT} k
JOIN unnest(CAST(:types AS text[]), CAST(:ids AS bigint[])) AS c(osm_type, osm_id)
  ON k.osm_type = c.osm_type AND k.osm_id = c.osm_id"""


@dataclass
class ImportSummary:
    """What one import did, for the command's table and the audit log."""

    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    gone: int = 0
    gone_kept_local: int = 0
    not_in_file: int = 0
    superseded: int = 0
    # Places whose address OSM changed (created places not counted): bookkeeping, not a revision.
    addresses_updated: int = 0
    # New "possible duplicate" items: a volunteer's place that this import's new or changed OSM place seems to be.
    possible_duplicates: int = 0
    skipped: Counter = field(default_factory=Counter)
    unmapped_tags: Counter = field(default_factory=Counter)
    value_notes: Counter = field(default_factory=Counter)
    # Detail tags whose value could not be read ("door:width: not a length in m or cm"): left out, not guessed.
    skipped_values: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)

    @property
    def places(self) -> int:
        return self.created + self.updated + self.unchanged + self.conflicts

    def add_counts(self, other: "ImportSummary") -> None:
        """Add the object counts of another summary (skipped objects and values: a chunk's tally)."""
        for name in ("skipped", "unmapped_tags", "value_notes", "skipped_values", "by_status"):
            getattr(self, name).update(getattr(other, name))

    def as_dict(self) -> dict:
        """JSON-ready counts (the audit event's details)."""
        return {
            "source": self.source, "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
            "conflicts": self.conflicts, "gone": self.gone, "gone_kept_local": self.gone_kept_local,
            "not_in_file": self.not_in_file, "superseded": self.superseded, "addresses_updated": self.addresses_updated,
            "possible_duplicates": self.possible_duplicates, "skipped": dict(self.skipped),
            "unmapped_tags": dict(self.unmapped_tags.most_common(20)),
            "value_notes": dict(self.value_notes.most_common(20)),
            "skipped_values": dict(self.skipped_values.most_common(20)), "by_status": dict(self.by_status),
        }


def import_file(session: Session, path: str | os.PathLike, *, mark_gone: bool = False) -> ImportSummary:
    """Import every place of an OSM file (see the module docstring for the merge rules)."""
    file = check_readable(path)
    return import_records(session, read_places(file), source=file.name, bbox=file_bbox(file), mark_gone=mark_gone)


def import_records(session: Session, records: Iterable[OsmRecord], *, source: str,
                   bbox: tuple[float, float, float, float] | None, mark_gone: bool = False) -> ImportSummary:
    """Merge the records of one OSM file into the places, in one savepoint; flush, never commit."""
    summary = ImportSummary(source=source)
    session.execute(select(func.pg_advisory_xact_lock(IMPORT_LOCK_KEY)))
    started = utcnow()  # the places it creates or changes carry timestamps from this clock
    with session.begin_nested(), _staging(session):
        staged = Staged(first=not session.scalar(select(exists().where(Place.osm_type.is_not(None)))))
        if staged.first:
            session.execute(delete(OsmNode))  # none can belong to a place: NODES_ALL_SQL inserts without a lookup
        for chunk in _read_ahead(_chunks(records)):
            _import_chunk(session, chunk, summary, staged=staged)
        _merge_staged(session, staged, summary)
        session.execute(text(NODES_GONE_SQL))
        _handle_missing(session, bbox, mark_gone, summary)
        file_duplicates_since(session, started, summary)
        record_event(session, None, "import", details=summary.as_dict())
    log.info("OSM import of %s: %s", source, summary.as_dict())
    return summary


@dataclass
class Chunk:
    """Records as the reading thread prepares them: each object once, counted, with its rows for PRESENT and, for a
    place, for the staging table, already in COPY's text format. The merging thread, which keeps PostgreSQL busy,
    then only copies and merges: one write per table and chunk, no Python per row."""

    entries: dict[tuple[str, int], OsmRecord]
    # Records read, duplicates within the chunk included.
    size: int
    # What its objects add to the import's summary: skipped objects (duplicates within the chunk among them) and
    # the values of its places.
    tally: ImportSummary
    present: bytes
    # The staged rows of its places (STAGE_COLUMNS), and how many.
    rows: bytes
    places: int

    def __len__(self) -> int:
        return self.size


def _chunks(records: Iterable[OsmRecord]) -> Generator[Chunk, None, None]:
    """The records in chunks, prepared in the reading thread."""
    size, records_of_chunk = min(FIRST_BATCH, CHUNK_SIZE), []
    for record in records:
        records_of_chunk.append(record)
        if len(records_of_chunk) >= size:
            yield _prepare(records_of_chunk)
            size, records_of_chunk = min(size * 2, CHUNK_SIZE), []
    if records_of_chunk:
        yield _prepare(records_of_chunk)


def _prepare(records: list[OsmRecord]) -> Chunk:
    """A chunk of records: a record whose object came before in the chunk is a duplicate."""
    tally = ImportSummary(source="")
    entries: dict[tuple[str, int], OsmRecord] = {}
    for record in records:
        if record.key in entries:
            tally.skipped[DUPLICATE] += 1
        else:
            entries[record.key] = record
    rows = []
    for record in entries.values():
        if record.skip is not None:
            tally.skipped[record.skip] += 1
            if record.skip == UNMAPPED and record.detail:
                tally.unmapped_tags[record.detail] += 1
        else:
            _count_values(record, tally)
            rows.append(_stage_row(record))
    present = _copy_text((osm_type, osm_id, record.still_a_place) for (osm_type, osm_id), record in entries.items())
    return Chunk(entries, len(records), tally, present, _copy_text(rows), len(rows))


def _read_ahead(chunks: Generator[Chunk, None, None]) -> Iterator[Chunk]:
    """The chunks, read and prepared by a thread of their own while the caller merges the one before.

    Reading (pyosmium and Python) and merging (mostly PostgreSQL's work, in its own process, while this thread
    waits for it without the GIL) then overlap on two cores; at most READ_AHEAD chunks wait, so memory stays
    bounded. While it runs, the GIL changes hands every MERGE_SWITCH_INTERVAL. The reader runs in a copy of the
    caller's context (the app context its messages are translated in); its errors are raised here, and a
    progress callback given to read_places runs in it.
    """
    handoff: Queue = Queue(maxsize=READ_AHEAD)
    stop = threading.Event()

    def hand_over(item: tuple) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def read() -> None:
        try:
            for chunk in chunks:
                if not hand_over(("chunk", chunk)):
                    return
            hand_over(("end", None))
        except BaseException as error:  # handed to the caller, raised in its thread
            hand_over(("error", error))
        finally:
            chunks.close()  # the file, when the caller stopped early

    reader = threading.Thread(target=contextvars.copy_context().run, args=(read,), name="osm-import-reader",
                              daemon=True)
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(min(switch_interval, MERGE_SWITCH_INTERVAL))
    reader.start()
    try:
        while True:
            kind, item = handoff.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()  # a failed merge stops the reader after the chunk it is reading
        reader.join()
        sys.setswitchinterval(switch_interval)


@contextmanager
def _staging(session: Session) -> Iterator[None]:
    """The session's staging tables for one import; dropped at the end (an error's rollback drops them too).

    Objects loaded before are expired afterwards: the statements change places behind the ORM's back.
    """
    session.flush()
    session.execute(text(f"CREATE TEMP TABLE {STAGE} ON COMMIT DROP AS SELECT "
                         f"{', '.join(STAGE_COLUMNS[:2 + len(COLUMN_FIELDS)])}, "
                         "0::float8 AS lon, 0::float8 AS lat, address, "
                         "0::bigint AS place_id, false AS seen_same, false AS address_same, "
                         "0 AS node_version, '{}'::jsonb AS node_tags, 0 AS node_x, 0 AS node_y "
                         "FROM places WITH NO DATA"))
    # The keys of every object of the file, for duplicates; `place` where OSM still describes it as one, for gone.
    session.execute(text(f"CREATE TEMP TABLE {PRESENT} (osm_type text NOT NULL, osm_id bigint NOT NULL, "
                         "place boolean NOT NULL, "
                         "PRIMARY KEY (osm_id, osm_type)) ON COMMIT DROP"))
    # Each chunk's statements join a few thousand staged rows to the places: index lookups, never a scan of every
    # place per chunk (the places' statistics are stale while an import fills the table, so the planner may
    # think otherwise).
    session.execute(text("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"))
    yield
    session.flush()
    session.execute(text("SET LOCAL enable_hashjoin TO DEFAULT; SET LOCAL enable_mergejoin TO DEFAULT"))
    session.execute(text(f"DROP TABLE {STAGE}, {PRESENT}"))
    session.expire_all()


@dataclass
class Staged:
    """The rows waiting in the staging table, and how many make the next merge."""

    rows: int = 0
    batch: int = field(default_factory=lambda: min(FIRST_BATCH, BATCH_SIZE))
    # No place had an OSM identity when the import started (it holds IMPORT_LOCK_KEY, and only imports give
    # places one), and PRESENT lets each object through once: every staged row is a new place.
    first: bool = False
    # Whether places has been analysed since this import's first places were written (_analyse_places).
    analysed: bool = False


def _import_chunk(session: Session, chunk: Chunk, summary: ImportSummary, *, staged: Staged) -> None:
    """Note the chunk's objects as present, add its counts to the summary, stage its places, and merge the staged
    places once a batch of them waits.

    An object that appears a second time in the file is a duplicate, whatever became of the first: found within
    the chunk by _prepare, and by PRESENT's primary key across chunks. A file rarely has one (an extract lists
    each object once), so the common chunk costs one COPY; one that meets an earlier chunk's object is sorted out
    by EARLIER_SQL.
    """
    try:
        with session.begin_nested():
            _copy(session, PRESENT, PRESENT_COLUMNS, chunk.present)
    except psycopg.errors.UniqueViolation:
        earlier = set(session.execute(text(EARLIER_SQL), {
            "types": [key[0] for key in chunk.entries], "ids": [key[1] for key in chunk.entries]}).tuples())
        summary.skipped[DUPLICATE] += len(earlier) + chunk.tally.skipped[DUPLICATE]
        chunk = _prepare([record for key, record in chunk.entries.items() if key not in earlier])
        _copy(session, PRESENT, PRESENT_COLUMNS, chunk.present)
    summary.add_counts(chunk.tally)
    if chunk.places:
        _copy(session, STAGE, STAGE_COLUMNS, chunk.rows)
        staged.rows += chunk.places

    if staged.rows >= staged.batch:
        _merge_staged(session, staged, summary)


def _count_values(record: OsmRecord, summary: ImportSummary) -> None:
    if record.values.notes:
        summary.value_notes.update(record.values.notes)
    if record.values.skipped_values:
        summary.skipped_values.update(record.values.skipped_values)
    status = record.values.wheelchair if record.values.wheelchair_tagged else "no wheelchair tag"
    summary.by_status[f"{record.osm_type}s: {status}"] += 1


def _stage_row(record: OsmRecord) -> tuple:
    columns = created_columns(dict(zip(COLUMN_FIELDS, _column_values(record.values), strict=True)))
    address = record.values.address
    node = NO_NODE if record.upstream is None else record.upstream
    return (record.osm_type, record.osm_id, *columns.values(), record.lon, record.lat,
            None if address is None else json.dumps(address), *node)


NO_NODE = (None, None, None, None)


# COPY's text format: a backslash, tab, newline or carriage return in a value is escaped; NULL is \N.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if value.__class__ is str:
        return value.translate(COPY_ESCAPES)
    if value.__class__ is bool:
        return "t" if value else "f"
    return repr(value)  # int, or float: repr is the shortest text that reads back as the same float


def _copy_text(rows: Iterable[tuple]) -> bytes:
    """Rows of str, int, float, bool and None in COPY's text format."""
    return "".join(["\t".join(map(_copy_value, row)) + "\n" for row in rows]).encode()


def _copy(session: Session, table: str, columns: tuple[str, ...], data: bytes) -> None:
    """COPY rows in text format into a table on the session's own connection, so they share its transaction."""
    connection = session.connection().connection.driver_connection
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(data)


def _merge_rows(session: Session, rows: list[tuple], summary: ImportSummary) -> None:
    """Stage and merge rows (one per place, no duplicates)."""
    if rows:
        _copy(session, STAGE, STAGE_COLUMNS, _copy_text(rows))
        _merge_staged(session, Staged(rows=len(rows)), summary)


def _merge_staged(session: Session, staged: Staged, summary: ImportSummary) -> None:
    """Merge the staged rows: set-based where the rules allow, else merge_place; then empty the staging table."""
    if not staged.rows:
        return
    rows, staged.rows, staged.batch = staged.rows, 0, min(staged.batch * 2, BATCH_SIZE)
    now = utcnow()
    created = session.execute(text(CREATE_ALL_SQL if staged.first else CREATE_SQL), {"now": now}).rowcount
    session.execute(text(NODES_ALL_SQL if staged.first else NODES_SQL))
    if created and not staged.analysed:
        _analyse_places(session)
        staged.analysed = True
    updated, remaining = 0, []
    if created < rows:
        # Only the rows of places that existed before this chunk: the ones it just created come out as unchanged.
        session.execute(text(f"ANALYZE {STAGE}"))  # a temporary table has no statistics: the joins need them
        session.execute(text(CLASSIFY_SQL))
        updated = session.execute(text(UPDATE_SQL), {"now": now}).rowcount
        summary.addresses_updated += session.execute(text(ADDRESS_SQL)).rowcount
        remaining = list(session.scalars(text(REMAINING_SQL)))
    summary.created += created
    summary.updated += updated
    summary.unchanged += rows - created - updated - len(remaining)
    if remaining:
        theirs = {(osm_type, osm_id): seen for osm_type, osm_id, seen in session.execute(
            text(THEIRS_SQL), {"ids": remaining}).tuples()}
        places = session.scalars(select(Place).where(Place.id.in_(remaining)).order_by(Place.id).with_for_update()
                                 .execution_options(populate_existing=True))
        for place in places:
            outcome = merge_place(session, place, theirs[place.osm_type, place.osm_id], summary)
            setattr(summary, outcome, getattr(summary, outcome) + 1)
        session.flush()
    session.execute(text(f"TRUNCATE {STAGE}"))


def _analyse_places(session: Session) -> None:
    """ANALYZE places once the import has written its first places (ANALYZE counts the rows its own transaction
    inserted).

    Each revision's foreign key is checked with a query the server plans once per session and then keeps. If
    places looked empty when it was planned (a table emptied and vacuumed, whose primary key index is still large),
    the kept plan scans the whole table for every revision: a first import of 500,000 places took 12 minutes
    instead of 30 s. New statistics make the server plan that check again, as an index lookup.
    """
    session.execute(text("ANALYZE places"))


def current_values(place: Place) -> dict:
    """The place's public values in osm_seen's shape (ours, in the three-way merge)."""
    values = snapshot(place)
    del values["hidden"]  # a moderator's hiding is StepFree's own business; OSM has no such field
    return values


def three_way(base: dict, theirs: dict, ours: dict) -> tuple[dict, dict]:
    """Split OSM's changes into those to take and those in conflict with a local change."""
    take: dict = {}
    conflict: dict = {}
    for keys in MERGE_FIELDS.values():
        # A field missing from a record (a base seen before the details existed) was not known: None.
        b, t, o = (tuple(values.get(k, False if k == "gone" else None) for k in keys)
                   for values in (base, theirs, ours))
        if t in (b, o):
            continue  # OSM did not change this, or StepFree already says the same
        target = take if o == b else conflict
        target.update(zip(keys, t, strict=True))
    return take, conflict


def merge_place(session: Session, place: Place, theirs: dict, summary: ImportSummary) -> str:
    """Merge OSM's current values into a place; return the outcome (updated, unchanged or conflicts)."""
    ours = current_values(place)
    # A place imported before osm_seen existed has no base: treat its current values as what OSM said.
    base = place.osm_seen or ours
    take, conflict = three_way(base, theirs, ours)
    revision = None
    if take:
        revision = apply_change(session, place, take, revision_source="import", verified=False)
    filed: set[str] = set()
    # Each field goes to the first kind that carries it (toilets_wheelchair: status, not details).
    for kind in CONFLICT_KINDS:
        proposed = {k: v for k, v in conflict.items() if k in KINDS[kind].fields and k not in filed}
        if proposed:
            filed.update(proposed)
            file_conflict(session, place, kind, proposed, ours, summary)
    if place.osm_seen != theirs:
        place.osm_seen = theirs  # bookkeeping of what OSM said, not a public value: no revision
    if conflict:
        return "conflicts"
    return "updated" if revision is not None else "unchanged"


def file_conflict(session: Session, place: Place, kind: str, proposed: dict, ours: dict,
                  summary: ImportSummary) -> bool:
    """Queue OSM's values for a moderator unless an identical import conflict is already pending."""
    pending = session.scalars(
        select(Submission).where(Submission.place_id == place.id, Submission.origin == "import",
                                 Submission.kind == kind, Submission.state == "pending").with_for_update())
    superseded = []
    for submission in pending:
        if submission.proposed == proposed:
            return False
        # OSM has moved on since that conflict was filed: what it proposed is no longer OSM's value.
        submission.state = "superseded"
        submission.decided_at = utcnow()
        submission.claimed_by_id = None
        submission.claim_expires_at = None
        superseded.append(submission.id)
    summary.superseded += len(superseded)
    submission = Submission(kind=kind, origin="import", state="pending", place_id=place.id, proposed=proposed,
                            base_version=place.version, geom=place.geom)
    session.add(submission)
    session.flush()
    record_event(session, None, "import_conflict", submission_id=submission.id, place_id=place.id,
                 details={"osm": proposed, "stepfree": {k: ours[k] for k in proposed},
                          "superseded": superseded})
    return True


def _handle_missing(session: Session, bbox, mark_gone: bool, summary: ImportSummary) -> None:
    """Mark imported places that OSM no longer has as gone, or count them when the file may not cover them."""
    inside = "AND ST_Intersects(p.geom, ST_MakeEnvelope(:west, :south, :east, :north, 4326))" if bbox else ""
    missing = list(session.scalars(text(f"""
        SELECT p.id FROM places p WHERE p.source = 'osm' AND p.gone_at IS NULL {inside}
        AND NOT EXISTS (SELECT FROM {PRESENT} k
                        WHERE k.osm_type = p.osm_type AND k.osm_id = p.osm_id AND k.place)"""),
        dict(zip(("west", "south", "east", "north"), bbox or (), strict=False))))
    if not mark_gone:
        summary.not_in_file = len(missing)
        return
    _mark_gone(session, missing, summary)


def merge_records(session: Session, records: list[OsmRecord], summary: ImportSummary) -> None:
    """Merge records of objects OSM describes as places (none skipped, no two alike), as an import does; flush,
    never commit."""
    started = utcnow()  # the places it creates or changes carry timestamps from this clock
    with _staging(session):
        for start in range(0, len(records), BATCH_SIZE):
            chunk = records[start:start + BATCH_SIZE]
            for record in chunk:
                _count_values(record, summary)
            _merge_rows(session, [_stage_row(record) for record in chunk], summary)
    file_duplicates_since(session, started, summary)


def file_duplicates_since(session: Session, started, summary: ImportSummary) -> None:
    """File "possible duplicate" items for the OSM places created or changed since `started` (this import or
    diff): a volunteer may have added the same place before OSM had it (app/services/duplicates.py)."""
    summary.possible_duplicates += duplicates.file_duplicates_since(session, started)


def mark_missing(session: Session, keys: list[tuple[str, int]], summary: ImportSummary) -> None:
    """Apply the import's gone rules to the places of these OSM objects (deleted, or no longer places)."""
    if not keys:
        return
    place_ids = session.scalars(select(Place.id).where(
        Place.source == "osm", Place.gone_at.is_(None), tuple_(Place.osm_type, Place.osm_id).in_(keys)))
    _mark_gone(session, list(place_ids), summary)


def _mark_gone(session: Session, place_ids: list[int], summary: ImportSummary) -> None:
    for place_id in place_ids:
        place = session.get(Place, place_id, with_for_update=True)
        base = place.osm_seen or {}
        if base.get("gone"):
            continue  # an earlier import already saw it gone: OSM unchanged, StepFree's value stands
        local = session.scalar(select(exists().where(Revision.place_id == place.id, Revision.source != "import")))
        if local:
            file_conflict(session, place, "correction", {"gone": True}, current_values(place), summary)
            summary.gone_kept_local += 1
        else:
            apply_change(session, place, {"gone": True}, revision_source="import", verified=False)
            summary.gone += 1
        place.osm_seen = {**base, "gone": True}
