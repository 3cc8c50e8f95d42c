"""Possible duplicates (issue 15): a volunteer's place that OSM later also has is filed once, then merged or not."""

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, ValidationError
from app.models import ModerationEvent, Place, Revision, Submission
from app.models.base import utcnow
from app.services import moderation, reverts
from app.services.duplicates import file_possible_duplicates, merge
from app.services.osm_import import import_file
from app.services.submissions import Submitter, hash_device_token, submit_correction, submit_status
from tests.conftest import csrf_token_from
from tests.factories import count_rows, make_place, make_user
from tests.test_osm_liechtenstein import extract_path

LON, LAT = 9.5095, 47.1562
METRE = 1 / 111_320  # of latitude, near enough for distances well inside or outside 30 m
DEVICE = Submitter(device_hash=hash_device_token("duplicates-device"))
_osm_ids = iter(range(900_000_000, 901_000_000))


def _volunteer(session, name="Café Löwen", north=0.0, **values):
    return make_place(session, name=name, lon=LON, lat=LAT + north * METRE, **{"source": "volunteer", **values})


def _osm(session, name="Cafe Loewen", north=0.0, **values):
    return make_place(session, name=name, lon=LON, lat=LAT + north * METRE, source="osm", osm_type="node",
                      osm_id=next(_osm_ids), **values)


def _items(session, place):
    return list(session.scalars(select(Submission).where(Submission.kind == "duplicate",
                                                         Submission.place_id == place.id)))


def test_duplicates_files_one_pending_item_for_a_close_similar_osm_place(session, app_context):
    volunteer = _volunteer(session)
    osm = _osm(session, north=20)

    assert file_possible_duplicates(session, [osm.id]) == 1

    [item] = _items(session, volunteer)
    assert (item.state, item.origin, item.proposed, item.base_version) == (
        "pending", "import", {"duplicate_of": osm.id}, volunteer.version)
    assert item.author_id is None and item.geom is not None


@pytest.mark.parametrize("metres, filed", [(25, 1), (35, 0)])
def test_duplicates_within_30_metres_only(session, app_context, metres, filed):
    _volunteer(session)
    osm = _osm(session, north=metres)
    assert file_possible_duplicates(session, [osm.id]) == filed


@pytest.mark.parametrize("volunteer_name, osm_name, filed", [
    ("Café Löwen", "Cafe Loewen", 1),            # spelling variants: similarity 0.35
    ("Bäckerei Müller", "Baeckerei Mueller", 1),
    ("Restaurant Adler", "Adler", 1),           # the name with its kind: contained as a whole word
    ("Landesmuseum", "Liechtensteinisches Landesmuseum", 1),
    ("Hotel Post", "Hotel Sonne", 1),           # 0.35: a moderator's "not the same place" (module docstring)
    ("Café Löwen", "Café Adler", 0),            # 0.29
    ("Migros", "Coop", 0),
    (None, None, 1),                            # both unnamed: toilets, elevators, parking
    ("Toilets at the station", None, 0),        # one unnamed: nothing says they are the same
])
def test_duplicates_need_similar_names(session, app_context, volunteer_name, osm_name, filed):
    _volunteer(session, name=volunteer_name, category="toilets")
    osm = _osm(session, name=osm_name, category="toilets", north=10)
    assert file_possible_duplicates(session, [osm.id]) == filed


def test_duplicates_need_the_same_category_a_published_volunteer_place_and_the_given_ids(session, app_context):
    _volunteer(session, category="shopping")
    _volunteer(session, source="demo")
    hidden = _volunteer(session)
    moderation_user = make_user(session, role="moderator")
    reverts.set_hidden(session, hidden.id, True, moderation_user)
    osm = _osm(session, north=5)
    not_given = _osm(session, north=6)

    assert file_possible_duplicates(session, [osm.id]) == 0
    assert file_possible_duplicates(session, []) == 0
    assert count_rows(session, Submission, Submission.proposed["duplicate_of"].as_integer() == not_given.id) == 0


def test_duplicates_never_file_a_pair_twice_even_once_rejected(session, app_context):
    volunteer = _volunteer(session)
    osm = _osm(session, north=10)
    file_possible_duplicates(session, [osm.id])
    assert file_possible_duplicates(session, [osm.id]) == 0

    [item] = _items(session, volunteer)
    moderation.reject(session, item.id, make_user(session, role="moderator"), "wrong", "Two cafés")
    assert file_possible_duplicates(session, [osm.id, osm.id]) == 0
    assert len(_items(session, volunteer)) == 1
    # Another OSM place is another pair.
    assert file_possible_duplicates(session, [_osm(session, north=15).id]) == 1


def _filed(session, north=0.0, **volunteer_values):
    """A volunteer's place, the OSM place 12 m north of it, and the item that pairs them."""
    volunteer = _volunteer(session, north=north, **volunteer_values)
    osm = _osm(session, north=north + 12, wheelchair="unknown", toilets_wheelchair="no")
    file_possible_duplicates(session, [osm.id])
    return volunteer, osm, _items(session, volunteer)[0]


