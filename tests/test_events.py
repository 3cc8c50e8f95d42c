"""Mapping events over HTTP and at query level: lifecycle, validation naming each field, joining with and
without an account, the area filter of /api/check, progress equal to direct SQL, an opt-in-only leaderboard,
the QR code, and CSRF on every form."""

import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import segno
from geoalchemy2.shape import to_shape
from sqlalchemy import select, text

from app.models import EventParticipant, MappingEvent, Submission
from app.models.base import utcnow
from app.queries import events as event_queries
from app.services import events as event_service
from app.services import moderation
from app.services.submissions import Submitter, hash_device_token, submit_new_place, submit_status, submit_still_correct
from tests.conftest import csrf_token_from
from tests.factories import count_rows, make_place, make_user

VADUZ_BOX = "9.50,47.13,9.54,47.15"
INSIDE = {"lon": 9.52, "lat": 47.14}
OUTSIDE = {"lon": 9.60, "lat": 47.14}
BOWTIE = json.dumps({"type": "Polygon", "coordinates": [[[9.50, 47.13], [9.54, 47.15], [9.54, 47.13],
                                                          [9.50, 47.15], [9.50, 47.13]]]})
# About 75 km × 110 km: far beyond MAX_AREA_KM2.
HUGE_DRAWN = json.dumps({"type": "Polygon", "coordinates": [[[9.0, 47.0], [10.0, 47.0], [10.0, 48.0],
                                                              [9.0, 47.0]]]})


def _local(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _fields(**overrides) -> dict:
    now = utcnow()
    values = {"name": "Vaduz spring mapping", "slug": "", "description": "Meet at the town hall.",
              "starts_at": _local(now - timedelta(hours=1)), "ends_at": _local(now + timedelta(days=1)),
              "time_zone": "UTC", "goal": "80", "area": "", "bbox": VADUZ_BOX}
    values.update(overrides)
    return values


def _event(session, organiser=None, **overrides) -> MappingEvent:
    organiser = organiser or make_user(session, role="organiser")
    event = event_service.create_event(session, organiser, _fields(**overrides))
    session.commit()
    return event


def _post_form(client, path: str, **overrides):
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={**_fields(**overrides), "csrf_token": token})


# --- lifecycle ---------------------------------------------------------------------------------------------

def test_events_organiser_creates_an_event_through_the_form(client, session, auth):
    organiser = auth.login_as("organiser")
    page = client.get("/events/new")
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.get_data(as_text=True)

    response = _post_form(client, "/events/new", name="Vaduz spring mapping", goal="75",
                          starts_at="2030-06-14T10:00", ends_at="2030-06-14T16:00", time_zone="Europe/Vaduz")

    assert response.status_code == 302
    assert response.headers["Location"] == "/events/vaduz-spring-mapping"
    event = session.scalar(select(MappingEvent).where(MappingEvent.slug == "vaduz-spring-mapping"))
    assert (event.name, event.goal_known_pct, event.created_by_id) == ("Vaduz spring mapping", 75, organiser.id)
    # 10:00 in Vaduz in June (CEST) is 08:00 UTC.
    assert event.starts_at == datetime(2030, 6, 14, 8, 0, tzinfo=UTC)
    assert event.ends_at == datetime(2030, 6, 14, 14, 0, tzinfo=UTC)
    area = to_shape(event.area)
    assert area.geom_type == "MultiPolygon" and area.bounds == (9.50, 47.13, 9.54, 47.15)
    shown = client.get("/events/vaduz-spring-mapping").get_data(as_text=True)
    assert "Vaduz spring mapping" in shown and "Meet at the town hall." in shown


def test_events_area_drawn_on_the_map_is_stored_as_drawn(client, session, auth):
    auth.login_as("organiser")
    drawn = {"type": "Polygon", "coordinates": [[[9.51, 47.13], [9.53, 47.13], [9.52, 47.15], [9.51, 47.13]]]}
    response = _post_form(client, "/events/new", slug="triangle", bbox="", area=json.dumps(drawn))
    assert response.status_code == 302
    event = session.scalar(select(MappingEvent).where(MappingEvent.slug == "triangle"))
    assert list(to_shape(event.area).geoms[0].exterior.coords) == [tuple(c) for c in drawn["coordinates"][0]]


