"""Re-importing OSM data: the three-way merge keeps StepFree's local knowledge (hand-made files in data/osm).

merge_v1.osm is the first import; merge_v2.osm is the same area later, with each merge case on its own node
(see the comments in the files). Local changes go through the real submission and moderation services.
"""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import ModerationEvent, Place, Revision, Submission
from app.services import moderation
from app.services.osm_import import ImportSummary, file_conflict, import_file, three_way
from app.services.submissions import Submitter, hash_device_token, submit_correction, submit_status
from geo.fields import KINDS
from tests.factories import make_user

DATA = Path(__file__).parent / "data" / "osm"
V1, V2 = DATA / "merge_v1.osm", DATA / "merge_v2.osm"
DEVICE = Submitter(device_hash=hash_device_token("osm-merge-volunteer"))
SEEN = {"name": "A", "category": "food", "wheelchair": "yes", "toilets_wheelchair": "unknown", "description": None,
        "lon": 9.5, "lat": 47.1, "gone": False}


pytestmark = pytest.mark.usefixtures("app_context")


def _place(session, osm_type: str, osm_id: int) -> Place:
    place = session.scalars(select(Place).where(Place.osm_type == osm_type, Place.osm_id == osm_id)).one()
    session.refresh(place)
    return place


def _locally(session, osm_id: int, **values) -> None:
    """A volunteer's change to node osm_id, approved by a moderator: StepFree's local knowledge."""
    place = _place(session, "node", osm_id)
    status = {k: v for k, v in values.items() if k in KINDS["status"].fields}
    submit = submit_status if status else submit_correction
    submission = submit(session, DEVICE, place.id, status or values)
    moderation.approve(session, submission.id, make_user(session, role="moderator"))


def _import_conflicts(session, place: Place) -> list[Submission]:
    return list(session.scalars(select(Submission).where(
        Submission.place_id == place.id, Submission.origin == "import").order_by(Submission.id)))


@pytest.fixture
def after_v1(session):
    summary = import_file(session, V1)
    assert summary.created == 10
    return summary


def test_merge_osm_unchanged_keeps_the_local_value(session, after_v1):
    _locally(session, 1, wheelchair="no")
    summary = import_file(session, V2)
    place = _place(session, "node", 1)
    assert place.wheelchair == "no"
    assert _import_conflicts(session, place) == []
    assert summary.conflicts == 0  # OSM left n1 alone: the local value is no conflict


def test_merge_osm_change_without_local_change_is_taken_as_import_revision(session, after_v1):
    import_file(session, V2)
    place = _place(session, "node", 2)
    assert (place.wheelchair, place.version) == ("yes", 2)
    revision = session.scalars(select(Revision).where(Revision.place_id == place.id, Revision.version == 2)).one()
    assert revision.source == "import" and revision.actor_id is None
    assert (revision.before, revision.after) == ({"wheelchair": "no"}, {"wheelchair": "yes"})
    assert place.osm_seen["wheelchair"] == "yes"


def test_merge_osm_move_without_local_change_moves_the_place(session, after_v1):
    import_file(session, V2)
    place = _place(session, "node", 8)
    assert (session.scalar(func.ST_X(place.geom)), session.scalar(func.ST_Y(place.geom))) == \
        pytest.approx((9.5228, 47.1418))


def test_merge_both_changed_and_disagree_keeps_local_and_files_one_conflict(session, after_v1):
    _locally(session, 3, wheelchair="limited")
    import_file(session, V2)
    place = _place(session, "node", 3)
    assert place.wheelchair == "limited"
    [conflict] = _import_conflicts(session, place)
    assert (conflict.kind, conflict.state, conflict.proposed) == ("status", "pending", {"wheelchair": "yes"})
    assert conflict.author_id is None and conflict.device_hash is None
    assert conflict.base_version == place.version
    assert session.scalar(select(func.ST_Equals(conflict.geom, place.geom)))
    event = session.scalars(select(ModerationEvent).where(ModerationEvent.submission_id == conflict.id)).one()
    assert event.action == "import_conflict"
    assert event.details["osm"] == {"wheelchair": "yes"} and event.details["stepfree"] == {"wheelchair": "limited"}


def test_merge_conflict_approved_by_a_moderator_applies_the_osm_value(session, after_v1):
    _locally(session, 7, name="Hotel 7")
    import_file(session, V2)
    place = _place(session, "node", 7)
    [conflict] = _import_conflicts(session, place)
    assert (conflict.kind, conflict.proposed) == ("correction", {"name": "Hotel Siebenstern"})
    assert place.name == "Hotel 7"
    moderation.approve(session, conflict.id, make_user(session, role="moderator"))
    assert _place(session, "node", 7).name == "Hotel Siebenstern"