def test_merge_carries_known_values_as_revisions_and_keeps_both_histories(session, app_context):
    volunteer, osm, item = _filed(session, wheelchair="yes", toilets_wheelchair="yes",
                                  description="Ramp at the side door", step_count=0)
    moderator = make_user(session, role="moderator")
    osm_version = osm.version

    merge(session, item.id, moderator)

    session.refresh(osm)
    session.refresh(volunteer)
    # Known on the volunteer's place and not on OSM's: carried; the toilet OSM knows stays OSM's.
    assert (osm.wheelchair, osm.toilets_wheelchair, osm.description, osm.step_count) == (
        "yes", "no", "Ramp at the side door", 0)
    assert osm.version == osm_version + 1 and osm.is_published and osm.osm_type == "node"
    carried = session.scalars(select(Revision).where(Revision.place_id == osm.id, Revision.source == "merge")).one()
    assert carried.submission_id == item.id and carried.actor_id == moderator.id
    assert carried.before == {"wheelchair": "unknown", "description": None, "step_count": None}
    assert carried.after == {"wheelchair": "yes", "description": "Ramp at the side door", "step_count": 0}
    # The volunteer's place is hidden by a revision of its own and points at the OSM place; nothing is deleted.
    assert volunteer.hidden_at is not None and volunteer.merged_into_id == osm.id
    hidden = session.scalars(select(Revision).where(Revision.place_id == volunteer.id)
                             .order_by(Revision.version)).all()
    assert [(r.version, r.source, r.after) for r in hidden] == [
        (1, "demo", hidden[0].after), (2, "merge", {"hidden": True})]
    assert count_rows(session, Revision, Revision.place_id == osm.id) == 2
    assert item.state == "approved" and item.decided_by_id == moderator.id
    events = session.scalars(select(ModerationEvent).where(ModerationEvent.submission_id == item.id)
                             .order_by(ModerationEvent.id)).all()
    assert [(e.action, e.place_id) for e in events] == [("merge", volunteer.id), ("merge", osm.id)]
    assert events[0].details["merged_into"] == osm.id and events[1].details["merged_from"] == volunteer.id
    assert events[0].details["carried"] == ["description", "step_count", "wheelchair"]


def test_merge_moves_pending_status_to_the_osm_place_and_supersedes_corrections(session, app_context):
    volunteer, osm, item = _filed(session, wheelchair="yes")
    status = submit_status(session, DEVICE, volunteer.id, {"wheelchair": "no"})
    correction = submit_correction(session, DEVICE, volunteer.id, {"name": "Café Löwen am Platz"})
    osm_version = osm.version

    merge(session, item.id, make_user(session, role="moderator"))

    session.refresh(status)
    session.refresh(correction)
    assert (status.state, status.place_id, status.base_version) == ("pending", osm.id, osm_version)
    assert correction.state == "superseded"
    event = session.scalars(select(ModerationEvent).where(ModerationEvent.place_id == osm.id,
                                                          ModerationEvent.action == "merge")).one()
    assert (event.details["moved"], event.details["superseded"]) == ([status.id], [correction.id])
    # Based on the OSM place before the merge carried "yes": a moderator sees "no" as a conflict first.
    with pytest.raises(moderation.StaleBaseVersion):
        moderation.approve(session, status.id, make_user(session, role="moderator"))


def test_merge_is_idempotent_and_refuses_a_gone_place(session, app_context):
    volunteer, osm, item = _filed(session, wheelchair="yes")
    moderator = make_user(session, role="moderator")
    merge(session, item.id, moderator)
    revisions = count_rows(session, Revision)
    assert merge(session, item.id, moderator).state == "approved"
    assert count_rows(session, Revision) == revisions

    other, osm_gone, pending = _filed(session, north=100)
    osm_gone.gone_at = func.now()
    session.flush()
    with pytest.raises(Conflict) as refused:
        merge(session, pending.id, moderator)
    assert refused.value.code == "not_mergeable"


def test_duplicates_are_decided_by_merging_not_plain_approval_and_a_merge_is_not_undone(session, app_context):
    _, _, item = _filed(session)
    moderator = make_user(session, role="moderator")
    with pytest.raises(ValidationError):
        moderation.approve(session, item.id, moderator)
    assert moderation.bulk_decide(session, [item.id], moderator, "approve").skipped[0][0] == item.id

    merge(session, item.id, moderator)
    with pytest.raises(Conflict) as refused:
        reverts.undo_decision(session, item.id, moderator)
    assert refused.value.code == "not_undoable"


def test_rejecting_a_duplicate_can_be_undone_and_keeps_both_places(session, app_context):
    volunteer, osm, item = _filed(session)
    moderator = make_user(session, role="moderator")
    moderation.reject(session, item.id, moderator, "wrong")
    assert volunteer.is_published and osm.is_published
    assert reverts.undo_decision(session, item.id, moderator).state == "pending"


# Views


@pytest.fixture
def moderator(auth):
    return auth.login_as("moderator", display_name="Mo Derator")


