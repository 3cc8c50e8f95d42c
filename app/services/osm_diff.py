"""Applying an OpenStreetMap change file (.osc) with the import's three-way merge (app/services/osm_import.py).

Geometry is the hard part: a change file lists a modified way's node ids, but a node's location only when the
node itself changed, and a moved node moves every way it belongs to. What a diff needs is kept between runs:
- Every node location, in a pyosmium `sparse_file_array` index file (osm2pgsql's "flat nodes" idea; path set by
  OSM_NODE_INDEX, default `osm-nodes.idx` in the instance folder). The full import's reading pass writes it (the
  index it keeps node locations in anyway, on disk rather than in memory; no Python per node), 16 bytes a node, and
  pyosmium reopens it with its content. It is written once per import and never changed afterwards, because neither
  file index updates well: a sparse array's set() of a known id appends a second entry that get() never finds (we
  checked), and a dense array costs 8 bytes times the highest node id on disk (about 100 GB with today's ids),
  whatever the extract's size. The locations a diff brings (moved, new, deleted nodes) go to the osm_node_overlay
  table instead, read before the file: they commit or roll back with the diff's places and its replication
  sequence, so a failed diff leaves nothing half-applied.
- In the database (osm_ways, osm_relations): the node lists and tags of the ways that are places, of the
  relations that carry a category key and of their member ways, with GIN indexes from a node to its ways and
  from a way to its relations. Places are a few percent of the objects, so this stays small; a way that becomes
  a place later arrives whole in the diff that makes it one.
The affected objects (those in the change, the ways of moved nodes, the relations of affected ways) are written
with the nodes they need into a small OSM file, which the import's own reader reads (read_places): the same
classification, categories, unnamed kinds, addresses and geometry, so a diff gives what a re-import of the new
file gives. An object deleted, or whose tags no longer make it a place, follows the import's gone rules.
Nothing is silently wrong: a way with a node whose location is unknown is counted as the import counts it ("way
has nodes missing from the file"), a relation whose member ways StepFree does not keep under MISSING_MEMBERS, and
such a place keeps its values. An index file belongs to one import (a token beside it and in osm_replication):
a diff refuses another one.
"""

import logging
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import osmium
import osmium.filter
import osmium.index
from flask_babel import gettext as _
from psycopg.types.json import Jsonb
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import OsmNode, OsmNodeOverlay, OsmRelation, OsmReplication, OsmWay, Place
from app.models.base import utcnow
from app.services.audit import record_event
from app.services.osm_import import IMPORT_LOCK_KEY, ImportSummary, import_records, mark_missing, merge_records
from app.services.osm_reader import (
    INVALID_AREA,
    UNMAPPED,
    OsmRecord,
    check_readable,
    count_candidates,
    file_bbox,
    read_places,
)
from geo.osm_tags import CATEGORY_KEYS_ORDER

log = logging.getLogger(__name__)

CHANGE_SUFFIXES = (".osc", ".osc.gz", ".osc.bz2")
INDEX_MAP = "sparse_file_array"
MISSING_MEMBERS = "relation has member ways StepFree does not keep"
ROW_BATCH = 2000


class OsmChangeError(AppError):
    """The change file or the state a diff needs is unusable; nothing was changed."""

    status = 400
    code = "osm_change_unusable"


@dataclass
class OsmObject:
    """One object as the change file or the database has it (node location in 1e-7 degrees)."""

    version: int = 0
    deleted: bool = False
    tags: dict = field(default_factory=dict)
    location: tuple[int, int] | None = None
    nodes: list[int] = field(default_factory=list)
    members: list[list] = field(default_factory=list)


@dataclass
class Change:
    """The newest version of each object in a change file."""

    nodes: dict[int, OsmObject] = field(default_factory=dict)
    ways: dict[int, OsmObject] = field(default_factory=dict)
    relations: dict[int, OsmObject] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        everything = [*self.nodes.values(), *self.ways.values(), *self.relations.values()]
        return {"nodes": len(self.nodes), "ways": len(self.ways), "relations": len(self.relations),
                "deleted": sum(obj.deleted for obj in everything)}


