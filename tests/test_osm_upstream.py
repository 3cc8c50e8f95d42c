"""Giving approved values back to OpenStreetMap (issue 16), with OSM's own tools.

The round trip: import the shared Liechtenstein extract, approve local changes on a node, a closed way and a
multipolygon, write the osmChange with `flask osm changes`, apply it to the original extract with
`osmium apply-changes` (osmium-tool), re-import the result. Every other tag, node ref, member and location must be
as OSM had it; the re-import must find StepFree's values in OSM, with no conflict and nothing left to offer.
"""

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import osmium
import pytest
from sqlalchemy import select

from app.models import OsmNode, OsmRelation, OsmWay, Place, Submission
from app.queries.osm_upstream import NEEDS_REFRESH, OSM_CONFLICT, upstream_items
from app.services.places import apply_change
from geo.osmchange import CHECK_DATE_KEY, RECORD_SEPARATOR
from tests.test_osm_diffs import derive_changes, run
from tests.test_osm_liechtenstein import extract_path

TODAY = datetime.now(UTC).date().isoformat()


def wrote(output: str) -> int:
    """How many objects `flask osm changes` says it wrote."""
    return int(re.search(r"Wrote (\d+) object", output)[1])


def osmium_tool() -> str:
    tool = shutil.which("osmium")
    if tool is None:
        pytest.fail("osmium-tool is missing: install it (apt-get install osmium-tool; scripts/dev.sh setup does).")
    return tool


def read_objects(path: Path) -> dict[tuple[str, int], dict]:
    """Every object of a file: its version, tags and geometry (location, node refs, members)."""
    objects = {}
    for obj in osmium.FileProcessor(str(path)):
        entry = {"version": obj.version, "tags": dict(obj.tags)}
        if obj.is_node():
            entry["location"] = (obj.location.x, obj.location.y)
        elif obj.is_way():
            entry["nodes"] = [n.ref for n in obj.nodes]
        else:
            entry["members"] = [(m.type, m.ref, m.role) for m in obj.members]
        objects[obj.type_str(), obj.id] = entry
    return objects


def pick_places(session) -> dict[str, Place]:
    """A node, a closed way and a multipolygon that the import made places of."""
    def first(osm_type: str, *conditions) -> Place:
        return session.scalars(select(Place).where(Place.osm_type == osm_type, Place.gone_at.is_(None), *conditions)
                               .order_by(Place.osm_id)).first()
    closed = session.scalars(select(OsmWay.id).order_by(OsmWay.id)).all()
    ways = {row.id: row for row in session.scalars(select(OsmWay).where(OsmWay.id.in_(closed)))}
    closed_place = next(p for p in session.scalars(select(Place).where(Place.osm_type == "way").order_by(Place.osm_id))
                        if p.osm_id in ways and ways[p.osm_id].nodes[0] == ways[p.osm_id].nodes[-1])
    multipolygon = next(p for p in session.scalars(select(Place).where(Place.osm_type == "relation")
                                                   .order_by(Place.osm_id))
                        if session.get(OsmRelation, p.osm_id).tags.get("type") == "multipolygon")
    return {"node": first("node", Place.name.is_not(None)), "way": closed_place, "relation": multipolygon}


def approve(session, place: Place, values: dict) -> None:
    place = session.scalar(select(Place).where(Place.id == place.id).with_for_update())
    apply_change(session, place, values, revision_source="moderation", verified=True)
    session.commit()


def local_values(place: Place) -> dict:
    other = {"yes": "limited", "limited": "no", "no": "yes", "unknown": "yes"}
    return {"wheelchair": other[place.wheelchair], "description": f"Ramp at the side door of {place.osm_id}",
            "step_count": 1, "step_height": 6}


@pytest.fixture
def imported(tmp_path, session, runner):
    run(runner, "import", extract_path(), "--node-index", tmp_path / "nodes.idx")
    return tmp_path / "nodes.idx"


def test_import_keeps_what_an_osmchange_must_carry(session, imported):
    original = read_objects(extract_path())
    places = pick_places(session)
    node = session.get(OsmNode, places["node"].osm_id)
    assert (node.version, node.tags, (node.x, node.y)) == (
        original["n", node.id]["version"], original["n", node.id]["tags"], original["n", node.id]["location"])
    way = session.get(OsmWay, places["way"].osm_id)
    assert (way.version, way.tags, way.nodes) == (original["w", way.id]["version"], original["w", way.id]["tags"],
                                                  original["w", way.id]["nodes"])
    relation = session.get(OsmRelation, places["relation"].osm_id)
    assert relation.version == original["r", relation.id]["version"]
    assert [tuple(m) for m in relation.members] == original["r", relation.id]["members"]
    # Every node place is kept, and only places.
    node_places = set(session.scalars(select(Place.osm_id).where(Place.osm_type == "node")))
    assert set(session.scalars(select(OsmNode.id))) == node_places


