"""The place grid that map clusters read stays exact as places change: place_grid plus its unfolded deltas."""

from sqlalchemy import text

from app.services import grid
from app.services.places import apply_change
from tests.factories import make_place, make_user

# What the map sees per level: the folded pyramid and the deltas raised to that level.
SEEN = """
    SELECT level, cx, cy, category, wheelchair, n, sum_lon, sum_lat FROM place_grid
    UNION ALL
    SELECT l, cx >> l, cy >> l, category, wheelchair, n, sum_lon, sum_lat
    FROM place_grid_delta CROSS JOIN generate_series(0, 7) AS l"""
TOTALS = text(f"""
    SELECT level, sum(n) AS n, round(sum(sum_lon)::numeric, 6) AS lon, round(sum(sum_lat)::numeric, 6) AS lat
    FROM ({SEEN}) AS g GROUP BY level ORDER BY level""")
BY_STATUS = text(f"""
    SELECT wheelchair, sum(n) FROM ({SEEN}) AS g WHERE level = 0 GROUP BY wheelchair HAVING sum(n) > 0""")
FROM_PLACES = text("""
    SELECT count(*) AS n, round(sum(ST_X(geom))::numeric, 6) AS lon, round(sum(ST_Y(geom))::numeric, 6) AS lat
    FROM places WHERE hidden_at IS NULL AND gone_at IS NULL""")


def _assert_grid_matches_places(session):
    expected = session.execute(FROM_PLACES).one()
    totals = session.execute(TOTALS).all()
    assert len(totals) == 8
    for level, n, lon, lat in totals:
        assert (n, lon, lat) == (expected.n, expected.lon, expected.lat), f"level {level}"


def test_grid_follows_inserts_status_changes_hiding_moves_and_deletes(session):
    moderator = make_user(session, role="moderator")
    a = make_place(session, lon=9.52, lat=47.14, wheelchair="yes")
    b = make_place(session, lon=9.53, lat=47.15, wheelchair="no")
    c = make_place(session, lon=-0.1276, lat=51.5072, wheelchair="unknown")
    session.flush()
    _assert_grid_matches_places(session)
    assert dict(session.execute(BY_STATUS).all()) == {"yes": 1, "no": 1, "unknown": 1}

    apply_change(session, a, {"wheelchair": "limited"}, revision_source="moderation", actor=moderator)
    apply_change(session, b, {"hidden": True}, revision_source="moderation", actor=moderator)
    apply_change(session, c, {"lon": 2.3522, "lat": 48.8566}, revision_source="moderation", actor=moderator)
    session.flush()
    _assert_grid_matches_places(session)
    assert dict(session.execute(BY_STATUS).all()) == {"limited": 1, "unknown": 1}

    apply_change(session, b, {"hidden": False}, revision_source="moderation", actor=moderator)
    session.execute(text("DELETE FROM revisions WHERE place_id = :id"), {"id": c.id})
    session.execute(text("DELETE FROM places WHERE id = :id"), {"id": c.id})
    session.flush()
    _assert_grid_matches_places(session)
    assert dict(session.execute(BY_STATUS).all()) == {"limited": 1, "no": 1}
    # Folding moves the deltas into place_grid and changes nothing the map sees.
    assert grid.fold(session).deltas > 0
    assert session.scalar(text("SELECT count(*) FROM place_grid_delta")) == 0
    _assert_grid_matches_places(session)
    assert dict(session.execute(BY_STATUS).all()) == {"limited": 1, "no": 1}


def test_an_update_that_moves_nothing_the_grid_counts_writes_no_delta(session):
    place = make_place(session)
    session.flush()
    before = session.scalar(text("SELECT count(*) FROM place_grid_delta"))
    session.execute(text("UPDATE places SET name = 'Renamed', description = 'ramp' WHERE id = :id"), {"id": place.id})
    assert session.scalar(text("SELECT count(*) FROM place_grid_delta")) == before


def test_grid_rebuild_gives_the_same_counts_as_a_fold_and_drops_the_deltas(session):
    for i in range(20):
        make_place(session, lon=9.5 + i * 0.01, lat=47.1 + i * 0.003, wheelchair=("yes", "no", "limited")[i % 3])
    session.flush()
    grid.fold(session)
    folded = session.execute(text("SELECT * FROM place_grid WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5")).all()
    session.execute(text("SELECT place_grid_rebuild()"))
    rebuilt = session.execute(text("SELECT * FROM place_grid ORDER BY 1, 2, 3, 4, 5")).all()

    def rounded(rows):
        return [(*r[:6], round(r[6], 9), round(r[7], 9)) for r in rows]
    assert rounded(folded) == rounded(rebuilt)

    # A place written since the last fold: the rebuild counts it from the places and drops its delta, once.
    make_place(session, lon=9.7, lat=47.2)
    session.flush()
    session.execute(text("SELECT place_grid_rebuild()"))
    assert session.scalar(text("SELECT count(*) FROM place_grid_delta")) == 0
    _assert_grid_matches_places(session)


def test_truncating_places_empties_the_grid(session):
    make_place(session)
    session.flush()
    session.execute(text("TRUNCATE places, revisions, submissions, moderation_events RESTART IDENTITY CASCADE"))
    assert session.scalar(text("SELECT count(*) FROM place_grid")) == 0
    assert session.scalar(text("SELECT count(*) FROM place_grid_delta")) == 0