@dataclass
class PendingIndex:
    """A node index written beside the live one, to be moved into place once the import commits."""

    written: Path
    final: Path
    token: str
    # The objects with a category key the import will read (its progress length): counted by a first pass, or
    # taken from the last import of the same extract.
    candidates: int = 0
    # The objects with a category key the import read, counted as it reads them.
    read: int = 0

    def install(self) -> None:
        os.replace(self.written, self.final)
        _token_path(self.final).write_text(self.token)

    def discard(self) -> None:
        self.written.unlink(missing_ok=True)


def _is_candidate(tags: dict) -> bool:
    return any(key in tags for key in CATEGORY_KEYS_ORDER)


def _token_path(index: Path) -> Path:
    return index.with_name(index.name + ".token")


def check_change_file(path: str | os.PathLike) -> Path:
    """Refuse a change file that is missing, unreadable or not named like one, before any work starts."""
    file = Path(path)
    if not file.is_file():
        raise OsmChangeError(_("%(file)s: no such file. Give the path of an OpenStreetMap change file (.osc or "
                               ".osc.gz).", file=str(file)), "file")
    if not os.access(file, os.R_OK):
        raise OsmChangeError(_("%(file)s: permission denied. Make the file readable for this user.",
                               file=str(file)), "file")
    if not file.name.lower().endswith(CHANGE_SUFFIXES):
        raise OsmChangeError(_("%(file)s: unknown file type. StepFree applies OpenStreetMap change files named "
                               "%(suffixes)s.", file=str(file), suffixes=", ".join(CHANGE_SUFFIXES)), "file")
    return file


def read_change(path: str | os.PathLike) -> Change:
    """Read a change file whole, keeping each object's newest version (a replication diff may hold several)."""
    file = check_change_file(path)
    change = Change()
    stores = {"n": change.nodes, "w": change.ways, "r": change.relations}
    try:
        for obj in osmium.FileProcessor(str(file)):
            store = stores[obj.type_str()]
            if obj.id in store and store[obj.id].version > obj.version:
                continue
            item = OsmObject(version=obj.version, deleted=obj.deleted or not obj.visible, tags=dict(obj.tags))
            if obj.is_node() and obj.location.valid():
                item.location = (obj.location.x, obj.location.y)
            elif obj.is_way():
                item.nodes = [ref.ref for ref in obj.nodes]
            elif obj.is_relation():
                item.members = [[member.type, member.ref, member.role] for member in obj.members]
            store[obj.id] = item
    except RuntimeError as error:
        raise OsmChangeError(_("%(file)s: cannot be read as an OpenStreetMap change file (%(reason)s). Download it "
                               "again; nothing was changed.", file=str(file), reason=str(error)), "file") from None
    return change


def new_node_index(session: Session, path: str | os.PathLike, index: Path) -> PendingIndex:
    """Before a full import: the name of the node index file it will write beside `index`, and its progress length.

    A re-import of the extract imported last (same file name: an updated download of the same area) takes that
    import's count; any other file is counted first, a quick pass (about a sixth of the import's reading time)."""
    file = check_readable(path)
    index.parent.mkdir(parents=True, exist_ok=True)
    pending = PendingIndex(index.with_name(index.name + ".new"), index, uuid.uuid4().hex)
    pending.discard()
    state = session.get(OsmReplication, 1)
    if state is not None and state.candidates and state.imported_file == file.name:
        pending.candidates = state.candidates
    else:
        pending.candidates = count_candidates(file)
    return pending


def import_extract(session: Session, path: str | os.PathLike, pending: PendingIndex, *, mark_gone: bool = False,
                   progress: Callable[[int], None] | None = None) -> ImportSummary:
    """What `flask osm import` runs after new_node_index: the places (app/services/osm_import.py), reading the
    file once with every node's location written to the pending index, then what diffs need. Flushes, never
    commits; the caller installs `pending` after its commit, or discards it."""
    file = check_readable(path)
    locations = osmium.index.create_map(f"{INDEX_MAP},{pending.written}")

    def counted(read: int) -> None:
        pending.read += read
        if progress is not None:
            progress(read)

    records = read_places(file, progress=counted, locations=locations)
    del locations  # the reader holds the index: its file is complete and closed once the records are read
    summary = import_records(session, records, source=file.name, bbox=file_bbox(file), mark_gone=mark_gone)
    write_osm_state(session, file, pending)
    return summary


