"""The bulk import (COPY into staging, set-based merge) gives what the row-by-row merge gave, on the Liechtenstein
extract: the same places, revisions, conflicts, audit events and summary, in chunks of bounded size.

The row-by-row reference below is the import as it was before the bulk path: one record at a time through
create_place and merge_place. Each scenario runs it and the bulk import from the same database state (each in a
savepoint rolled back afterwards) and compares everything they wrote.
"""

import threading
from pathlib import Path

import osmium
import pytest
from sqlalchemy import func, select, text

from app.models import ModerationEvent, Place, Revision, Submission
from app.models.base import utcnow
from app.services import moderation, osm_import
from app.services.audit import record_event
from app.services.osm_import import ImportSummary, import_file, mark_missing, merge_place
from app.services.osm_reader import DUPLICATE, UNMAPPED, file_bbox, read_places
from app.services.places import create_place
from app.services.submissions import Submitter, hash_device_token, submit_correction, submit_status
from geo.fields import COLUMN_FIELDS, KINDS
from tests.factories import make_user
from tests.test_osm_liechtenstein import extract_path

pytestmark = pytest.mark.usefixtures("app_context")
DEVICE = Submitter(device_hash=hash_device_token("osm-bulk-volunteer"))


def row_by_row_import(session, path: Path, *, mark_gone: bool = False) -> ImportSummary:
    """The reference: the import's rules applied one record at a time with the public helpers."""
    summary = ImportSummary(source=path.name)
    present: set[tuple[str, int]] = set()
    for record in read_places(path):
        if record.key in present:  # a second occurrence, whatever became of the first
            summary.skipped[DUPLICATE] += 1
            continue
        present.add(record.key)
        if record.skip is not None:
            summary.skipped[record.skip] += 1
            if record.skip == UNMAPPED and record.detail:
                summary.unmapped_tags[record.detail] += 1
            continue
        summary.value_notes.update(record.values.notes)
        summary.skipped_values.update(record.values.skipped_values)
        status = record.values.wheelchair if record.values.wheelchair_tagged else "no wheelchair tag"
        summary.by_status[f"{record.osm_type}s: {status}"] += 1
        place = session.scalars(select(Place).where(Place.osm_type == record.osm_type, Place.osm_id == record.osm_id)
                                .with_for_update()).one_or_none()
        seen = record.seen()
        if place is None:
            create_place(session, {k: seen[k] for k in (*COLUMN_FIELDS, "lon", "lat")}, source="osm",
                         revision_source="import", osm_type=record.osm_type, osm_id=record.osm_id, osm_seen=seen,
                         address=record.values.address)
            summary.created += 1
            continue
        outcome = merge_place(session, place, seen, summary)
        setattr(summary, outcome, getattr(summary, outcome) + 1)
        if place.address != record.values.address:
            place.address = record.values.address
            summary.addresses_updated += 1
    query = select(Place.osm_type, Place.osm_id).where(Place.source == "osm", Place.gone_at.is_(None))
    box = file_bbox(path)
    if box is not None:
        query = query.where(func.ST_Intersects(Place.geom, func.ST_MakeEnvelope(*box, 4326)))
    rows = session.execute(query)
    missing = [tuple(row) for row in rows if tuple(row) not in present]
    if mark_gone:
        mark_missing(session, missing, summary)
    else:
        summary.not_in_file = len(missing)
    record_event(session, None, "import", details=summary.as_dict())
    return summary


def _state(session) -> dict:
    """Everything an import writes, keyed by OSM identity (ids and timestamps differ between two runs)."""
    rows = session.execute(select(Place.id, Place.osm_type, Place.osm_id))
    key = {row.id: (row.osm_type, row.osm_id) for row in rows}
    places = {}
    for place in session.scalars(select(Place)):
        session.refresh(place)
        places[key[place.id]] = (place.snapshot(), place.address, place.osm_seen, place.version, place.source,
                                 place.search_text)
    revisions = sorted((key[r.place_id], r.version, r.source, r.before, r.after, r.submission_id is None)
                       for r in session.scalars(select(Revision)))
    submissions = sorted((key[s.place_id], s.kind, s.origin, s.state, s.proposed, s.base_version)
                         for s in session.scalars(select(Submission).where(Submission.origin == "import")))
    events = sorted((e.action, key.get(e.place_id), repr(sorted((e.details or {}).items())))
                    for e in session.scalars(select(ModerationEvent).where(
                        ModerationEvent.action.in_(("import", "import_conflict")))))
    return {"places": places, "revisions": revisions, "submissions": submissions, "events": events}