def test_events_slug_is_made_from_the_name_when_left_empty():
    assert event_service.slug_from("Café Día in Vaduz!") == "cafe-dia-in-vaduz"
    assert event_service.slug_from("  --Schaan -- 2030  ") == "schaan-2030"


@pytest.mark.parametrize("path", ["/events/new"])
def test_events_creating_is_refused_for_volunteers_and_sends_anonymous_to_sign_in(client, session, auth, path):
    response = client.get(path)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    auth.login_as("volunteer")
    assert client.get(path).status_code == 403
    token = auth.token("/events")
    assert client.post(path, data={**_fields(), "csrf_token": token}).status_code == 403
    assert count_rows(session, MappingEvent) == 0
    assert "Create an event" not in client.get("/events").get_data(as_text=True)


@pytest.mark.parametrize("role", ["organiser", "moderator", "admin"])
def test_events_organisers_moderators_and_admins_may_create(client, auth, role):
    auth.login_as(role)
    assert client.get("/events/new").status_code == 200
    assert "Create an event" in client.get("/events").get_data(as_text=True)


def test_events_organiser_edits_their_own_event_but_not_anothers(client, session, auth):
    organiser = auth.login_as("organiser")
    mine = _event(session, organiser, slug="mine", name="Mine")
    theirs = _event(session, slug="theirs", name="Theirs")

    response = _post_form(client, "/events/mine/edit", name="Mine, renamed", goal="90", slug="ignored",
                          bbox="9.51,47.13,9.53,47.14")
    assert response.status_code == 302 and response.headers["Location"] == "/events/mine"
    session.refresh(mine)
    assert (mine.name, mine.goal_known_pct, mine.slug) == ("Mine, renamed", 90, "mine")
    assert to_shape(mine.area).bounds == (9.51, 47.13, 9.53, 47.14)

    assert client.get("/events/theirs/edit").status_code == 403
    token = auth.token("/events")
    assert client.post("/events/theirs/edit", data={**_fields(name="Hijacked"), "csrf_token": token}).status_code == 403
    session.refresh(theirs)
    assert theirs.name == "Theirs"


def test_events_edit_form_keeps_the_area_when_nothing_new_is_drawn(client, session, auth):
    organiser = auth.login_as("organiser")
    event = _event(session, organiser, slug="keep-area")
    page = client.get("/events/keep-area/edit").get_data(as_text=True)
    area = re.search(r'id="area" name="area" type="hidden" value="([^"]+)"', page).group(1)
    token = csrf_token_from(page)
    response = client.post("/events/keep-area/edit", data={
        **_fields(name="Renamed"), "bbox": "", "area": area.replace("&#34;", '"'), "csrf_token": token})
    assert response.status_code == 302
    session.refresh(event)
    assert event.name == "Renamed" and to_shape(event.area).bounds == (9.50, 47.13, 9.54, 47.15)


def test_events_moderator_may_edit_any_event(client, session, auth):
    event = _event(session, slug="any-event")
    auth.login_as("moderator")
    assert _post_form(client, "/events/any-event/edit", name="Moderated").status_code == 302
    session.refresh(event)
    assert event.name == "Moderated"


def test_events_listing_sorts_events_as_running_upcoming_and_past(client, session):
    now = utcnow()
    organiser = make_user(session, role="organiser")
    _event(session, organiser, name="Autumn walk", starts_at=_local(now + timedelta(days=30)),
           ends_at=_local(now + timedelta(days=31)))
    _event(session, organiser, name="Today's check", starts_at=_local(now - timedelta(hours=2)),
           ends_at=_local(now + timedelta(hours=2)))
    _event(session, organiser, name="Spring walk", starts_at=_local(now - timedelta(days=60)),
           ends_at=_local(now - timedelta(days=59)))

    page = client.get("/events").get_data(as_text=True)

    order = [page.index(marker) for marker in (
        'id="running-heading"', "Today&#39;s check", 'id="upcoming-heading"', "Autumn walk",
        'id="past-heading"', "Spring walk")]
    assert order == sorted(order)
    listing = event_queries.list_events(session, now)
    assert [[e.name for e in group] for group in (listing.running, listing.upcoming, listing.past)] == [
        ["Today's check"], ["Autumn walk"], ["Spring walk"]]


