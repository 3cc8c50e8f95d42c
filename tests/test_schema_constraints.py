"""The database itself refuses invalid values, whatever code writes them."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.factories import make_place, make_user


def _insert_place(connection, **overrides):
    values = {"name": "Café", "category": "food", "wheelchair": "yes", "toilets_wheelchair": "unknown",
              "description": None, "osm_type": None, "osm_id": None, **overrides}
    connection.execute(text(
        "INSERT INTO places (geom, name, category, wheelchair, toilets_wheelchair, description, osm_type, osm_id) "
        "VALUES (ST_SetSRID(ST_MakePoint(9.52, 47.14), 4326), :name, :category, :wheelchair, "
        ":toilets_wheelchair, :description, :osm_type, :osm_id)"), values)


@pytest.mark.parametrize("overrides, constraint", [
    ({"wheelchair": "maybe"}, "ck_places_wheelchair"),
    ({"wheelchair": "designated"}, "ck_places_wheelchair"),
    ({"toilets_wheelchair": "limited"}, "ck_places_toilets_wheelchair"),
    ({"description": "x" * 256}, "ck_places_description_length"),
    ({"category": "spaceport"}, "ck_places_category"),
    ({"name": "   "}, "ck_places_name_not_blank"),
    ({"osm_type": "node"}, "ck_places_osm_identity_complete"),
    ({"osm_type": "area", "osm_id": 1}, "ck_places_osm_type"),
])
def test_places_check_constraints_reject_invalid_values(connection, overrides, constraint):
    with pytest.raises(IntegrityError) as caught, connection.begin_nested():
        _insert_place(connection, **overrides)
    assert constraint in str(caught.value)


def test_places_accept_a_valid_row(connection):
    with connection.begin_nested():
        _insert_place(connection, description="x" * 255, osm_type="node", osm_id=42)
    assert connection.execute(text("SELECT count(*) FROM places WHERE osm_id = 42")).scalar() == 1


def test_places_osm_identity_is_unique(connection):
    with connection.begin_nested():
        _insert_place(connection, osm_type="way", osm_id=7)
    with pytest.raises(IntegrityError, match="uq_places_osm_identity"), connection.begin_nested():
        _insert_place(connection, osm_type="way", osm_id=7)


def test_submissions_check_state_and_rejection_reason(session, connection):
    place = make_place(session)
    user = make_user(session)
    session.flush()
    insert = text("INSERT INTO submissions (kind, state, place_id, proposed, author_id, reason_code) "
                  "VALUES (:kind, :state, :place, '{}'::jsonb, :author, :reason)")
    base = {"kind": "status", "state": "pending", "place": place.id, "author": user.id, "reason": None}
    for overrides, constraint in [({"state": "lost"}, "ck_submissions_state"),
                                  ({"kind": "vote"}, "ck_submissions_kind"),
                                  ({"state": "rejected"}, "ck_submissions_rejection_has_reason"),
                                  ({"author": None}, "ck_submissions_has_author")]:
        with pytest.raises(IntegrityError, match=constraint), connection.begin_nested():
            connection.execute(insert, {**base, **overrides})


def test_moderation_events_are_append_only(connection):
    with connection.begin_nested():
        connection.execute(text("INSERT INTO moderation_events (action) VALUES ('claim')"))
    with pytest.raises(DBAPIError, match="append-only"), connection.begin_nested():
        connection.execute(text("UPDATE moderation_events SET reason = 'rewritten'"))
    with pytest.raises(DBAPIError, match="append-only"), connection.begin_nested():
        connection.execute(text("DELETE FROM moderation_events"))