def _both(session, path: Path, *, mark_gone: bool = False) -> tuple[tuple, tuple]:
    """(summary, state) of the reference and of the bulk import, each from the current state, both rolled back."""
    results = []
    for run in (row_by_row_import, lambda s, p, mark_gone: import_file(s, p, mark_gone=mark_gone)):
        savepoint = session.begin_nested()
        summary = run(session, path, mark_gone=mark_gone)
        results.append((summary.as_dict(), _state(session)))
        savepoint.rollback()
        session.expire_all()
    return results[0], results[1]


def _assert_same(reference: tuple, bulk: tuple) -> None:
    (ref_summary, ref_state), (bulk_summary, bulk_state) = reference, bulk
    assert bulk_summary == ref_summary
    for part in ref_state:
        assert bulk_state[part] == ref_state[part], part


def _locally(session, place: Place, **values) -> None:
    """A volunteer's change, approved by a moderator: StepFree's local knowledge."""
    status = {k: v for k, v in values.items() if k in KINDS["status"].fields}
    submit = submit_status if status else submit_correction
    submission = submit(session, DEVICE, place.id, status or values)
    moderation.approve(session, submission.id, make_user(session, role="moderator"))


def _modified_extract(source: Path, target: Path, edits: dict[int, dict], moves: dict[int, tuple[float, float]],
                      twice: set[int]) -> Path:
    """A copy of the extract with some nodes' tags replaced (an empty dict drops them), moved or written twice."""
    with osmium.SimpleWriter(str(target)) as writer:
        for obj in osmium.FileProcessor(str(source)):
            node = obj.is_node()
            if node and (obj.id in edits or obj.id in moves):
                changes = {}
                if obj.id in edits:
                    changes["tags"] = edits[obj.id]
                if obj.id in moves:
                    changes["location"] = osmium.osm.Location(*moves[obj.id])
                obj = obj.replace(**changes)
            writer.add(obj)
            if node and obj.id in twice:
                writer.add(obj)
    return target


@pytest.fixture
def extract():
    return extract_path()


def test_first_import_matches_the_row_by_row_merge(session, extract):
    reference, bulk = _both(session, extract)
    assert bulk[0]["created"] == len(bulk[1]["places"]) > 600
    _assert_same(reference, bulk)


def test_reimport_without_changes_matches_and_writes_nothing(session, extract):
    import_file(session, extract)
    revisions = session.scalar(select(func.count()).select_from(Revision))
    reference, bulk = _both(session, extract)
    assert bulk[0]["unchanged"] == len(bulk[1]["places"]) and len(bulk[1]["revisions"]) == revisions
    _assert_same(reference, bulk)


def test_reimport_after_local_changes_and_a_modified_file_matches(session, extract, tmp_path):
    import_file(session, extract)
    nodes = list(session.scalars(select(Place).where(Place.osm_type == "node").order_by(Place.osm_id)))
    tags = {obj.id: dict(obj.tags) for obj in osmium.FileProcessor(str(extract))
            .with_filter(osmium.filter.IdFilter([p.osm_id for p in nodes])) if obj.is_node()}
    flip = {"yes": "no", "no": "limited", "limited": "yes", "unknown": "yes"}
    edits, moves = {}, {}
    for place in nodes[:10]:  # OSM changed, StepFree untouched: updated set-based
        edits[place.osm_id] = {**tags[place.osm_id], "wheelchair": flip[place.wheelchair]}
    for place in nodes[10:15]:  # both changed the same field differently: conflicts
        ours, theirs = ("limited", "no") if place.wheelchair == "yes" else ("no", "yes")
        edits[place.osm_id] = {**tags[place.osm_id], "wheelchair": theirs}
        _locally(session, place, wheelchair=ours)
    for place in nodes[15:20]:  # StepFree changed one field, OSM another: OSM's taken, row by row
        _locally(session, place, toilets_wheelchair="yes")
        edits[place.osm_id] = {**tags[place.osm_id], "name": f"{place.name or 'Place'} (new)"}
    for place in nodes[20:23]:  # moved in OSM
        lon, lat = place.snapshot()["lon"], place.snapshot()["lat"]
        moves[place.osm_id] = (lon + 0.0003, lat - 0.0002)
    for place in nodes[23:26]:  # a new address only
        edits[place.osm_id] = {**tags[place.osm_id], "addr:street": "Neue Strasse", "addr:housenumber": "7"}
    _locally(session, nodes[26], description="Ramp at the back.")
    for place in nodes[26:29]:  # no longer places in OSM: gone, or a correction where StepFree changed it
        edits[place.osm_id] = {}
    # Imported before osm_seen existed, and a base from before the details: the general merge handles them.
    nodes[29].osm_seen = None
    nodes[30].osm_seen = {k: v for k, v in nodes[30].osm_seen.items() if k != "hearing_loop"}
    edits[nodes[30].osm_id] = {**tags[nodes[30].osm_id], "wheelchair": flip[nodes[30].wheelchair]}
    session.flush()
    modified = _modified_extract(extract, tmp_path / "modified.osm.pbf", edits, moves, twice={nodes[40].osm_id})

    reference, bulk = _both(session, modified, mark_gone=True)
    _assert_same(reference, bulk)
    summary = bulk[0]
    assert summary["updated"] >= 10 + 5 + 3 and summary["conflicts"] == 5
    assert summary["addresses_updated"] == 3 and summary["skipped"][DUPLICATE] == 1
    assert summary["gone"] == 2 and summary["gone_kept_local"] == 1