@pytest.mark.parametrize("path", ["/events/no-such-event", "/events/no-such-event/qr.svg", "/events/a%00b",
                                  "/events/" + "x" * 500, "/events/NEW"])
def test_events_unknown_slug_answers_404(client, path):
    assert client.get(path).status_code == 404


# --- validation --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, field, words", [
    ({"name": "   "}, "name", "Give the event a name"),
    ({"name": "x" * 121}, "name", "at most 120"),
    ({"slug": "Not a slug!"}, "slug", "web address"),
    ({"slug": "new"}, "slug", "reserved"),
    ({"slug": "", "name": "!!!"}, "slug", "The name gives no web address"),
    ({"description": "d" * 1001}, "description", "at most 1000"),
    ({"starts_at": "tomorrow"}, "starts_at", "like 2025-06-14T10:00"),
    ({"ends_at": ""}, "ends_at", "Give the end"),
    ({"starts_at": "2030-06-14T10:00", "ends_at": "2030-06-14T09:00"}, "ends_at", "end must be after the start"),
    ({"starts_at": "2030-06-14T10:00", "ends_at": "2030-06-14T10:00"}, "ends_at", "end must be after the start"),
    ({"time_zone": "Mars/Olympus"}, "time_zone", "time zone"),
    ({"goal": "0"}, "goal", "between 1 and 100"),
    ({"goal": "101"}, "goal", "between 1 and 100"),
    ({"goal": "eighty"}, "goal", "whole number"),
    ({"bbox": "9.5,47.1"}, "bbox", "four numbers"),
    ({"bbox": "9.54,47.13,9.50,47.15"}, "bbox", "minimum must not exceed"),
    ({"bbox": "9.0,47.0,10.0,48.0"}, "bbox", "at most 2,500 km²"),
    ({"bbox": "9.5,47.1,9.5,47.2"}, "bbox", "no surface"),
    ({"bbox": "", "area": ""}, "area", "Draw the area"),
    ({"bbox": "", "area": BOWTIE}, "area", "not a valid polygon"),
    ({"bbox": "", "area": HUGE_DRAWN}, "area", "at most 2,500 km²"),
    ({"bbox": "", "area": "{not json"}, "area", "GeoJSON Polygon"),
    ({"bbox": "", "area": '{"type": "Point", "coordinates": [9.5, 47.1]}'}, "area", "GeoJSON Polygon"),
    ({"bbox": "", "area": '{"type": "Polygon", "coordinates": [[[9.5, 47.1], [900, 47.1], [9.5, 47.2], [9.5, 47.1]]]}'},
     "area", "longitude -180..180"),
    ({"bbox": "", "area": '{"type": "Polygon", "coordinates": "x"}'}, "area", "GeoJSON Polygon"),
])
def test_events_bad_field_answers_400_naming_it_at_the_field(client, session, auth, overrides, field, words):
    auth.login_as("organiser")
    response = _post_form(client, "/events/new", **{"name": "Kept name", **overrides})
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert words in page
    # The error sits at its field: the input says it is invalid and points at the message.
    input_id = "bbox" if field == "area" else field
    tag = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{input_id}"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in tag
    assert f'{field}-error' in re.search(r'aria-describedby="([^"]+)"', tag).group(1)
    assert f'id="{field}-error"' in page
    if "name" not in overrides:
        assert 'value="Kept name"' in page
    assert count_rows(session, MappingEvent) == 0


def test_events_every_bad_field_is_reported_at_once(client, auth):
    auth.login_as("organiser")
    page = _post_form(client, "/events/new", name="", goal="500", bbox="nonsense").get_data(as_text=True)
    for field in ("name", "goal", "bbox"):
        assert f'id="{field}-error"' in page


def test_events_service_errors_name_each_field(session):
    organiser = make_user(session, role="organiser")
    with pytest.raises(event_service.InvalidEvent) as raised:
        event_service.create_event(session, organiser, _fields(name="", goal="0", ends_at="2000-01-01T00:00"))
    assert raised.value.status == 400
    assert set(raised.value.errors) == {"name", "goal", "ends_at"}


def test_events_duplicate_slug_answers_409_naming_slug(client, session, auth):
    _event(session, slug="vaduz-day")
    auth.login_as("organiser")
    response = _post_form(client, "/events/new", slug="vaduz-day")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'id="slug-error"' in page and "already taken" in page
    assert count_rows(session, MappingEvent) == 1