def write_osm_state(session: Session, path: str | os.PathLike, pending: PendingIndex) -> None:
    """After a full import of path: the ways and relations diffs need, and the state naming the node index.

    Kept: the relations with a category key, their member ways, and the ways that are places. A road or a
    nameless shop outline is not kept: a diff that turns it into a place carries the whole way, whose node
    locations the index has. Reading node lists in Python is what costs here, so only these ways are read
    (pyosmium's IdFilter, in C++).
    """
    file = check_readable(path)
    for model in (OsmNodeOverlay, OsmWay, OsmRelation):
        session.execute(delete(model))
    members: set[int] = set()
    relations = []
    for obj in osmium.FileProcessor(str(file), osmium.osm.RELATION).with_filter(
            osmium.filter.KeyFilter(*CATEGORY_KEYS_ORDER)):
        row = _relation_row(obj.id, [[m.type, m.ref, m.role] for m in obj.members], dict(obj.tags), obj.version)
        members.update(row["member_ways"])
        relations.append(row)
    _insert(session, OsmRelation, relations)
    kept = members | set(session.scalars(select(Place.osm_id).where(Place.osm_type == "way",
                                                                     Place.gone_at.is_(None))))
    if kept:
        ways = osmium.FileProcessor(str(file), osmium.osm.WAY).with_filter(osmium.filter.IdFilter(kept))
        _copy_ways(session, ((w.id, [n.ref for n in w.nodes], dict(w.tags), w.version) for w in ways))
    with osmium.io.Reader(str(file), osmium.osm.NOTHING) as reader:
        header = reader.header()
        sequence = header.get("osmosis_replication_sequence_number")
        timestamp = header.get("osmosis_replication_timestamp")
    state = osm_state(session)
    state.imported_file, state.imported_at, state.node_index_token = file.name, utcnow(), pending.token
    state.candidates = pending.read
    state.sequence = int(sequence) if sequence and sequence.isdigit() else None
    state.data_timestamp = _parse_timestamp(timestamp)
    state.source, state.last_update_at, state.last_update_file = None, None, None
    session.flush()


def _parse_timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("\\:", ":").replace("Z", "+00:00"))
    except ValueError:
        return None


def _relation_row(relation_id: int, members: list[list], tags: dict, version: int) -> dict:
    return {"id": relation_id, "members": members, "tags": tags, "version": version,
            "member_ways": sorted({ref for kind, ref, _role in members if kind == "w"})}


def _insert(session: Session, model, rows) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= ROW_BATCH:
            session.execute(insert(model), batch)
            batch = []
    if batch:
        session.execute(insert(model), batch)


def _copy_ways(session: Session, rows) -> None:
    """The ways with a category key, by COPY: a country has hundreds of thousands (every road is highway=*), and
    row-by-row inserts cost more than the rest of the import (benchmarks/import_bench.py)."""
    session.flush()
    connection = session.connection().connection.driver_connection
    with connection.cursor() as cursor, cursor.copy("COPY osm_ways (id, nodes, tags, version) FROM STDIN") as copy:
        copy.set_types(["int8", "int8[]", "jsonb", "int4"])
        for way_id, nodes, tags, version in rows:
            copy.write_row((way_id, nodes, Jsonb(tags), version))


def osm_state(session: Session) -> OsmReplication:
    """The state row, locked for update (created on first use)."""
    state = session.get(OsmReplication, 1, with_for_update=True)
    if state is None:
        state = OsmReplication(id=1)
        session.add(state)
    return state


def open_node_index(session: Session, index: Path):
    """The node index of this database's last import, or an error saying how to get one."""
    state = session.get(OsmReplication, 1)
    if state is None or state.node_index_token is None:
        raise OsmChangeError(_("No OpenStreetMap import is recorded in this database: run 'flask osm import FILE' "
                               "with the extract the change files follow, then apply them."), "file")
    token = _token_path(index)
    if not index.is_file() or not token.is_file():
        raise OsmChangeError(_("The node location index %(path)s is missing. Run 'flask osm import %(file)s' again "
                               "(it writes the index), or point --node-index (OSM_NODE_INDEX) at it.",
                               path=str(index), file=state.imported_file), "node_index")
    if token.read_text().strip() != state.node_index_token:
        raise OsmChangeError(_("The node location index %(path)s belongs to another import than this database's. "
                               "Run 'flask osm import %(file)s' again.", path=str(index),
                               file=state.imported_file), "node_index")
    return osmium.index.create_map(f"{INDEX_MAP},{index}")


