"""The upstream queue: places from OpenStreetMap whose approved StepFree values differ from OSM's, field by field.

A field is offered when StepFree's value is one OSM can take (not unknown, not empty), differs from what OSM said
at the last import or diff (places.osm_seen), and the last change to it was a decision: a moderator's approval,
a trusted volunteer's auto-approved report from the place, a correction, revert, undo or merge. A value that came
from OSM itself, or from demo data, is never offered.

A place is a conflict, listed but left out of every file, when
- an import or diff found OSM's value changed while StepFree's differed, and a moderator has not settled that yet
  (a pending import conflict in the moderation queue): OSM's side must never be overwritten unseen;
- StepFree does not hold the OSM object as OSM has it (its version, every tag, its nodes or members): objects
  stored before these were kept, until the next import or diff refreshes them.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy import Float, and_, cast, false, func, or_, select
from sqlalchemy.orm import Session

from app.models import OsmNode, OsmRelation, OsmUpstreamHold, OsmWay, Place, Revision, Submission, User
from geo.geojson import iso_utc
from geo.osmchange import OWNED_FIELDS, OsmElement, maproulette_task, osm_value, tag_changes, write_osmchange
from geo.translatable import N_

# Revision sources that are decisions about a value (app/models/audit.py); "import" and "demo" are not.
DECIDED_SOURCES = frozenset({"moderation", "auto_approval", "correction", "revert", "undo", "merge"})
NEEDS_REFRESH = "needs_refresh"
OSM_CONFLICT = "osm_conflict"
CONFLICT_REASONS = {
    NEEDS_REFRESH: N_("StepFree does not hold this object as OpenStreetMap has it (its version, tags and geometry); "
                      "the next import or diff refreshes it."),
    OSM_CONFLICT: N_("OpenStreetMap's value changed since StepFree's was decided: settle the import conflict in the "
                     "moderation queue first."),
}
MAPROULETTE_INSTRUCTION = ("StepFree's moderators reviewed this place's wheelchair accessibility, reported by a "
                           "volunteer. Check the proposed tags against what you know or can see, then apply them.")


@dataclass
class Hold:
    reason: str
    held_at: datetime
    held_by: str | None


@dataclass
class FieldChange:
    key: str
    label: str
    osm_key: str
    osm: str | None        # OSM's tag value as StepFree last saw it (None: no tag)
    ours: str              # the value the change sets
    decided_at: datetime
    source: str            # the revision's source
    submission_id: int | None


@dataclass
class UpstreamItem:
    place_id: int
    name: str | None
    category: str
    osm_type: str
    osm_id: int
    lon: float
    lat: float
    fields: list[FieldChange] = field(default_factory=list)
    element: OsmElement | None = None
    conflict: str | None = None  # NEEDS_REFRESH or OSM_CONFLICT
    hold: Hold | None = None

    @property
    def decided_at(self) -> datetime:
        return max(f.decided_at for f in self.fields)

    @property
    def ref(self) -> str:
        return f"{self.osm_type}/{self.osm_id}"


def _differs():
    """SQL: some owned field holds a value OSM can take that differs from what OSM said."""
    tests = []
    for f in OWNED_FIELDS:
        column = getattr(Place, f.key)
        text_value = func.cast(column, Place.name.type) if f.type in ("count", "centimetres") else column
        offerable = column.is_not(None) if f.type != "choice" else and_(column.is_not(None), column != "unknown")
        tests.append(and_(offerable, text_value.is_distinct_from(Place.osm_seen[f.key].astext)))
    return or_(*tests) if tests else false()


def upstream_items(session: Session, *, since: datetime | None = None, place_ids: Iterable[int] | None = None,
                   include_held: bool = False) -> list[UpstreamItem]:
    """Every place with changes to offer OSM (decided at or after `since`), newest decision first; conflicts
    included (see the module's docstring), held places only if asked for."""
    query = (select(Place.id, Place.name, Place.category, Place.osm_type, Place.osm_id, Place.osm_seen,
                    cast(func.ST_X(Place.geom), Float), cast(func.ST_Y(Place.geom), Float),
                    *[getattr(Place, f.key) for f in OWNED_FIELDS])
             .where(Place.osm_type.is_not(None), Place.osm_seen.is_not(None), Place.gone_at.is_(None),
                    Place.hidden_at.is_(None), Place.merged_into_id.is_(None), _differs()))
    if place_ids is not None:
        query = query.where(Place.id.in_(list(place_ids)))
    items: dict[int, UpstreamItem] = {}
    ours: dict[int, dict] = {}
    for row in session.execute(query):
        place_id, name, category, osm_type, osm_id, seen, lon, lat, *values = row
        items[place_id] = UpstreamItem(place_id, name, category, osm_type, osm_id, lon, lat)
        ours[place_id] = {"seen": seen, **{f.key: v for f, v in zip(OWNED_FIELDS, values, strict=True)}}
    _decided_fields(session, items, ours, since)
    items = {place_id: item for place_id, item in items.items() if item.fields}
    _attach_elements(session, items)
    # OSM's tag may already say it in other words than StepFree read (osm_seen holds the values as read).
    items = {place_id: item for place_id, item in items.items() if item.element is None or item.element.changes}
    _mark_osm_conflicts(session, items)
    _attach_holds(session, items)
    if not include_held:
        items = {place_id: item for place_id, item in items.items() if item.hold is None}
    return sorted(items.values(), key=lambda item: (item.decided_at, item.place_id), reverse=True)


def _decided_fields(session: Session, items: dict[int, UpstreamItem], ours: dict[int, dict],
                    since: datetime | None) -> None:
    """Each differing field whose last change was a decision, from the places' revisions, newest first."""
    if not items:
        return
    revisions = session.execute(
        select(Revision.place_id, Revision.after, Revision.source, Revision.submission_id, Revision.created_at)
        .where(Revision.place_id.in_(list(items)))
        .order_by(Revision.place_id, Revision.version.desc()))
    last: dict[int, dict[str, tuple]] = {}
    for place_id, after, source, submission_id, created_at in revisions:
        latest = last.setdefault(place_id, {})
        for key in after.keys() - latest.keys():
            latest[key] = (source, submission_id, created_at)
    for place_id, item in items.items():
        values = ours[place_id]
        for f in OWNED_FIELDS:
            ours_value = osm_value(f, values[f.key])
            osm = osm_value(f, values["seen"].get(f.key))
            if ours_value is None or ours_value == osm or f.key not in last.get(place_id, {}):
                continue
            source, submission_id, created_at = last[place_id][f.key]
            if source not in DECIDED_SOURCES or (since is not None and created_at < since):
                continue
            item.fields.append(FieldChange(f.key, f.label, f.osm_key, osm, ours_value, created_at, source,
                                           submission_id))


def _attach_elements(session: Session, items: dict[int, UpstreamItem]) -> None:
    """The OSM objects as StepFree holds them, with the tags each change sets."""
    by_type: dict[str, dict[int, UpstreamItem]] = {"node": {}, "way": {}, "relation": {}}
    for item in items.values():
        by_type[item.osm_type][item.osm_id] = item
    found: dict[tuple[str, int], OsmElement] = {}
    if by_type["node"]:
        for row in session.scalars(select(OsmNode).where(OsmNode.id.in_(list(by_type["node"])))):
            found["node", row.id] = OsmElement("node", row.id, row.version, row.tags, x=row.x, y=row.y)
    for kind, model in (("way", OsmWay), ("relation", OsmRelation)):
        if not by_type[kind]:
            continue
        rows = session.scalars(select(model).where(model.id.in_(list(by_type[kind])), model.version.is_not(None)))
        for row in rows:
            found[kind, row.id] = OsmElement(kind, row.id, row.version, row.tags,
                                             nodes=list(row.nodes) if kind == "way" else [],
                                             members=row.members if kind == "relation" else [])
    for item in items.values():
        element = found.get((item.osm_type, item.osm_id))
        if element is None:
            item.conflict = NEEDS_REFRESH
            continue
        # check_date:wheelchair: the day of the newest decision, when someone last vouched for the values.
        checked = item.decided_at.astimezone(UTC).date()
        element.changes = tag_changes(element.tags, {f.osm_key: f.ours for f in item.fields}, checked)
        element.lon, element.lat = item.lon, item.lat
        item.element = element


def _mark_osm_conflicts(session: Session, items: dict[int, UpstreamItem]) -> None:
    if not items:
        return
    pending = session.scalars(select(Submission.place_id).where(
        Submission.place_id.in_(list(items)), Submission.origin == "import", Submission.state == "pending"))
    for place_id in set(pending):
        items[place_id].conflict = OSM_CONFLICT


def _attach_holds(session: Session, items: dict[int, UpstreamItem]) -> None:
    if not items:
        return
    rows = session.execute(select(OsmUpstreamHold, User.display_name)
                           .outerjoin(User, User.id == OsmUpstreamHold.held_by_id)
                           .where(OsmUpstreamHold.place_id.in_(list(items))))
    for hold, name in rows:
        items[hold.place_id].hold = Hold(hold.reason, hold.held_at, name)


def offered(items: Iterable[UpstreamItem]) -> list[UpstreamItem]:
    """The items that go into the files: no conflict, not held back."""
    return [item for item in items if item.conflict is None and item.hold is None and item.element is not None]


def write_osmchange_file(items: Iterable[UpstreamItem], out: TextIO) -> int:
    return write_osmchange((item.element for item in items), out, timestamp=iso_utc(datetime.now(UTC)))


def write_maproulette_file(items: Iterable[UpstreamItem], out: TextIO) -> int:
    written = 0
    for item in items:
        out.write(maproulette_task(item.element, instruction=MAPROULETTE_INSTRUCTION))
        written += 1
    return written