def test_objects_written_twice_are_duplicates_within_and_across_chunks(session, extract, tmp_path, monkeypatch):
    places = [r.osm_id for r in read_places(extract) if r.osm_type == "node" and r.skip is None][:3]
    twice = _modified_extract(extract, tmp_path / "twice.osm.pbf", {}, {}, twice=set(places))
    monkeypatch.setattr(osm_import, "FIRST_BATCH", 1)  # every record its own chunk: the copy meets PRESENT's key
    monkeypatch.setattr(osm_import, "CHUNK_SIZE", 1)
    monkeypatch.setattr(osm_import, "BATCH_SIZE", 1)
    reference, bulk = _both(session, twice)
    _assert_same(reference, bulk)
    assert bulk[0]["skipped"][DUPLICATE] == 3 and bulk[0]["created"] > 600


def test_the_import_reads_in_small_chunks_and_merges_in_batches(session, extract, monkeypatch):
    reference = import_file(session, extract).as_dict()
    session.rollback()
    monkeypatch.setattr(osm_import, "FIRST_BATCH", 16)
    monkeypatch.setattr(osm_import, "CHUNK_SIZE", 50)
    monkeypatch.setattr(osm_import, "BATCH_SIZE", 200)
    chunks: list[int] = []
    merges: list[tuple[int, int]] = []
    real_import_chunk, real_merge = osm_import._import_chunk, osm_import._merge_staged

    def counting(session, chunk, summary, **options):
        chunks.append(len(chunk))
        real_import_chunk(session, chunk, summary, **options)

    def merging(session, staged, summary):
        merges.append((staged.rows, staged.batch))
        real_merge(session, staged, summary)

    monkeypatch.setattr(osm_import, "_import_chunk", counting)
    monkeypatch.setattr(osm_import, "_merge_staged", merging)
    summary = import_file(session, extract)
    assert summary.as_dict() == reference
    # Chunks (the records held in memory) grow from FIRST_BATCH, never above CHUNK_SIZE.
    assert chunks[:3] == [16, 32, 50] and max(chunks) == 50 and len(chunks) > 5
    # Merges grow from FIRST_BATCH to BATCH_SIZE staged places, each as soon as its batch is full.
    batches = [batch for _rows, batch in merges]
    assert batches[:5] == [16, 32, 64, 128, 200] and max(batches) == 200
    assert all(batch <= rows < batch + 50 for rows, batch in merges[:-1])


def test_reading_runs_ahead_of_merging_by_a_bounded_number_of_chunks(session, extract, monkeypatch):
    """The file is read in a thread of its own while chunks are merged; memory stays bounded all the same."""
    monkeypatch.setattr(osm_import, "FIRST_BATCH", 50)
    monkeypatch.setattr(osm_import, "CHUNK_SIZE", 50)
    read, ahead, threads = [0], [], set()

    def counted():
        for record in read_places(extract):
            threads.add(threading.current_thread().name)
            read[0] += 1
            yield record

    real_import_chunk = osm_import._import_chunk
    merged = [0]

    def merging(session, chunk, summary, **options):
        ahead.append(read[0] - merged[0])
        real_import_chunk(session, chunk, summary, **options)
        merged[0] += len(chunk)

    monkeypatch.setattr(osm_import, "_import_chunk", merging)
    summary = osm_import.import_records(session, counted(), source=extract.name, bbox=file_bbox(extract))
    assert summary.created > 600 and threads == {"osm-import-reader"}
    # Besides the chunk being merged: one waiting, one being read (READ_AHEAD = 1).
    assert max(ahead) <= (osm_import.READ_AHEAD + 2) * 50