def _post(client, path, **data):
    token = csrf_token_from(client.get("/moderate").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def _filed_committed(session, app):
    with app.app_context():
        volunteer, osm, item = _filed(session, name="Café Löwen", wheelchair="yes", description="Side door")
        session.commit()
    return volunteer, osm, item


def test_queue_and_review_show_both_places_side_by_side(client, session, app, moderator):
    volunteer, osm, item = _filed_committed(session, app)
    queue = client.get("/moderate?kind=duplicate").get_data(as_text=True)
    assert "Possible duplicate</td>" in queue and "Café Löwen" in queue

    page = client.get(f"/moderate/submissions/{item.id}").get_data(as_text=True)
    assert 'id="duplicate-pair"' in page and "12 m</strong> apart" in page
    assert f'href="/places/{volunteer.id}" id="duplicate-volunteer">Café Löwen<' in page
    assert f'href="/places/{osm.id}" id="duplicate-osm">Cafe Loewen<' in page
    assert f"/places/{osm.id}#history" in page and "Side door" in page
    assert "Merge into the OpenStreetMap place" in page and "Not the same place" in page
    assert "Conflict: the place changed" not in page


def test_merge_by_post_shows_the_merged_place(client, session, app, moderator):
    volunteer, osm, item = _filed_committed(session, app)
    response = _post(client, f"/moderate/submissions/{item.id}/merge")
    assert response.status_code == 303 and response.location.endswith(f"/places/{osm.id}")
    page = client.get(response.location).get_data(as_text=True)
    assert "Merged Café Löwen into Cafe Loewen" in page and "Merge of a duplicate" in page

    merged = client.get(f"/places/{volunteer.id}").get_data(as_text=True)
    assert 'id="merged-into"' in merged and f'href="/places/{osm.id}">Cafe Loewen</a>' in merged
    # Approving it plainly is refused on the review screen, naming the merge.
    _, _, other = _filed(session, north=200)
    session.commit()
    refused = _post(client, f"/moderate/submissions/{other.id}/approve")
    assert refused.status_code == 400 and "merging the two places" in refused.get_data(as_text=True)


def test_a_merged_place_sends_visitors_and_the_api_to_the_place_it_lives_on_in(client, session, app, auth):
    volunteer, osm, item = _filed_committed(session, app)
    auth.login_as("moderator")
    assert _post(client, f"/moderate/submissions/{item.id}/merge").status_code == 303
    # The moderator still sees the merged place's own page, with its history.
    assert 'id="merged-into"' in client.get(f"/places/{volunteer.id}").get_data(as_text=True)
    auth.logout()
    page = client.get(f"/places/{volunteer.id}")
    assert page.status_code == 302 and page.location.endswith(f"/places/{osm.id}")
    api = client.get(f"/api/places/{volunteer.id}")
    assert api.status_code == 302 and api.location.endswith(f"/api/places/{osm.id}")
    assert client.get(api.location).get_json()["properties"]["name"] == "Cafe Loewen"
    # A place that never existed, or one merged into a place that is gone since, is still not found.
    assert client.get("/places/987654321").status_code == 404
    with app.app_context():
        session.get(Place, osm.id).gone_at = utcnow()
        session.commit()
    assert client.get(f"/places/{volunteer.id}").status_code == 404
    assert client.get(f"/api/places/{volunteer.id}").status_code == 404


def test_reject_by_post_keeps_both_and_never_files_again(client, session, app, moderator):
    volunteer, osm, item = _filed_committed(session, app)
    assert _post(client, f"/moderate/submissions/{item.id}/reject", reason="wrong").status_code == 302
    session.expire_all()
    assert session.get(Submission, item.id).state == "rejected"
    with app.app_context():
        assert file_possible_duplicates(session, [osm.id]) == 0
    assert session.get(Place, volunteer.id).is_published


def test_merge_needs_csrf_and_a_moderator(client, session, app, auth):
    _, _, item = _filed_committed(session, app)
    path = f"/moderate/submissions/{item.id}/merge"
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    assert client.post(path, data={"csrf_token": token}).status_code == 302  # to sign in
    auth.login_as("volunteer")
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    assert client.post(path, data={"csrf_token": token}).status_code == 403
    auth.logout()
    auth.login_as("moderator")
    assert client.post(path).status_code == 400
    session.expire_all()
    assert session.get(Submission, item.id).state == "pending"


# The import


def test_liechtenstein_import_files_one_duplicate_for_a_volunteer_place(session, app_context):
    # "Café Gassner" (node 24230, a restaurant: food) is in the extract; a volunteer added it 15 m away before.
    volunteer = make_place(session, name="Cafe Gassner", category="food", lon=9.5095079,
                           lat=47.1562002 + 15 * METRE, source="volunteer", wheelchair="yes")
    before = session.scalar(select(func.max(Place.id)))

    # The import files it by itself, and says so in its summary.
    assert import_file(session, extract_path()).possible_duplicates == 1
    created = session.scalars(select(Place.id).where(Place.id > before, Place.source == "osm")).all()

    [item] = _items(session, volunteer)
    osm = session.get(Place, item.proposed["duplicate_of"])
    assert (osm.osm_type, osm.osm_id, osm.name) == ("node", 24230, "Café Gassner")
    assert file_possible_duplicates(session, created) == 0
