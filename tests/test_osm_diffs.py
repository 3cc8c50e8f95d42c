"""`flask osm update`: a change file applied to an import gives what a full re-import of the new file gives.

The new file is a modified copy of the shared Liechtenstein extract written with pyosmium, the change file is
derived from both with `osmium derive-changes` (osmium-tool), as a real deployment would receive it.
"""

import shutil
import subprocess
from pathlib import Path

import osmium
import pytest
from sqlalchemy import select

from app.models import OsmNodeOverlay, OsmReplication, Place, Submission
from app.services import osm_diff
from app.services.osm_import import current_values
from app.services.places import apply_change
from tests.test_osm_liechtenstein import extract_path

NEW_NODE = 9_000_000_001
PLATFORM_WAY = 9_000_000_001
PLATFORM_NODES = (9_000_000_002, 9_000_000_003, 9_000_000_004)


def _first_nodes(session, count: int, exclude: set[int]) -> list[Place]:
    places = session.scalars(select(Place).where(Place.osm_type == "node", Place.name.is_not(None))
                             .order_by(Place.osm_id))
    return [place for place in places if place.osm_id not in exclude][:count]


def _way_nodes(path: Path) -> dict[int, list[int]]:
    return {way.id: [n.ref for n in way.nodes] for way in osmium.FileProcessor(str(path), osmium.osm.WAY)}


def plan_edits(session, old: Path) -> dict:
    """Pick the objects to change from what the import made of the extract."""
    ways = _way_nodes(old)
    in_ways = {ref for refs in ways.values() for ref in refs}
    wheelchair, renamed, kept, deleted, untagged = _first_nodes(session, 5, in_ways)
    closed = next(place for place in session.scalars(select(Place).where(Place.osm_type == "way")
                                                     .order_by(Place.osm_id))
                  if ways[place.osm_id][0] == ways[place.osm_id][-1] and len(ways[place.osm_id]) > 4)
    return {"wheelchair": wheelchair.osm_id, "renamed": renamed.osm_id, "kept": kept.osm_id,
            "deleted": deleted.osm_id, "untagged": untagged.osm_id, "closed_way": closed.osm_id,
            "moved_node": ways[closed.osm_id][1],
            "new_wheelchair": "no" if wheelchair.wheelchair != "no" else "yes"}


def write_modified_copy(old: Path, new: Path, edits: dict) -> None:
    """The extract as OSM might have it a day later (objects changed get a new version, as in OSM)."""
    writer = osmium.SimpleWriter(str(new))
    nodes_done = False
    try:
        for obj in osmium.FileProcessor(str(old)):
            if obj.is_way() and not nodes_done:
                _add_new_nodes(writer)
                nodes_done = True
            if obj.is_node():
                tags = dict(obj.tags)
                if obj.id == edits["deleted"]:
                    continue
                if obj.id == edits["wheelchair"]:
                    writer.add_node(obj.replace(version=obj.version + 1,
                                                tags={**tags, "wheelchair": edits["new_wheelchair"]}))
                elif obj.id == edits["renamed"]:
                    writer.add_node(obj.replace(version=obj.version + 1, tags={**tags, "name": "Neuer Name"}))
                elif obj.id == edits["untagged"]:
                    writer.add_node(obj.replace(version=obj.version + 1, tags={}))
                elif obj.id == edits["moved_node"]:
                    writer.add_node(obj.replace(version=obj.version + 1, location=osmium.osm.Location(
                        obj.location.lon + 0.0008, obj.location.lat + 0.0004)))
                else:
                    writer.add_node(obj)
            elif obj.is_way():
                writer.add_way(obj)
            else:
                writer.add_relation(obj)
        writer.add_way(osmium.osm.mutable.Way(
            id=PLATFORM_WAY, version=1, nodes=list(PLATFORM_NODES),
            tags={"public_transport": "platform", "highway": "bus_stop", "name": "Vaduz Post", "wheelchair": "yes"}))
    finally:
        writer.close()