# --- joining -----------------------------------------------------------------------------------------------

def test_events_join_without_an_account_is_the_device_and_idempotent(client, session):
    event = _event(session, slug="join-me")
    page = client.get("/events/join-me").get_data(as_text=True)
    assert "Join this event" in page
    token = csrf_token_from(page)

    first = client.post("/events/join-me/join", data={"csrf_token": token})
    assert first.status_code == 302
    cookie = client.get_cookie("stepfree_device")
    assert cookie is not None
    again = client.post("/events/join-me/join", data={"csrf_token": token})
    assert again.status_code == 302

    rows = session.execute(select(EventParticipant.user_id, EventParticipant.device_hash)
                           .where(EventParticipant.event_id == event.id)).all()
    assert rows == [(None, hash_device_token(cookie.value))]
    shown = client.get("/events/join-me").get_data(as_text=True)
    assert "You have joined this event" in shown and "Join this event" not in shown
    assert "You had already joined" in shown


def test_events_join_with_an_account_is_the_user_and_idempotent(client, session, auth):
    event = _event(session, slug="join-signed-in")
    user = auth.login_as("volunteer")
    token = auth.token("/events/join-signed-in")
    for _ in range(2):
        assert client.post("/events/join-signed-in/join", data={"csrf_token": token}).status_code == 302
    rows = session.execute(select(EventParticipant.user_id, EventParticipant.device_hash)
                           .where(EventParticipant.event_id == event.id)).all()
    assert rows == [(user.id, None)]
    assert "You have joined this event" in client.get("/events/join-signed-in").get_data(as_text=True)


