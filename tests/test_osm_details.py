"""Importing the details from OpenStreetMap tags: OSM's forms of lengths, a three-way merge like the other
fields, and unreadable values skipped with a counted reason (synthetic .osm files written here)."""

from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import Place, Submission
from app.services import moderation
from app.services.osm_import import import_file
from app.services.osm_reader import read_places
from app.services.submissions import Submitter, hash_device_token, submit_details
from geo.osm_tags import detail_value, length_cm, place_values
from tests.factories import make_user
from tests.test_osm_liechtenstein import extract_path

DEVICE = Submitter(device_hash=hash_device_token("osm-details-volunteer"))

ALL_TAGS = {"step_count": "1", "step:height": "0.07", "door:width": "90 cm", "ramp:wheelchair": "portable",
            "automatic_door": "yes", "capacity:disabled": "no", "hearing_loop": "limited",
            "toilets:grab_rails": "yes", "toilets:turning_space": "no", "toilets:door:width": "0.85 m",
            "entrance:step_free": "yes", "entrance:step_free:description": "round the back"}
ALL_VALUES = {"step_count": 1, "step_height": 7, "door_width": 90, "ramp": "portable", "automatic_door": "yes",
              "parking_disabled": "no", "hearing_loop": "limited", "toilets_grab_rails": "yes",
              "toilets_turning_space": "no", "toilets_door_width": 85, "step_free_entrance": "yes",
              "step_free_entrance_where": "round the back"}


def _osm(path: Path, nodes: dict[int, dict[str, str]]) -> Path:
    """Write an .osm file of named cafés with these extra tags, one node each."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">',
             '  <bounds minlat="47.10" minlon="9.50" maxlat="47.20" maxlon="9.60"/>']
    for node_id, tags in nodes.items():
        lines.append(f'  <node id="{node_id}" lat="47.14{node_id}" lon="9.52{node_id}" version="1">')
        for key, value in {"name": f"Café {node_id}", "amenity": "cafe", **tags}.items():
            escaped = value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            lines.append(f'    <tag k="{key}" v="{escaped}"/>')
        lines.append("  </node>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _place(session, osm_id: int) -> Place:
    place = session.scalars(select(Place).where(Place.osm_type == "node", Place.osm_id == osm_id)).one()
    session.refresh(place)
    return place


@pytest.mark.parametrize("raw, cm", [("0.9", 90), ("0.9 m", 90), ("90 cm", 90), ("90cm", 90), ("1", 100),
                                     ("0.07", 7), ("3'", None), ("0,9", None), ("wide", None), ("", None)])
def test_osm_details_lengths_in_osm_forms(raw, cm):
    assert length_cm(raw) == cm


@pytest.mark.parametrize("key, raw, value, skipped", [
    ("step_count", "3", 3, False),
    ("step_count", "2.5", None, True),
    ("step_count", "many", None, True),
    ("step_count", "99", None, True),
    ("door_width", "3'", None, True),
    ("door_width", "5 m", None, True),
    ("ramp", "Yes", "yes", False),
    ("ramp", "separate", None, True),
    ("automatic_door", "true", "yes", False),
    ("hearing_loop", "limited", "limited", False),
])
def test_osm_details_values(key, raw, value, skipped):
    found, why = detail_value(key, raw)
    assert found == value and (why is not None) == skipped


def test_osm_details_are_imported_and_unreadable_values_counted(session, tmp_path):
    path = _osm(tmp_path / "details.osm", {
        1: ALL_TAGS,
        2: {"door:width": "3'", "step_count": "a few", "ramp:wheelchair": "yes"},
        3: {"door:width": "2'6\""},
        4: {},
    })
    summary = import_file(session, path)
    assert summary.created == 4
    assert {k: getattr(_place(session, 1), k) for k in ALL_VALUES} == ALL_VALUES
    second = _place(session, 2)
    assert (second.door_width, second.step_count, second.ramp) == (None, None, "yes")
    assert _place(session, 4).step_count is None
    assert summary.skipped_values == {"door:width: not a length in m or cm": 2,
                                      "step_count: not a whole number": 1}
    assert summary.as_dict()["skipped_values"]["door:width: not a length in m or cm"] == 2
    assert summary.value_notes["door:width: skipped \"3'\" (not a length in m or cm)"] == 1


def test_osm_details_zero_steps_is_a_value(session, tmp_path):
    import_file(session, _osm(tmp_path / "zero.osm", {1: {"step_count": "0"}}))
    assert _place(session, 1).step_count == 0


def test_osm_details_three_way_merge(session, tmp_path):
    import_file(session, _osm(tmp_path / "v1.osm", {
        1: {"door:width": "0.8"}, 2: {"door:width": "0.8"}, 3: {"hearing_loop": "no"}, 4: {}}))
    # A volunteer measures node 1's door and says node 3 has a loop; both approved.
    moderator = make_user(session, role="moderator")
    for osm_id, values in ((1, {"door_width": 95}), (3, {"hearing_loop": "yes"})):
        submission = submit_details(session, DEVICE, _place(session, osm_id).id, values)
        moderation.approve(session, submission.id, moderator)

    summary = import_file(session, _osm(tmp_path / "v2.osm", {
        1: {"door:width": "0.8"},            # OSM unchanged: the local value stays
        2: {"door:width": "0.85"},           # OSM changed, no local change: taken
        3: {"hearing_loop": "limited"},      # both changed and disagree: kept, a conflict for moderators
        4: {"capacity:disabled": "yes"},     # newly tagged: taken
    }))
    assert _place(session, 1).door_width == 95
    assert _place(session, 2).door_width == 85
    assert _place(session, 3).hearing_loop == "yes"
    assert _place(session, 4).parking_disabled == "yes"
    assert summary.conflicts == 1
    [conflict] = session.scalars(select(Submission).where(Submission.origin == "import"))
    assert (conflict.kind, conflict.proposed) == ("details", {"hearing_loop": "limited"})
    moderation.approve(session, conflict.id, moderator)
    assert _place(session, 3).hearing_loop == "limited"


def test_osm_details_toilet_conflict_is_filed_once(session, tmp_path):
    import_file(session, _osm(tmp_path / "v1.osm", {1: {"toilets:wheelchair": "no", "toilets:grab_rails": "no"}}))
    moderator = make_user(session, role="moderator")
    submission = submit_details(session, DEVICE, _place(session, 1).id,
                                {"toilets_wheelchair": "yes", "toilets_grab_rails": "yes"})
    moderation.approve(session, submission.id, moderator)
    import_file(session, _osm(tmp_path / "v2.osm", {1: {"toilets:wheelchair": "unknown_value",
                                                        "toilets:grab_rails": "false"}}))
    conflicts = {s.kind: s.proposed for s in session.scalars(select(Submission).where(Submission.origin == "import"))}
    assert conflicts == {"status": {"toilets_wheelchair": "unknown"}}  # grab rails: OSM says no as before


def test_osm_details_liechtenstein_capacity_disabled_object_is_a_place():
    # The extract's one detail tag: an unnamed car park (node 38291, capacity:disabled=no). Car parks are places
    # without a name, so it is read, its detail understood, and imported.
    [record] = [r for r in read_places(extract_path()) if r.key == ("node", 38291)]
    assert (record.skip, record.values.name, record.values.parking_disabled) == (None, None, "no")
    assert place_values({"capacity:disabled": "no"}).parking_disabled == "no"