def test_round_trip_through_osmium_apply_changes(session, runner, imported, tmp_path):
    places = pick_places(session)
    wanted = {kind: local_values(place) for kind, place in places.items()}
    for kind, place in places.items():
        approve(session, place, wanted[kind])
    items = upstream_items(session)
    assert {item.ref for item in items} == {f"{p.osm_type}/{p.osm_id}" for p in places.values()}
    assert all(item.conflict is None for item in items)

    change = tmp_path / "stepfree.osc"
    output = run(runner, "changes", "-o", change)
    assert wrote(output) == 3
    applied = tmp_path / "applied.osm.pbf"
    subprocess.run([osmium_tool(), "apply-changes", str(extract_path()), str(change), "-o", str(applied),
                    "--overwrite"], check=True, capture_output=True)

    before, after = read_objects(extract_path()), read_objects(applied)
    assert before.keys() == after.keys()
    changed = {(p.osm_type[0], p.osm_id): kind for kind, p in places.items()}
    for key, original in before.items():
        result = after[key]
        if key not in changed:
            assert result == original, key
            continue
        expected_tags = {**original["tags"], "wheelchair": wanted[changed[key]]["wheelchair"],
                         "wheelchair:description": wanted[changed[key]]["description"], "step_count": "1",
                         "step:height": "0.06", CHECK_DATE_KEY: TODAY}
        assert result["tags"] == expected_tags, key
        assert {k: v for k, v in result.items() if k != "tags"} == {k: v for k, v in original.items() if k != "tags"}

    run(runner, "import", applied, "--node-index", tmp_path / "nodes.idx")
    session.expire_all()
    assert session.scalars(select(Submission).where(Submission.origin == "import",
                                                    Submission.state == "pending")).all() == []
    for kind, place in places.items():
        place = session.get(Place, place.id)
        assert {k: getattr(place, k) for k in wanted[kind]} == wanted[kind]
        assert {k: place.osm_seen[k] for k in wanted[kind]} == wanted[kind]
    assert upstream_items(session) == []
    assert wrote(run(runner, "changes", "-o", tmp_path / "again.osc")) == 0


def test_maproulette_tasks_set_the_same_tags(session, runner, imported, tmp_path):
    places = pick_places(session)
    wheelchair = local_values(places["node"])["wheelchair"]
    approve(session, places["node"], {"wheelchair": wheelchair})
    tasks = tmp_path / "tasks.geojson"
    run(runner, "changes", "-o", tmp_path / "changes.osc", "--maproulette", tasks)
    lines = tasks.read_text().split("\n")[:-1]  # str.splitlines would also split at the record separator
    assert len(lines) == 1 and lines[0].startswith(RECORD_SEPARATOR)
    task = json.loads(lines[0][1:])
    ref = f"node/{places['node'].osm_id}"
    assert task["features"][0]["properties"]["@id"] == ref
    operation = task["cooperativeWork"]["operations"][0]
    assert operation["data"]["id"] == ref
    assert operation["data"]["operations"] == [{"operation": "setTags", "data": {
        "wheelchair": wheelchair, CHECK_DATE_KEY: TODAY}}]


def test_values_that_were_not_decided_are_not_offered(session, imported):
    place = pick_places(session)["node"]
    locked = session.scalar(select(Place).where(Place.id == place.id).with_for_update())
    apply_change(session, locked, {"wheelchair": local_values(place)["wheelchair"]}, revision_source="demo")
    session.commit()
    assert upstream_items(session) == []


def test_an_osm_side_edit_since_the_import_is_a_conflict_left_out_of_the_file(session, runner, imported, tmp_path):
    places = pick_places(session)
    edited, untouched = places["node"], places["way"]
    for place in (edited, untouched):
        approve(session, place, {"wheelchair": local_values(place)["wheelchair"]})
    # In OSM, someone else sets the edited node's wheelchair tag to a third value meanwhile.
    ours = local_values(edited)["wheelchair"]
    osm_value = next(v for v in ("yes", "limited", "no") if v not in (edited.wheelchair, ours))
    new = tmp_path / "new.osm.pbf"
    writer = osmium.SimpleWriter(str(new))
    for obj in osmium.FileProcessor(str(extract_path())):
        if obj.is_node() and obj.id == edited.osm_id:
            obj = obj.replace(version=obj.version + 1, tags={**dict(obj.tags), "wheelchair": osm_value})
        writer.add(obj)
    writer.close()
    change = tmp_path / "day.osc"
    derive_changes(extract_path(), new, change)
    run(runner, "update", change, "--node-index", imported)

    items = {item.ref: item for item in upstream_items(session)}
    assert items[f"node/{edited.osm_id}"].conflict == OSM_CONFLICT
    assert items[f"way/{untouched.osm_id}"].conflict is None
    output = run(runner, "changes", "-o", tmp_path / "stepfree.osc")
    assert wrote(output) == 1 and f"node/{edited.osm_id}" in output
    written = read_objects_from_osc(tmp_path / "stepfree.osc")
    assert written == {("w", untouched.osm_id)}


def test_objects_stored_before_versions_were_kept_need_a_refresh(session, runner, imported, tmp_path):
    place = pick_places(session)["way"]
    approve(session, place, {"wheelchair": local_values(place)["wheelchair"]})
    session.get(OsmWay, place.osm_id).version = None
    session.commit()
    [item] = upstream_items(session)
    assert item.conflict == NEEDS_REFRESH
    assert read_objects_from_osc_after(runner, tmp_path) == set()


def read_objects_from_osc(path: Path) -> set[tuple[str, int]]:
    return {(obj.type_str(), obj.id) for obj in osmium.FileProcessor(str(path))}


def read_objects_from_osc_after(runner, tmp_path) -> set[tuple[str, int]]:
    run(runner, "changes", "-o", tmp_path / "out.osc")
    return read_objects_from_osc(tmp_path / "out.osc")


def test_changes_since_a_date_and_bad_dates(session, runner, imported, tmp_path):
    place = pick_places(session)["node"]
    approve(session, place, {"wheelchair": local_values(place)["wheelchair"]})
    assert wrote(run(runner, "changes", "--since", "2000-01-01", "-o", tmp_path / "a.osc")) == 1
    assert wrote(run(runner, "changes", "--since", "2999-01-01", "-o", tmp_path / "b.osc")) == 0
    result = runner.invoke(args=["osm", "changes", "--since", "yesterday", "-o", str(tmp_path / "c.osc")])
    assert result.exit_code != 0 and "--since" in result.output