def apply_change(session: Session, change: Change, index: Path, *, source: str) -> ImportSummary:
    """Merge one change into the places, in one savepoint; flush, never commit."""
    summary = ImportSummary(source=source)
    session.execute(select(func.pg_advisory_xact_lock(IMPORT_LOCK_KEY)))
    base = open_node_index(session, index)
    with session.begin_nested():
        ways = _stored(session, OsmWay, _ways_of_nodes(session, list(change.nodes)) - set(change.ways))
        ways.update(change.ways)
        relations = _stored(session, OsmRelation, _relations_of_ways(session, list(ways)) - set(change.relations))
        relations.update(change.relations)
        evaluated = {("node", i) for i in change.nodes} | {("way", i) for i in ways} | \
            {("relation", i) for i in relations}
        incomplete = _add_member_ways(session, relations, ways)
        records = _read_records(session, change, ways, relations, base, evaluated)
        to_merge: list[OsmRecord] = []
        gone: list[tuple[str, int]] = []
        for key in sorted(evaluated):
            record = records.get(key)
            if record is not None and record.skip == INVALID_AREA and key[1] in incomplete and key[0] == "relation":
                record.skip, record.detail = MISSING_MEMBERS, None
            if record is not None and record.skip is not None:
                summary.skipped[record.skip] += 1
                if record.skip == UNMAPPED and record.detail:
                    summary.unmapped_tags[record.detail] += 1
            if record is None or not (record.still_a_place or record.skip == MISSING_MEMBERS):
                gone.append(key)
            elif record.skip is None:
                to_merge.append(record)
        merge_records(session, to_merge, summary)
        mark_missing(session, gone, summary)
        _store_change(session, change)
        _store_place_nodes(session, change, [record.osm_id for record in to_merge if record.osm_type == "node"])
        state = osm_state(session)
        state.last_update_at, state.last_update_file = utcnow(), source
        record_event(session, None, "import", details={**summary.as_dict(), "change": change.counts()})
    log.info("OSM change %s: %s", source, summary.as_dict())
    return summary


def _ways_of_nodes(session: Session, node_ids: list[int]) -> set[int]:
    if not node_ids:
        return set()
    return set(session.scalars(select(OsmWay.id).where(OsmWay.nodes.overlap(node_ids))))


def _relations_of_ways(session: Session, way_ids: list[int]) -> set[int]:
    if not way_ids:
        return set()
    return set(session.scalars(select(OsmRelation.id).where(OsmRelation.member_ways.overlap(way_ids))))


def _stored(session: Session, model, ids: set[int]) -> dict[int, OsmObject]:
    if not ids:
        return {}
    rows = session.scalars(select(model).where(model.id.in_(ids)))
    if model is OsmWay:
        return {row.id: OsmObject(tags=row.tags, nodes=list(row.nodes)) for row in rows}
    return {row.id: OsmObject(tags=row.tags, members=row.members) for row in rows}


def _add_member_ways(session: Session, relations: dict[int, OsmObject], ways: dict[int, OsmObject]) -> set[int]:
    """Load the member ways multipolygons need into `ways`; return the relations with members nowhere to be found."""
    wanted = {ref: relation_id for relation_id, relation in relations.items()
              if not relation.deleted and relation.tags.get("type") == "multipolygon"
              for kind, ref, _role in relation.members if kind == "w" and ref not in ways}
    ways.update(_stored(session, OsmWay, set(wanted)))
    return {relation_id for ref, relation_id in wanted.items() if ref not in ways}


