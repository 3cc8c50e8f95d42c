"""Possible duplicates: a place a volunteer added that OpenStreetMap later also has, filed once and merged.

Filing (file_possible_duplicates) is one set-based statement for the OSM places an import or a diff created or
changed. A pair is a published volunteer place and a published OSM place of the same category, at most
DUPLICATE_METRES apart, with similar names. What counts as similar:
- pg_trgm's similarity of the lower-cased names ≥ NAME_SIMILARITY (0.3, pg_trgm's own default), or
  one name contained in the other as whole words (strict_word_similarity ≥ NAME_CONTAINED, 0.8). Measured on
  typical pairs (tests/test_duplicates.py): spelling variants score low ("Café Löwen" / "Cafe Loewen" 0.35,
  "Bäckerei Müller" / "Baeckerei Mueller" 0.42) and a name with or without its kind lower still ("Restaurant
  Adler" / "Adler" 0.35, "Post" / "Postamt Vaduz" 0.27), while different places of one kind score about as
  high ("Hotel Post" / "Hotel Sonne" 0.35, "Pizzeria Roma" / "Pizzeria Napoli" 0.43): no threshold separates
  them. Within 30 m and one category the cost decides: a missed duplicate stays on the public map as two markers
  for good, a wrong item costs a moderator one "not the same place", once. So the test leans to finding them;
  the containment rule adds the name-with-its-kind pairs, which similarity alone misses.
- Two unnamed places count as similar: OSM leaves toilets, elevators and parking unnamed, and two of the same
  kind within 30 m are rarely two things. One named and one unnamed place do not: nothing says they are the same,
  and the named one is usually a different thing (a café next to unnamed toilets is another category anyway).
Every pair is filed at most once, whatever became of its item: a unique index over (volunteer place, OSM place)
of the `duplicate` submissions (migration 0013) makes a rejected pair ("not the same place") never come back and
two imports at once file it once.

Merging (merge) approves the item: the OSM place keeps its identity and gains, as one revision (source `merge`),
the accessibility values the volunteer's place knows and it does not; the volunteer's place is hidden by a
revision of its own and points at the OSM place (merged_into_id). Both histories stay. Pending submissions on the
volunteer's place that are about the real place (status, details, still correct, photos, reports) move to the OSM
place, based on its version before the merge, so a moderator sees the merged values as a conflict before applying
them over; corrections of the volunteer's record (its name, position, closure) and its other duplicate items
are superseded, since the OSM object's identity now rules. Its photos move with it. A merge is not undoable in
one step (it changed two places and moved submissions): the moderator reverts from the places' histories.
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from app.errors import Conflict, ValidationError
from app.i18n import place_label
from app.models import Photo, Place, Submission, User
from app.queries.moderation import get_submission
from app.services.audit import record_event
from app.services.moderation import ensure_not_claimed_by_other, finish, lock_undecided
from app.services.places import apply_change, get_place
from geo.fields import ACCESSIBILITY_FIELDS

DUPLICATE_METRES = 30
NAME_SIMILARITY = 0.3
NAME_CONTAINED = 0.8
# Pending submissions of these kinds are about the real place and follow it to the OSM place; the others are
# about the volunteer's record and are superseded by the merge.
MOVED_KINDS = ("status", "details", "still_correct", "photo", "report", "photo_report")
# Degrees of latitude per metre (longitude degrees are shorter by cos(latitude): the query widens by that).
METRES_PER_DEGREE = 111_320
_THRESHOLDS = {"metres": DUPLICATE_METRES, "similarity": NAME_SIMILARITY, "contained": NAME_CONTAINED}

_FILE_PAIRS = f"""
INSERT INTO submissions (kind, state, origin, place_id, proposed, base_version, geom)
SELECT 'duplicate', 'pending', 'import', v.id, jsonb_build_object('duplicate_of', o.id), v.version, v.geom
FROM places o
JOIN places v
  -- Each degree radius is at least {DUPLICATE_METRES} m in every direction; one is reckoned at each place's latitude,
  -- so either side can be looked up in a GiST index: the volunteers' places around a few OSM places (a diff), or
  -- the OSM places around every volunteer's place (a whole import). The geography distance then decides in metres.
  ON ST_DWithin(v.geom, o.geom, :metres / {METRES_PER_DEGREE}.0 / greatest(cos(radians(ST_Y(o.geom))), 0.01))
 AND ST_DWithin(o.geom, v.geom, :metres / {METRES_PER_DEGREE}.0 / greatest(cos(radians(ST_Y(v.geom))), 0.01))
 AND ST_DWithin(v.geom::geography, o.geom::geography, :metres)
 AND v.source = 'volunteer' AND v.hidden_at IS NULL AND v.gone_at IS NULL
 AND v.category = o.category
 AND (similarity(lower(v.name), lower(o.name)) >= :similarity
      OR greatest(strict_word_similarity(lower(v.name), lower(o.name)),
                  strict_word_similarity(lower(o.name), lower(v.name))) >= :contained
      OR (v.name IS NULL AND o.name IS NULL))
