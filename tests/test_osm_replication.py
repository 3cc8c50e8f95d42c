"""`flask osm replicate`: following a local directory of sequential diffs, resumable, idempotent, one run at a time."""

import gzip
from datetime import UTC, datetime
from xml.sax.saxutils import quoteattr

import osmium
import pytest
from sqlalchemy import func, select

from app.models import OsmReplication, Place
from app.services.osm_replication import REPLICATION_LOCK_KEY
from tests.test_osm_diffs import Savepoint, places_state
from tests.test_osm_liechtenstein import extract_path

NEW_NODE = 9_000_000_100


def _node_xml(node_id: int, version: int, lon: float, lat: float, tags: dict) -> str:
    tag_xml = "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
    return (f'<node id="{node_id}" version="{version}" timestamp="2013-08-04T10:00:00Z" lat="{lat:.7f}" '
            f'lon="{lon:.7f}">{tag_xml}</node>')


def write_replication(folder, diffs: list[str]) -> None:
    """A replication directory in the standard layout: state.txt and 000/000/NNN.osc.gz with NNN.state.txt."""
    for sequence, body in enumerate(diffs, 1):
        stem = folder / "000" / "000" / f"{sequence:03d}"
        stem.parent.mkdir(parents=True, exist_ok=True)
        xml = f'<?xml version="1.0" encoding="UTF-8"?>\n<osmChange version="0.6" generator="test">{body}</osmChange>'
        stem.with_suffix(".osc.gz").write_bytes(gzip.compress(xml.encode()))
        state = f"sequenceNumber={sequence}\ntimestamp=2013-08-0{sequence + 3}T19\\:00\\:02Z\n"
        stem.with_suffix(".state.txt").write_text(state)
        (folder / "state.txt").write_text(state)


@pytest.fixture
def source(tmp_path):
    """Three days of diffs against the shared extract: a rename, a wheelchair change, a new toilet."""
    nodes = [(n.id, n.version, n.location.lon, n.location.lat, dict(n.tags))
             for n in osmium.FileProcessor(str(extract_path()), osmium.osm.NODE)
             if "amenity" in n.tags and "name" in n.tags][:2]
    (a, av, alon, alat, atags), (b, bv, blon, blat, btags) = nodes
    folder = tmp_path / "replication"
    write_replication(folder, [
        f"<modify>{_node_xml(a, av + 1, alon, alat, {**atags, 'name': 'Renamed'})}</modify>",
        f"<modify>{_node_xml(b, bv + 1, blon, blat, {**btags, 'wheelchair': 'yes'})}</modify>",
        f"<create>{_node_xml(NEW_NODE, 1, 9.52, 47.14, {'amenity': 'toilets', 'wheelchair': 'yes'})}</create>",
    ])
    return {"folder": folder, "renamed": a, "wheelchair": b}


def invoke(runner, *args):
    return runner.invoke(args=["osm", *[str(a) for a in args]])


def imported(runner, tmp_path) -> str:
    index = tmp_path / "nodes.idx"
    result = invoke(runner, "import", extract_path(), "--node-index", index)
    assert result.exit_code == 0, result.output
    return str(index)


def test_replicate_stops_resumes_and_reruns_to_the_same_result(session, connection, runner, tmp_path, source):
    folder = source["folder"]
    savepoint = Savepoint(connection, session)
    index = imported(runner, tmp_path)
    all_at_once = invoke(runner, "replicate", folder, "--start-sequence", "0", "--node-index", index)
    assert all_at_once.exit_code == 0, all_at_once.output
    expected = places_state(session)
    savepoint.rollback()

    index = imported(runner, tmp_path)
    first = invoke(runner, "replicate", folder, "--start-sequence", "0", "--max-diffs", "1", "--node-index", index)
    assert first.exit_code == 0, first.output
    assert "Diff 1 (data of 2013-08-04T19:00:02+00:00)" in first.output
    session.expire_all()
    state = session.get(OsmReplication, 1)
    assert (state.sequence, state.data_timestamp) == (1, datetime(2013, 8, 4, 19, 0, 2, tzinfo=UTC))
    renamed = session.scalar(select(Place).where(Place.osm_type == "node", Place.osm_id == source["renamed"]))
    assert renamed.name == "Renamed"
    assert session.scalar(select(func.count()).select_from(Place).where(Place.osm_id == NEW_NODE)) == 0

    resumed = invoke(runner, "replicate", folder, "--node-index", index)
    assert resumed.exit_code == 0, resumed.output
    assert "Diff 2" in resumed.output and "Diff 3" in resumed.output and "Diff 1 " not in resumed.output
    assert places_state(session) == expected

    rerun = invoke(runner, "replicate", folder, "--node-index", index)
    assert rerun.exit_code == 0 and "Nothing to apply" in rerun.output
    assert places_state(session) == expected
    session.expire_all()
    state = session.get(OsmReplication, 1)
    assert (state.sequence, state.data_timestamp) == (3, datetime(2013, 8, 6, 19, 0, 2, tzinfo=UTC))
    assert state.source == folder.resolve().as_uri() + "/"


def test_replicate_exits_at_once_while_another_run_holds_the_lock(engine, session, runner, tmp_path, source):
    index = imported(runner, tmp_path)
    with engine.connect() as other_run:
        other_run.execute(select(func.pg_advisory_lock(REPLICATION_LOCK_KEY)))
        result = invoke(runner, "replicate", source["folder"], "--start-sequence", "0", "--node-index", index)
        other_run.execute(select(func.pg_advisory_unlock(REPLICATION_LOCK_KEY)))
        other_run.commit()
    assert result.exit_code != 0 and "holds the lock" in result.output
    assert session.get(OsmReplication, 1).sequence != 1


@pytest.mark.parametrize("where, message", [
    ("missing", "no such directory"),
    ("http://127.0.0.1:9/replication/", "no replication state"),
    ("empty", "no replication state"),
])
def test_replicate_refuses_an_unreachable_source(session, runner, tmp_path, where, message):
    index = imported(runner, tmp_path)
    before = places_state(session)
    (tmp_path / "empty").mkdir()
    source = where if "://" in where else tmp_path / where
    result = invoke(runner, "replicate", source, "--start-sequence", "0", "--node-index", index)
    assert result.exit_code != 0 and message in result.output
    assert places_state(session) == before


def test_replicate_without_a_known_sequence_asks_for_one(session, runner, tmp_path, source):
    index = imported(runner, tmp_path)
    session.get(OsmReplication, 1).sequence = None
    session.commit()
    result = invoke(runner, "replicate", source["folder"], "--node-index", index)
    assert result.exit_code != 0 and "--start-sequence" in result.output


def test_data_page_shows_how_fresh_the_osm_data_is(session, runner, client, tmp_path, source):
    index = imported(runner, tmp_path)
    page = client.get("/data").get_data(as_text=True)
    assert "No update has run since the import of <code>liechtenstein-2013-08-03.osm.pbf</code>" in page
    assert invoke(runner, "replicate", source["folder"], "--start-sequence", "0", "--node-index", index).exit_code == 0
    page = client.get("/data").get_data(as_text=True)
    assert "(replication sequence 3)" in page and "06 Aug 2013, 19:00" in page
    assert "The last update from OpenStreetMap ran on" in page and "003.osc.gz" in page