def _read_records(session: Session, change: Change, ways: dict[int, OsmObject], relations: dict[int, OsmObject],
                  base, evaluated: set) -> dict[tuple[str, int], OsmRecord]:
    """Write the affected objects and their nodes into a small OSM file; read it as the import reads an extract."""
    needed = {ref for way in ways.values() if not way.deleted for ref in way.nodes} | set(change.nodes)
    locations = _locations(session, change, needed, base)
    with tempfile.TemporaryDirectory(prefix="stepfree-osc-") as folder:
        path = Path(folder) / "affected.osm.pbf"
        writer = osmium.SimpleWriter(str(path))
        try:
            for node_id in sorted(needed):
                if node_id in locations:
                    x, y = locations[node_id]
                    node = change.nodes.get(node_id)
                    # A changed node with its own version: a place's is what osm_nodes keeps (the import's merge).
                    writer.add_node(osmium.osm.mutable.Node(
                        id=node_id, version=node.version if node is not None else 1,
                        location=osmium.osm.Location(x / 1e7, y / 1e7), tags=node.tags if node is not None else {}))
            for way_id, way in sorted(ways.items()):
                if not way.deleted:
                    writer.add_way(osmium.osm.mutable.Way(id=way_id, version=1, nodes=way.nodes, tags=way.tags))
            for relation_id, relation in sorted(relations.items()):
                if not relation.deleted:
                    writer.add_relation(osmium.osm.mutable.Relation(
                        id=relation_id, version=1, members=[tuple(m) for m in relation.members],
                        tags=relation.tags))
        finally:
            writer.close()
        return {record.key: record for record in read_places(path) if record.key in evaluated}


def _locations(session: Session, change: Change, node_ids: set[int], base) -> dict[int, tuple[int, int]]:
    """Node locations as of after the change: the change's own, then earlier diffs' (overlay), then the index."""
    found: dict[int, tuple[int, int]] = {}
    unknown: set[int] = set()
    for node_id in node_ids:
        node = change.nodes.get(node_id)
        if node is None:
            unknown.add(node_id)
        elif not node.deleted and node.location is not None:
            found[node_id] = node.location
    if unknown:
        overlay = session.execute(select(OsmNodeOverlay.id, OsmNodeOverlay.x, OsmNodeOverlay.y)
                                  .where(OsmNodeOverlay.id.in_(unknown)))
        for row in overlay:
            unknown.discard(row.id)
            if row.x is not None:
                found[row.id] = (row.x, row.y)
    for node_id in unknown:
        try:
            location = base.get(node_id)
        except KeyError:
            continue  # not in the extract nor in any diff since: the way is counted as missing nodes
        found[node_id] = (location.x, location.y)
    return found


def _store_change(session: Session, change: Change) -> None:
    """Keep what the next diffs need: the change's node locations, candidate ways and relations."""
    nodes = [{"id": i, "x": n.location[0] if n.location and not n.deleted else None,
              "y": n.location[1] if n.location and not n.deleted else None} for i, n in change.nodes.items()]
    for start in range(0, len(nodes), ROW_BATCH):
        statement = insert(OsmNodeOverlay).values(nodes[start:start + ROW_BATCH])
        session.execute(statement.on_conflict_do_update(
            index_elements=["id"], set_={"x": statement.excluded.x, "y": statement.excluded.y}))
    keep = {i: r for i, r in change.relations.items() if not r.deleted and _is_candidate(r.tags)}
    session.execute(delete(OsmRelation).where(OsmRelation.id.in_(set(change.relations))))
    _insert(session, OsmRelation, (_relation_row(i, r.members, r.tags, r.version) for i, r in keep.items()))
    members = _member_ways(session, list(change.ways))
    session.execute(delete(OsmWay).where(OsmWay.id.in_(set(change.ways))))
    _insert(session, OsmWay, ({"id": i, "nodes": w.nodes, "tags": w.tags, "version": w.version}
                              for i, w in change.ways.items()
                              if not w.deleted and (_is_candidate(w.tags) or i in members)))


def _store_place_nodes(session: Session, change: Change, places: list[int]) -> None:
    """The change's nodes that are no longer places are no longer kept (the merge wrote the others to osm_nodes)."""
    session.execute(delete(OsmNode).where(OsmNode.id.in_(set(change.nodes) - set(places))))


def _member_ways(session: Session, way_ids: list[int]) -> set[int]:
    if not way_ids:
        return set()
    members = session.scalars(select(func.unnest(OsmRelation.member_ways))
                              .where(OsmRelation.member_ways.overlap(way_ids)))
    return set(members) & set(way_ids)