def test_events_join_after_the_end_answers_409(client, session):
    now = utcnow()
    event = _event(session, slug="over", starts_at=_local(now - timedelta(days=3)),
                   ends_at=_local(now - timedelta(days=2)))
    page = client.get("/events/over").get_data(as_text=True)
    assert "This event has ended" in page and "Join this event" not in page
    response = client.post("/events/over/join", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 409
    assert count_rows(session, EventParticipant, EventParticipant.event_id == event.id) == 0


# --- the area filter of /api/check -------------------------------------------------------------------------

def test_events_check_api_offers_only_places_inside_the_area(client, session):
    _event(session, slug="area-filter", bbox="9.515,47.135,9.525,47.145")
    inside = [make_place(session, name=f"Inside {n}", lon=9.516 + n * 0.002, lat=47.14) for n in range(3)]
    outside = [make_place(session, name="Just east", lon=9.53, lat=47.14),
               make_place(session, name="Just south", lon=9.52, lat=47.13)]
    session.commit()

    def offered(query: str) -> set[int]:
        response = client.get(f"/api/check?near=9.52,47.14&limit=50{query}")
        assert response.status_code == 200, response.get_json()
        return {feature["id"] for feature in response.get_json()["features"]}

    assert offered("&event=area-filter") == {p.id for p in inside}
    assert {p.id for p in outside} <= offered("")
    assert client.get("/api/check?near=9.52,47.14&event=nope").status_code == 404


# --- progress and leaderboard ------------------------------------------------------------------------------

PROGRESS_SQL = text("""
    SELECT count(*), count(*) FILTER (WHERE p.wheelchair <> 'unknown')
    FROM places p JOIN mapping_events e ON e.id = :event
    WHERE p.hidden_at IS NULL AND p.gone_at IS NULL AND ST_Intersects(p.geom, e.area)
""")
CHECKED_SQL = text("""
    SELECT count(DISTINCT s.place_id)
    FROM submissions s JOIN places p ON p.id = s.place_id JOIN mapping_events e ON e.id = :event
    WHERE s.state = 'approved' AND s.kind IN ('status', 'still_correct', 'new_place')
      AND s.created_at >= e.starts_at AND s.created_at < e.ends_at
      AND p.hidden_at IS NULL AND p.gone_at IS NULL AND ST_Intersects(p.geom, e.area)
""")
PARTICIPANTS_SQL = text("SELECT count(*) FROM event_participants WHERE event_id = :event")


def _answer(session, submit, moderator, *, approve=True, created_at=None) -> Submission:
    submission = submit()
    if approve:
        moderation.approve(session, submission.id, moderator)
    if created_at is not None:
        submission.created_at = created_at
    session.flush()
    return submission


def _progress_fixture(session):
    """An event over Vaduz with places in and out of it, and answers before, during and outside it."""
    now = utcnow()
    event = _event(session, slug="progress", goal="50", starts_at=_local(now - timedelta(days=1)),
                   ends_at=_local(now + timedelta(days=1)))
    moderator = make_user(session, role="moderator")
    device = Submitter(device_hash=hash_device_token("progress-device"))
    known = [make_place(session, wheelchair=w, **INSIDE) for w in ("yes", "limited", "no")]
    unknown = [make_place(session, **INSIDE) for _ in range(3)]
    hidden = make_place(session, wheelchair="yes", **INSIDE)
    hidden.hidden_at = now
    make_place(session, wheelchair="yes", **OUTSIDE)
    far = make_place(session, **OUTSIDE)

    # During the event, approved: two places checked (one of them twice), and a new place.
    _answer(session, lambda: submit_status(session, device, unknown[0].id, {"wheelchair": "yes"}), moderator)
    _answer(session, lambda: submit_still_correct(session, device, known[0].id), moderator)
    _answer(session, lambda: submit_still_correct(session, device, known[0].id), moderator)
    _answer(session, lambda: submit_new_place(session, device, {"name": "New café", "category": "food",
                                                                   "wheelchair": "yes", **INSIDE}),
            moderator)
    # Not counted: pending, before the event, outside the area.
    _answer(session, lambda: submit_status(session, device, unknown[1].id, {"wheelchair": "no"}), moderator,
            approve=False)
    _answer(session, lambda: submit_status(session, device, known[1].id, {"wheelchair": "no"}), moderator,
            created_at=now - timedelta(days=3))
    _answer(session, lambda: submit_status(session, device, far.id, {"wheelchair": "yes"}), moderator)
    session.add_all([EventParticipant(event_id=event.id, device_hash=device.device_hash),
                     EventParticipant(event_id=event.id, user_id=moderator.id)])
    session.commit()
    return event


def test_events_progress_equals_direct_sql_counts(client, session):
    event = _progress_fixture(session)

    progress = event_queries.progress(session, event)

    places, known = session.execute(PROGRESS_SQL, {"event": event.id}).one()
    checked = session.scalar(CHECKED_SQL, {"event": event.id})
    participants = session.scalar(PARTICIPANTS_SQL, {"event": event.id})
    assert (progress.places, progress.known, progress.checked, progress.participants) == (
        places, known, checked, participants)
    # The fixture's own numbers: 6 places + the new café inside; yes/limited/no, the answered one and the café.
    assert (places, known, checked, participants) == (7, 5, 3, 2)
    assert progress.known_pct == 71 and progress.goal_reached

    page = client.get("/events/progress").get_data(as_text=True)
    assert '<progress id="known-progress" class="known-progress" max="7" value="5">' in page
    assert "71 %" in page and "The goal is 50 %" in page
    assert '<dd id="checked-count">3</dd>' in page and '<dd id="participant-count">2</dd>' in page


def test_events_progress_follows_a_change_at_once(client, session):
    event = _progress_fixture(session)
    before = event_queries.progress(session, event)
    place = make_place(session, **INSIDE)
    moderator = make_user(session, role="moderator")
    _answer(session, lambda: submit_status(session, Submitter(user=make_user(session)), place.id,
                                           {"wheelchair": "yes"}), moderator)
    session.commit()
    after = event_queries.progress(session, event)
    assert (after.places, after.known, after.checked) == (before.places + 1, before.known + 1, before.checked + 1)


def test_events_leaderboard_names_only_volunteers_who_opted_in(client, session):
    now = utcnow()
    event = _event(session, slug="leaders", starts_at=_local(now - timedelta(days=1)),
                   ends_at=_local(now + timedelta(days=1)))
    moderator = make_user(session, role="moderator")
    named = make_user(session, display_name="Ada Public")
    named.public_name = True
    second = make_user(session, display_name="Bo Public")
    second.public_name = True
    shy = make_user(session, display_name="Shy Private")
    outsider = make_user(session, display_name="Olga Outsider")   # answers, opted in, but never joined
    outsider.public_name = True
    device = Submitter(device_hash=hash_device_token("leaderboard-device"))
    places = [make_place(session, **INSIDE) for _ in range(4)]
    outside = make_place(session, **OUTSIDE)

    def answers(submitter, count, place_list=places):
        for place in place_list[:count]:
            _answer(session, lambda p=place: submit_status(session, submitter, p.id, {"wheelchair": "yes"}),
                    moderator, approve=False)

    answers(Submitter(user=named), 3)
    answers(Submitter(user=second), 1)
    answers(Submitter(user=second), 1, [outside])      # outside the area: not counted
    answers(Submitter(user=shy), 4)
    answers(device, 4)
    answers(Submitter(user=outsider), 4)
    for who in ({"user_id": named.id}, {"user_id": second.id}, {"user_id": shy.id},
                {"device_hash": device.device_hash}):
        session.add(EventParticipant(event_id=event.id, **who))
    session.commit()

    assert event_queries.leaderboard(session, event) == [event_queries.Leader("Ada Public", 3),
                                                         event_queries.Leader("Bo Public", 1)]
    page = client.get("/events/leaders").get_data(as_text=True)
    board = page[page.index('id="leaderboard-heading"'):]
    assert board.index("Ada Public") < board.index("Bo Public")
    assert "3 answers" in board and "1 answer<" in board
    assert "Shy Private" not in page and "Olga Outsider" not in page
    assert "2 more volunteers took part." in board


def test_events_page_statements_do_not_grow_with_participants(client, session, count_queries):
    event = _event(session, slug="busy")
    moderator = make_user(session, role="moderator")
    place = make_place(session, **INSIDE)

    def add_named_participants(count):
        for _ in range(count):
            user = make_user(session)
            user.public_name = True
            session.add(EventParticipant(event_id=event.id, user_id=user.id))
            _answer(session, lambda u=user: submit_status(session, Submitter(user=u), place.id, {"wheelchair": "no"}),
                    moderator, approve=False)
        session.commit()

    def statements() -> tuple[int, str]:
        client.get("/events/busy")
        with count_queries() as counted:
            assert client.get("/events/busy").status_code == 200
        return counted.count, str(counted)

    add_named_participants(2)
    few = statements()
    add_named_participants(12)
    many = statements()
    assert many[0] == few[0] <= 5, many[1]


# --- QR code, CSRF, admin ----------------------------------------------------------------------------------

def test_events_qr_code_is_an_svg_of_the_join_link(client, session):
    _event(session, slug="qr-event")
    response = client.get("/events/qr-event/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and "<script" not in svg
    # The same modules as a QR code of the join link: it encodes that link and nothing else.
    expected = io.BytesIO()
    segno.make("http://localhost/events/qr-event", error="m").save(expected, kind="svg", dark="#000", light="#fff")
    path = re.compile(r' d="([^"]+)"')
    assert path.findall(svg) == path.findall(expected.getvalue().decode())
    page = client.get("/events/qr-event").get_data(as_text=True)
    assert '<img class="qr-code" src="/events/qr-event/qr.svg" alt="QR code for the join link">' in page
    assert 'href="http://localhost/events/qr-event"' in page
    assert 'href="/check?event=qr-event"' in page


def test_events_forms_require_the_csrf_token(client, session, auth):
    event = _event(session, slug="csrf-event")
    assert client.post("/events/csrf-event/join", data={}).status_code == 400
    assert count_rows(session, EventParticipant, EventParticipant.event_id == event.id) == 0
    auth.login_as("moderator")
    created = client.post("/events/new", data=_fields(slug="no-token"))
    assert created.status_code == 400 and "form expired" in created.get_data(as_text=True)
    edited = client.post("/events/csrf-event/edit", data=_fields(name="No token"))
    assert edited.status_code == 400
    session.refresh(event)
    assert event.name == "Vaduz spring mapping"
    assert count_rows(session, MappingEvent) == 1


def test_events_admin_page_offers_the_organiser_role(client, session, auth):
    auth.login_as("admin")
    target = make_user(session, display_name="Future Organiser")
    session.commit()
    page = client.get("/admin/users").get_data(as_text=True)
    assert '<option value="organiser"' in page
    response = client.post(f"/admin/users/{target.id}/role", data={"role": "organiser",
                                                                  "csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    session.refresh(target)
    assert target.role == "organiser" and target.may_organise
