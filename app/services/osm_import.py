"""Importing OpenStreetMap places with a three-way merge that keeps StepFree's local knowledge.

Per field, base is what the previous import saw (places.osm_seen), theirs is what OSM says now, ours is the
place's current public value:
- OSM unchanged (theirs == base): keep ours, whatever volunteers and moderators did since;
- OSM changed, ours untouched (ours == base): take OSM's value, as an `import` revision through apply_change;
- both changed and disagree: keep ours and file a conflict submission (origin `import`) for moderators, whose
  approval through moderation.approve applies OSM's values.
Objects gone from OSM are marked gone (never deleted) only when the caller says the file covers them
(mark_gone) and only inside the file's declared bounding box; a place with local changes (any revision not
made by the importer) is never marked gone: a `gone` correction goes to moderators instead.

The whole import runs in one savepoint of the caller's transaction: a corrupt file or any error leaves the
database as it was. Imports are serialised with a transaction-scoped advisory lock.
"""

import logging
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select, tuple_
from sqlalchemy.orm import Session

from app.models import Place, Revision, Submission
from app.models.base import utcnow
from app.services.audit import record_event
from app.services.osm_reader import DUPLICATE, UNMAPPED, OsmRecord, check_readable, file_bbox, read_places
from app.services.places import apply_change, create_place, snapshot
from geo.fields import COLUMN_FIELDS, KINDS

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# pg_advisory_xact_lock key: two imports at once would race on the same places and osm_seen.
IMPORT_LOCK_KEY = 0x5354_4550_4F53_4D  # "STEPOSM"
# The kinds an import conflict is filed as, so a moderator reviews it like a volunteer's change of those fields.
CONFLICT_KINDS = ("status", "details", "correction")
# Merged as units: a move changes lon and lat together.
MERGE_FIELDS: dict[str, tuple[str, ...]] = {
    **{key: (key,) for key in COLUMN_FIELDS}, "location": ("lon", "lat"), "gone": ("gone",),
}


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
    skipped: Counter = field(default_factory=Counter)
    unmapped_tags: Counter = field(default_factory=Counter)
    value_notes: Counter = field(default_factory=Counter)
    # Detail tags whose value could not be read ("door:width: not a length in m or cm"): left out, not guessed.
    skipped_values: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)

    @property
    def places(self) -> int:
        return self.created + self.updated + self.unchanged + self.conflicts

    def as_dict(self) -> dict:
        """JSON-ready counts (the audit event's details)."""
        return {
            "source": self.source, "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
            "conflicts": self.conflicts, "gone": self.gone, "gone_kept_local": self.gone_kept_local,
            "not_in_file": self.not_in_file, "superseded": self.superseded, "skipped": dict(self.skipped),
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
    with session.begin_nested():
        present: set[tuple[str, int]] = set()
        batch: list[OsmRecord] = []
        for record in records:
            if record.key in present:
                summary.skipped[DUPLICATE] += 1
                continue
            if record.still_a_place:
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
            batch.append(record)
            if len(batch) >= BATCH_SIZE:
                _merge_batch(session, batch, summary)
                batch = []
        _merge_batch(session, batch, summary)
        _handle_missing(session, present, bbox, mark_gone, summary)
        record_event(session, None, "import", details=summary.as_dict())
    log.info("OSM import of %s: %s", source, summary.as_dict())
    return summary


def _merge_batch(session: Session, batch: list[OsmRecord], summary: ImportSummary) -> None:
    if not batch:
        return
    keys = [record.key for record in batch]
    places = session.scalars(
        select(Place).where(tuple_(Place.osm_type, Place.osm_id).in_(keys)).with_for_update())
    existing = {(place.osm_type, place.osm_id): place for place in places}
    for record in batch:
        place = existing.get(record.key)
        if place is None:
            _create(session, record)
            summary.created += 1
        else:
            outcome = merge_place(session, place, record.seen(), summary)
            setattr(summary, outcome, getattr(summary, outcome) + 1)


def _create(session: Session, record: OsmRecord) -> Place:
    seen = record.seen()
    values = {k: seen[k] for k in (*COLUMN_FIELDS, "lon", "lat")}
    return create_place(session, values, source="osm", revision_source="import", osm_type=record.osm_type,
                        osm_id=record.osm_id, osm_seen=seen)


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


def _handle_missing(session: Session, present: set[tuple[str, int]], bbox, mark_gone: bool,
                    summary: ImportSummary) -> None:
    """Mark imported places that OSM no longer has as gone, or count them when the file may not cover them."""
    query = select(Place.id, Place.osm_type, Place.osm_id).where(Place.source == "osm", Place.gone_at.is_(None))
    if bbox is not None:
        query = query.where(func.ST_Intersects(Place.geom, func.ST_MakeEnvelope(*bbox, 4326)))
    missing = [row.id for row in session.execute(query) if (row.osm_type, row.osm_id) not in present]
    if not mark_gone:
        summary.not_in_file = len(missing)
        return
    for place_id in missing:
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