def _add_new_nodes(writer) -> None:
    writer.add_node(osmium.osm.mutable.Node(id=NEW_NODE, version=1, location=osmium.osm.Location(9.5210, 47.1410),
                                            tags={"amenity": "toilets", "wheelchair": "yes"}))
    for i, node_id in enumerate(PLATFORM_NODES):
        writer.add_node(osmium.osm.mutable.Node(id=node_id, version=1,
                                                location=osmium.osm.Location(9.5220 + i * 0.0002, 47.1420)))


def derive_changes(old: Path, new: Path, change: Path) -> None:
    osmium_tool = shutil.which("osmium")
    if osmium_tool is None:
        pytest.fail("osmium-tool is missing: install it (apt-get install osmium-tool; scripts/setup does).")
    subprocess.run([osmium_tool, "derive-changes", str(old), str(new), "-o", str(change), "--overwrite"],
                   check=True, capture_output=True)


def make_local_changes(session, edits: dict) -> None:
    """A volunteer's approved change where OSM also changes the value, and one where OSM does not."""
    for osm_id, values in ((edits["wheelchair"], {"wheelchair": "limited"}), (edits["kept"], {"wheelchair": "no"})):
        place = session.scalar(select(Place).where(Place.osm_type == "node", Place.osm_id == osm_id)
                               .with_for_update())
        apply_change(session, place, values, revision_source="moderation", verified=True)
    session.commit()


def places_state(session) -> tuple[dict, set]:
    session.expire_all()
    places = {(p.osm_type, p.osm_id): {**current_values(p), "address": p.address, "osm_seen": p.osm_seen,
                                        "gone": p.gone_at is not None}
              for p in session.scalars(select(Place).where(Place.source == "osm"))}
    pending = {((row.osm_type, row.osm_id), row.kind, str(sorted(row.proposed.items())))
               for row in session.execute(select(Place.osm_type, Place.osm_id, Submission.kind, Submission.proposed)
                                          .join(Place, Place.id == Submission.place_id)
                                          .where(Submission.origin == "import", Submission.state == "pending"))}
    return places, pending


class Savepoint:
    """A savepoint the test itself sets and rolls back to (SQL's own: the app's sessions nest theirs inside)."""

    def __init__(self, connection, session):
        self.connection, self.session = connection, session
        self._close_sessions()
        connection.exec_driver_sql("SAVEPOINT diff_test")

    def rollback(self) -> None:
        self._close_sessions()
        self.connection.exec_driver_sql("ROLLBACK TO SAVEPOINT diff_test")

    def _close_sessions(self) -> None:
        # Its savepoint must end before this one is rolled back to (each CLI run closes its own).
        self.session.close()


@pytest.fixture
def files(tmp_path, session, connection, runner):
    """Import the extract once to choose the edits, then forget that import; write the new file and the change."""
    old = extract_path()
    savepoint = Savepoint(connection, session)
    assert runner.invoke(args=["osm", "import", str(old), "--node-index", str(tmp_path / "plan.idx")]).exit_code == 0
    edits = plan_edits(session, old)
    savepoint.rollback()
    session.expire_all()
    new, change = tmp_path / "new.osm.pbf", tmp_path / "day.osc"
    write_modified_copy(old, new, edits)
    derive_changes(old, new, change)
    return {"old": old, "new": new, "change": change, "edits": edits, "index": tmp_path / "nodes.idx"}


def run(runner, *args) -> str:
    result = runner.invoke(args=["osm", *[str(a) for a in args]])
    assert result.exit_code == 0, result.output
    return result.output