def test_a_failed_merge_stops_the_reader_and_writes_nothing(session, extract, monkeypatch):
    closed = []

    def records():
        try:
            yield from read_places(extract)
        finally:
            closed.append(True)

    real_import_chunk = osm_import._import_chunk

    def failing(session, chunk, summary, **options):
        real_import_chunk(session, chunk, summary, **options)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(osm_import, "_import_chunk", failing)
    with pytest.raises(RuntimeError, match="the disk is full"):
        osm_import.import_records(session, records(), source=extract.name, bbox=file_bbox(extract))
    assert closed == [True]
    assert not [t for t in threading.enumerate() if t.name == "osm-import-reader"]
    assert session.scalar(select(func.count()).select_from(Place)) == 0



def test_each_staged_row_meets_the_places_by_an_index_lookup(session):
    """Whatever the statistics say: an anti-join here rescanned every place the import had written, per row."""
    with osm_import._staging(session):
        for sql in (osm_import.CREATE_SQL, osm_import.CLASSIFY_SQL):
            plan = "\n".join(session.scalars(text(f"EXPLAIN {sql}"), {"now": utcnow()}))
            # An index scan or a bitmap scan of one key, per staged row, as the statistics make it; never a join.
            assert "Index Scan on uq_places_osm_identity" in plan.replace("Scan using", "Scan on"), plan
            assert "Join" not in plan, plan


@pytest.mark.parametrize("path", ["import", "diff"])
def test_text_that_copy_escapes_arrives_as_it_was(session, path):
    """Staged rows travel in COPY's text format: a backslash, a literal \\N and quotes come through unchanged."""
    from app.services.osm_reader import OsmRecord
    from geo.osm_tags import place_values

    names = ["Back\\slash \\N café", "\\", "Quote \" and ' ü 🦽", "\\t not a tab"]
    records = [OsmRecord("node", 900_000 + number, place_values({
        "name": name, "amenity": "cafe", "wheelchair": "yes", "addr:street": f"{name} street",
        "wheelchair:description": f"{name}: step\\free"}), lon=9.52, lat=47.14 + number / 1000)
        for number, name in enumerate(names)]
    if path == "import":
        osm_import.import_records(session, records, source="escapes", bbox=None)
    else:
        osm_import.merge_records(session, records, ImportSummary(source="escapes"))
    places = session.scalars(select(Place).where(Place.osm_id >= 900_000).order_by(Place.osm_id)).all()
    assert [p.name for p in places] == names
    assert [p.address for p in places] == [{"street": f"{name} street"} for name in names]
    assert [p.description for p in places] == [f"{name}: step\\free" for name in names]
    assert [(p.osm_seen["lon"], p.osm_seen["lat"]) for p in places] == [(r.lon, r.lat) for r in records]


def test_only_an_import_into_a_database_without_osm_places_skips_the_lookup(session, extract, monkeypatch):
    """A first import inserts every staged row without looking it up (CREATE_ALL_SQL); any later one looks."""
    create_place(session, {"name": "Volunteer café", "category": "food", "lon": 9.52, "lat": 47.14},
                 source="volunteer", revision_source="moderation")
    firsts: list[bool] = []
    real_merge = osm_import._merge_staged

    def merging(session, staged, summary):
        firsts.append(staged.first)
        real_merge(session, staged, summary)

    monkeypatch.setattr(osm_import, "_merge_staged", merging)
    created = import_file(session, extract).created
    assert created > 600 and set(firsts) == {True}
    firsts.clear()
    again = import_file(session, extract)
    assert again.created == 0 and again.unchanged == created and set(firsts) == {False}


def test_places_are_analysed_as_soon_as_the_import_has_written_some(session, extract, monkeypatch):
    """The server plans each revision's foreign key check once per session and keeps the plan. Planned while places
    looked empty (emptied and vacuumed), it scanned the whole table for every revision: 12 minutes for 500,000
    places. Statistics that count the import's first places make it plan the check again."""
    monkeypatch.setattr(osm_import, "FIRST_BATCH", 40)
    after_first: list[tuple[float, int]] = []
    real_merge = osm_import._merge_staged

    def merging(session, staged, summary):
        real_merge(session, staged, summary)
        if not after_first:
            after_first.append((session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'places'")),
                                session.scalar(select(func.count()).select_from(Place))))

    monkeypatch.setattr(osm_import, "_merge_staged", merging)
    import_file(session, extract)
    reltuples, places = after_first[0]
    assert places >= 40 and reltuples == places