def test_merge_both_changed_to_the_same_value_is_no_conflict(session, after_v1):
    _locally(session, 4, wheelchair="yes")
    import_file(session, V2)
    place = _place(session, "node", 4)
    assert place.wheelchair == "yes" and place.version == 2
    assert _import_conflicts(session, place) == []


def test_merge_conflict_is_not_filed_twice(session, after_v1):
    _locally(session, 3, wheelchair="limited")
    import_file(session, V2)
    place = _place(session, "node", 3)
    filed = file_conflict(session, place, "status", {"wheelchair": "yes"}, {"wheelchair": "limited"},
                          ImportSummary(source="test"))
    assert filed is False
    assert len(_import_conflicts(session, place)) == 1


def test_merge_osm_reverting_supersedes_the_older_conflict(session, after_v1):
    _locally(session, 3, wheelchair="limited")
    import_file(session, V2)
    summary = import_file(session, V1)  # OSM went back to "no" since
    place = _place(session, "node", 3)
    older, newer = _import_conflicts(session, place)
    assert (older.state, older.proposed) == ("superseded", {"wheelchair": "yes"})
    assert (newer.state, newer.proposed) == ("pending", {"wheelchair": "no"})
    assert summary.superseded == 1
    assert place.wheelchair == "limited"


def test_merge_reimporting_the_same_file_changes_nothing(session, after_v1):
    _locally(session, 3, wheelchair="limited")
    import_file(session, V2)
    revisions = session.scalar(select(func.count()).select_from(Revision))
    submissions = session.scalar(select(func.count()).select_from(Submission))
    summary = import_file(session, V2)
    assert (summary.created, summary.updated, summary.conflicts, summary.unchanged) == (0, 0, 0, 8)
    assert session.scalar(select(func.count()).select_from(Revision)) == revisions
    assert session.scalar(select(func.count()).select_from(Submission)) == submissions


def test_merge_gone_objects_are_only_counted_without_mark_gone(session, after_v1):
    summary = import_file(session, V2)
    assert summary.not_in_file == 2 and summary.gone == 0
    assert _place(session, "node", 5).gone_at is None


def test_merge_mark_gone_marks_gone_but_never_deletes(session, after_v1):
    summary = import_file(session, V2, mark_gone=True)
    place = _place(session, "node", 5)
    assert summary.gone == 2  # n5 and n6, neither changed locally here
    assert session.scalar(select(func.count()).select_from(Place)) == 10
    assert place.gone_at is not None and not place.is_published
    revision = session.scalars(select(Revision).where(Revision.place_id == place.id, Revision.version == 2)).one()
    assert (revision.source, revision.after) == ("import", {"gone": True})


def test_merge_mark_gone_spares_places_with_local_changes(session, after_v1):
    _locally(session, 6, description="Step-free entrance on the garden side")
    summary = import_file(session, V2, mark_gone=True)
    place = _place(session, "node", 6)
    assert place.gone_at is None
    assert summary.gone_kept_local == 1
    [conflict] = _import_conflicts(session, place)
    assert (conflict.kind, conflict.proposed) == ("correction", {"gone": True})
    again = import_file(session, V2, mark_gone=True)
    assert again.gone_kept_local == 0 and len(_import_conflicts(session, place)) == 1


def test_merge_mark_gone_only_inside_the_files_bounding_box(session, after_v1):
    summary = import_file(session, DATA / "values.osm", mark_gone=True)  # a box north of merge_v1's places
    assert summary.gone == 0
    assert session.scalar(select(func.count()).select_from(Place).where(Place.gone_at.is_not(None))) == 0


def test_merge_object_back_in_osm_is_no_longer_gone(session, after_v1):
    import_file(session, V2, mark_gone=True)
    summary = import_file(session, V1, mark_gone=True)
    place = _place(session, "node", 5)
    assert place.gone_at is None and place.version == 3
    assert summary.updated >= 1


@pytest.mark.parametrize("base, theirs, ours, take, conflict", [
    ({"name": "A"}, {"name": "A"}, {"name": "B"}, {}, {}),
    ({"name": "A"}, {"name": "C"}, {"name": "A"}, {"name": "C"}, {}),
    ({"name": "A"}, {"name": "C"}, {"name": "B"}, {}, {"name": "C"}),
    ({"name": "A"}, {"name": "C"}, {"name": "C"}, {}, {}),
])
def test_three_way_per_field(base, theirs, ours, take, conflict):
    assert three_way({**SEEN, **base}, {**SEEN, **theirs}, {**SEEN, **ours}) == (take, conflict)


def test_three_way_moves_lon_and_lat_together():
    take, conflict = three_way(SEEN, {**SEEN, "lat": 47.2}, SEEN)
    assert take == {"lon": 9.5, "lat": 47.2} and conflict == {}


def test_three_way_reads_a_base_without_gone_as_not_gone():
    base = {k: v for k, v in SEEN.items() if k != "gone"}
    assert three_way(base, SEEN, {**SEEN, "gone": True}) == ({}, {})