WHERE {{which}} AND o.source = 'osm' AND o.hidden_at IS NULL AND o.gone_at IS NULL
ORDER BY v.id, o.id
ON CONFLICT (place_id, (proposed ->> 'duplicate_of')) WHERE kind = 'duplicate' DO NOTHING
"""
# The OSM places given by id (a diff's few), or those an import created or changed since it started: selected by
# PostgreSQL, so a country's import never holds their ids in Python.
_FILE_PAIRS_BY_ID = text(_FILE_PAIRS.format(which="o.id = ANY(:ids)"))
_FILE_PAIRS_SINCE = text(_FILE_PAIRS.format(which="(o.created_at >= :since OR o.updated_at >= :since)"))


def file_possible_duplicates(session: Session, osm_place_ids) -> int:
    """File one pending `duplicate` item per new pair of a volunteer's place and one of these OSM places.

    Returns how many were filed; pairs filed before (pending or decided) are left alone.
    """
    ids = sorted({int(i) for i in osm_place_ids})
    if not ids:
        return 0
    return session.execute(_FILE_PAIRS_BY_ID, {"ids": ids, **_THRESHOLDS}).rowcount


def file_duplicates_since(session: Session, since: datetime) -> int:
    """As file_possible_duplicates, for the OSM places created or changed at or after `since` (an import's)."""
    return session.execute(_FILE_PAIRS_SINCE, {"since": since, **_THRESHOLDS}).rowcount


def duplicate_of(submission: Submission) -> int:
    """The id of the OSM place a `duplicate` item says the volunteer's place duplicates."""
    if submission.kind != "duplicate":
        raise ValidationError(_("Submission %(id)s is not a possible duplicate.", id=submission.id), "submission_id")
    return int(submission.proposed["duplicate_of"])


def _known(value) -> bool:
    return value not in (None, "", "unknown")


def merge(session: Session, submission_id: int, moderator: User) -> Submission:
    """Approve a possible duplicate by merging the volunteer's place into the OSM place; repeating it is a no-op."""
    submission = get_submission(session, submission_id)
    volunteer_id, osm_id = submission.place_id, duplicate_of(submission)
    # Places before submissions, by ascending id (moderation.lock_submission): no lock cycle with other writers.
    session.execute(select(Place.id).where(Place.id.in_((volunteer_id, osm_id))).order_by(Place.id)
                    .with_for_update())
    submission = lock_undecided(session, submission_id, "approved")
    if submission.state == "approved":
        return submission
    ensure_not_claimed_by_other(submission, moderator)
    volunteer = get_place(session, volunteer_id, for_update=True)
    osm = get_place(session, osm_id, for_update=True)
    for place in (volunteer, osm):
        if not place.is_published:
            raise Conflict(_("%(name)s is hidden or gone, so there is nothing to merge: reject this item as not "
                             "the same place.", name=place_label(place)), "submission_id", code="not_mergeable")

    before = osm.version
    carried = {key: getattr(volunteer, key) for key in ACCESSIBILITY_FIELDS
               if _known(getattr(volunteer, key)) and not _known(getattr(osm, key))}
    if carried:
        apply_change(session, osm, carried, revision_source="merge", actor=moderator, submission_id=submission.id,
                     verified=False)
        # The carried values were checked when the volunteer's place was: the OSM place is as fresh as that.
        checks = [t for t in (osm.last_verified_at, volunteer.last_verified_at) if t is not None]
        osm.last_verified_at = max(checks) if checks else None
    apply_change(session, volunteer, {"hidden": True}, revision_source="merge", actor=moderator,
                 submission_id=submission.id, verified=False)
    volunteer.merged_into_id = osm.id
    moved, superseded = _move_pending(session, submission, volunteer, osm, before, moderator)
    session.execute(update(Photo).where(Photo.place_id == volunteer.id).values(place_id=osm.id))

    finish(submission, "approved", moderator, notify=False)
    details = {"carried": sorted(carried), "moved": moved, "superseded": superseded}
    record_event(session, moderator, "merge", submission_id=submission.id, place_id=volunteer.id,
                 details={"merged_into": osm.id, **details})
    record_event(session, moderator, "merge", submission_id=submission.id, place_id=osm.id,
                 details={"merged_from": volunteer.id, **details})
    session.flush()
    return submission


def _move_pending(session: Session, item: Submission, volunteer: Place, osm: Place, osm_version: int,
                  moderator: User) -> tuple[list[int], list[int]]:
    """Move the volunteer place's pending submissions to the OSM place, or supersede them (see the module)."""
    pending = session.scalars(select(Submission).where(Submission.place_id == volunteer.id,
                                                       Submission.state == "pending", Submission.id != item.id)
                              .order_by(Submission.id).with_for_update())
    moved, superseded = [], []
    for submission in pending:
        if submission.kind in MOVED_KINDS:
            submission.place_id = osm.id
            submission.geom = osm.geom
            if submission.base_version is not None:
                submission.base_version = osm_version
            moved.append(submission.id)
        else:
            finish(submission, "superseded", moderator)
            superseded.append(submission.id)
    return moved, superseded