def test_update_equals_a_full_reimport_of_the_new_file(session, connection, runner, files):
    index = files["index"]
    savepoint = Savepoint(connection, session)
    run(runner, "import", files["old"], "--mark-gone", "--node-index", index)
    make_local_changes(session, files["edits"])
    output = run(runner, "update", files["change"], "--node-index", index)
    by_diff = places_state(session)
    savepoint.rollback()

    run(runner, "import", files["old"], "--mark-gone", "--node-index", index)
    make_local_changes(session, files["edits"])
    run(runner, "import", files["new"], "--mark-gone", "--node-index", index)
    by_import = places_state(session)

    assert by_diff == by_import
    places, pending = by_diff
    edits = files["edits"]
    assert places[("node", edits["renamed"])]["name"] == "Neuer Name"
    assert places[("node", edits["kept"])]["wheelchair"] == "no"  # OSM did not change it: the local change stands
    assert places[("node", edits["wheelchair"])]["wheelchair"] == "limited"  # both changed: kept, and a conflict
    assert any(key == ("node", edits["wheelchair"]) and kind == "status" for key, kind, _ in pending)
    assert places[("node", edits["deleted"])]["gone"] and places[("node", edits["untagged"])]["gone"]
    assert places[("node", NEW_NODE)]["category"] == "toilets"
    assert places[("way", PLATFORM_WAY)]["name"] == "Vaduz Post"
    assert "Applied day.osc" in output and "conflicts sent to moderators" in output


def test_update_moves_a_closed_way_whose_node_alone_moved(session, runner, files):
    index = files["index"]
    run(runner, "import", files["old"], "--node-index", index)
    key = ("way", files["edits"]["closed_way"])
    before = places_state(session)[0][key]
    run(runner, "update", files["change"], "--node-index", index)
    after = places_state(session)[0][key]
    assert (after["lon"], after["lat"]) != (before["lon"], before["lat"])
    moved = session.get(OsmNodeOverlay, files["edits"]["moved_node"])
    assert moved is not None and moved.x is not None


def test_update_twice_changes_nothing_the_second_time(session, runner, files):
    index = files["index"]
    run(runner, "import", files["old"], "--node-index", index)
    run(runner, "update", files["change"], "--node-index", index)
    first = places_state(session)
    again = run(runner, "update", files["change"], "--node-index", index)
    assert places_state(session) == first
    updated = next(line for line in again.splitlines() if line.strip().startswith("updated from OSM"))
    assert updated.split()[-1] == "0"
    assert session.get(OsmReplication, 1).last_update_file == "day.osc"


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"<osmChange version='0.6'><modify><node id='1' ", "cannot be read as an OpenStreetMap change file"),
])
def test_update_refuses_a_missing_or_garbled_change_file(session, runner, tmp_path, files, content, message):
    run(runner, "import", files["old"], "--node-index", files["index"])
    before = places_state(session)
    change = tmp_path / "bad.osc"
    if content is not None:
        change.write_bytes(content)
    result = runner.invoke(args=["osm", "update", str(change), "--node-index", str(files["index"])])
    assert result.exit_code != 0 and message in result.output
    assert places_state(session) == before


def test_update_without_the_node_index_says_how_to_get_one(session, runner, tmp_path, files):
    run(runner, "import", files["old"], "--node-index", files["index"])
    result = runner.invoke(args=["osm", "update", str(files["change"]), "--node-index", str(tmp_path / "x.idx")])
    assert result.exit_code != 0 and "is missing" in result.output and "flask osm import" in result.output


def test_a_reimport_of_the_same_extract_takes_its_progress_length_from_the_last_import(
        session, runner, tmp_path, monkeypatch):
    counts = []
    count = osm_diff.count_candidates
    monkeypatch.setattr(osm_diff, "count_candidates", lambda path: counts.append(path) or count(path))
    index = tmp_path / "nodes.idx"
    run(runner, "import", extract_path(), "--node-index", index)
    assert len(counts) == 1
    state = session.get(OsmReplication, 1)
    assert state.candidates == count(extract_path())  # what the import read: the next one's progress length
    run(runner, "import", extract_path(), "--node-index", index)
    assert len(counts) == 1  # no counting pass
    session.expire_all()
    assert session.get(OsmReplication, 1).candidates == state.candidates
    renamed = tmp_path / "other-name.osm.pbf"
    shutil.copy(extract_path(), renamed)
    run(runner, "import", renamed, "--node-index", index)
    assert len(counts) == 2  # another extract is counted first
