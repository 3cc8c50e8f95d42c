"""The map grid under concurrent writers (issue 15): nobody waits on cluster counts, and they stay exact.

These tests commit for real on separate connections (a lock wait needs two transactions), so `committed` empties
the tables before and after each one. Writers run with lock_timeout = 2s: a wait fails fast instead of hanging.

The writers' backends are picked on the SAME shard of the statistics rollups (0006 shards its counters by
pg_backend_pid() % 8): the worst case, where they queued on a counter row until migration 0011 gave each
writing transaction a shard of its own.
"""

import json
import random
import threading
import time

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.db import get_session
from app.extensions import csrf
from app.models import Place, User
from app.queries.map import MAX_CLUSTERS, MapFilter, cluster_features
from app.services import grid, moderation, osm_import
from app.services.osm_import import import_records
from app.services.osm_reader import file_bbox, read_places
from app.services.submissions import Submitter, hash_device_token, submit_status
from geo.bbox import BBox
from geo.clustering import grid_cell_size, grid_level
from tests.conftest import TABLES
from tests.factories import make_place, make_user
from tests.test_osm_liechtenstein import extract_path

STATS_SHARDS = 8
WAIT_LIMIT = "SET lock_timeout = '2s'"


@pytest.fixture
def committed(engine):
    def empty():
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    empty()
    yield
    empty()


@pytest.fixture
def sessions(engine):
    """sessions(n): n sessions, each on its own connection, all on one statistics shard (pg_backend_pid() % 8).

    Up to 8 * (n - 1) + 1 connections are opened to find them (backends' pids often come in sequence): more than
    the shared engine's pool holds, so these come from an engine without a pool.
    """
    unpooled = create_engine(engine.url, poolclass=NullPool)
    opened, spare = [], []

    def open_sessions(n: int) -> list[Session]:
        by_shard: dict[int, list] = {}
        while not any(len(conns) >= n for conns in by_shard.values()):
            conn = unpooled.connect()
            shard = conn.scalar(text("SELECT pg_backend_pid() % :shards"), {"shards": STATS_SHARDS})
            conn.commit()
            by_shard.setdefault(shard, []).append(conn)
        chosen = next(conns for conns in by_shard.values() if len(conns) >= n)[:n]
        opened.extend(chosen)
        spare.extend(c for conns in by_shard.values() for c in conns if c not in chosen)
        return [Session(bind=conn, expire_on_commit=False) for conn in opened]

    yield open_sessions
    for conn in opened + spare:
        conn.close()
    unpooled.dispose()


def _place_values(lon: float, lat: float, category: str = "food", wheelchair: str = "yes") -> dict:
    return {"name": "Test place", "category": category, "lon": lon, "lat": lat, "wheelchair": wheelchair}


INSERT_PLACE = text("""
    INSERT INTO places (geom, name, category, wheelchair, source)
    VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :name, :category, :wheelchair, 'demo') RETURNING id""")


def test_two_writers_in_the_same_cells_never_wait_on_each_other(committed, sessions):
    first, second = sessions(2)
    first.execute(INSERT_PLACE, _place_values(9.5201, 47.1401))
    second.execute(text(WAIT_LIMIT))
    # Same level-0 cell, category and status as the first writer's uncommitted place.
    second.execute(INSERT_PLACE, _place_values(9.5202, 47.1402))
    started = time.monotonic()
    second.commit()
    assert time.monotonic() - started < 1
    first.commit()
    assert _map_counts_match_places(first)


def test_a_moderator_approves_at_once_while_an_import_is_held_open(committed, sessions, app_context, monkeypatch):
    importer, moderator_session, reader = sessions(3)
    # The place the moderator decides on, in Vaduz, with the category and status most imported places share.
    place = make_place(moderator_session, lon=9.5209, lat=47.1410, category="food", wheelchair="unknown")
    moderator = make_user(moderator_session, role="moderator")
    volunteer = Submitter(device_hash=hash_device_token("grid-concurrency"))
    submission = submit_status(moderator_session, volunteer, place.id, {"wheelchair": "yes"})
    moderator_session.commit()

    held, release, failure = threading.Event(), threading.Event(), []
    same_cells = select(func.count()).select_from(Place).where(
        Place.source == "osm", Place.category == "food", Place.wheelchair == "unknown")

    import_chunk = osm_import._import_chunk

    def import_and_hold(session, chunk, summary, **options) -> None:
        # After the chunk that wrote places sharing the moderator's cells, category and status: wait there.
        import_chunk(session, chunk, summary, **options)
        if not held.is_set() and importer.scalar(same_cells) > 0:
            held.set()
            release.wait(60)

    monkeypatch.setattr(osm_import, "_import_chunk", import_and_hold)

    def run_import() -> None:
        try:
            path = extract_path()
            import_records(importer, read_places(path), source=path.name, bbox=file_bbox(path))
            importer.commit()
        except Exception as error:  # the main thread reports it
            failure.append(error)
            importer.rollback()

    thread = threading.Thread(target=run_import)
    thread.start()
    try:
        assert held.wait(60), f"the import never wrote places like the moderator's: {failure}"
        moderator_session.execute(text(WAIT_LIMIT))
        started = time.monotonic()
        moderation.approve(moderator_session, submission.id, moderator_session.get(User, moderator.id))
        moderator_session.commit()
        elapsed = time.monotonic() - started
    finally:
        release.set()
        thread.join(120)
    assert elapsed < 1, f"the approval took {elapsed:.2f} s"
    assert not failure, failure
    assert reader.scalar(select(Place.wheelchair).where(Place.id == place.id)) == "yes"
    assert reader.scalar(select(func.count()).select_from(Place).where(Place.source == "osm")) > 100
    assert _map_counts_match_places(reader)
    grid.fold(reader)
    assert _map_counts_match_places(reader)


def test_map_counts_are_exact_after_every_commit_with_folds_interleaved(committed, sessions):
    writer, reader, folder = sessions(3)
    rng = random.Random(15)
    ids: list[int] = []
    for transaction in range(15):
        for _ in range(rng.randint(1, 12)):
            _random_change(writer, rng, ids)
        if transaction % 4 == 3:
            writer.rollback()
            ids = list(writer.scalars(select(Place.id)))
        else:
            writer.commit()
        assert _map_counts_match_places(reader), f"after transaction {transaction}"
        if transaction % 3 == 1:
            grid.fold(folder)
            assert _map_counts_match_places(reader), f"after the fold following transaction {transaction}"
    assert folder.scalar(text("SELECT count(*) FROM place_grid_delta")) > 0
    grid.fold(folder)
    assert folder.scalar(text("SELECT count(*) FROM place_grid_delta")) == 0
    assert _map_counts_match_places(reader)


def test_a_second_fold_returns_at_once_and_a_repeated_fold_changes_nothing(committed, sessions):
    writer, first, second, reader = sessions(4)
    for i in range(30):
        writer.execute(INSERT_PLACE, _place_values(0.3 - i * 0.011, -0.2 + i * 0.007, wheelchair="no"))
    writer.commit()
    # A fold under way, not yet committed: it holds the lock and has deleted the deltas it folds.
    folding = first.execute(grid.FOLD_SQL, {"batch": grid.FOLD_BATCH}).one()
    assert folding.deltas_folded == 30
    second.execute(text(WAIT_LIMIT))
    started = time.monotonic()
    result = grid.fold(second)
    assert time.monotonic() - started < 1
    assert (result.busy, result.deltas) == (True, 0)
    assert _map_counts_match_places(reader)
    first.commit()
    assert _map_counts_match_places(reader)

    cells = "SELECT level, cx, cy, category, wheelchair, n, sum_lon, sum_lat FROM place_grid ORDER BY 1, 2, 3, 4, 5"
    before = reader.execute(text(cells)).all()
    again = grid.fold(second)
    assert (again.busy, again.deltas, again.cells) == (False, 0, 0)
    assert reader.execute(text(cells)).all() == before


def test_two_folds_started_together_fold_every_delta_once(committed, sessions):
    writer, first, second, reader = sessions(4)
    rng = random.Random(4)
    for _ in range(400):
        writer.execute(INSERT_PLACE, _place_values(rng.uniform(-0.4, 0.4), rng.uniform(-0.4, 0.4)))
    writer.commit()
    results, start = [], threading.Barrier(2)

    def run(session):
        start.wait()
        results.append(grid.fold(session, batch=50))

    threads = [threading.Thread(target=run, args=(s,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r.deltas for r in results) == 400
    assert reader.scalar(text("SELECT count(*) FROM place_grid_delta")) == 0
    assert _map_counts_match_places(reader)


def test_the_app_folds_after_a_write_request_once_enough_deltas_wait(app, client, session):
    grid.fold_after_writes(app, threshold=3)

    @app.post("/test-write")
    @csrf.exempt
    def write():
        get_session().execute(INSERT_PLACE, _place_values(9.52, 47.14))
        get_session().commit()
        return "", 204

    pending = text("SELECT count(*) FROM place_grid_delta")
    client.post("/test-write").close()
    client.post("/test-write").close()
    assert session.scalar(pending) == 2
    client.get("/api/places?bbox=9.5,47.1,9.6,47.2").close()
    assert session.scalar(pending) == 2
    response = client.post("/test-write")
    assert session.scalar(pending) == 3  # the answer is out before the fold
    response.close()
    assert session.scalar(pending) == 0
    assert _map_counts_match_places(session)


def test_grid_fold_command_says_what_it_did(runner, session):
    for i in range(3):
        make_place(session, lon=9.52 + i * 0.01, lat=47.14)
    session.flush()
    result = runner.invoke(args=["grid", "fold"])
    assert result.exit_code == 0, result.output
    cells = session.scalar(text("SELECT count(*) FROM place_grid"))
    assert f"Folded 3 grid changes into {cells} cells of the map's grid." in result.output
    assert "Folded 0 grid changes" in runner.invoke(args=["grid", "fold"]).output


# --- helpers -------------------------------------------------------------------------------------------------

CATEGORIES = ("food", "toilets", "shopping")
STATUSES = ("yes", "limited", "no", "unknown")


def _random_change(session: Session, rng: random.Random, ids: list[int]) -> None:
    """One random write: inserts (some on cell edges, some west and south of 0°), moves, status changes,
    hiding and unhiding, deletes, and now and then one statement changing many places."""
    action = rng.choice(("insert", "insert", "move", "status", "hide", "unhide", "delete", "bulk"))
    if action == "insert" or not ids:
        edge = rng.random() < 0.3
        lon = round(rng.uniform(-0.4, 0.4) / 0.005) * 0.005 if edge else rng.uniform(-0.4, 0.4)
        lat = round(rng.uniform(-0.4, 0.4) / 0.005) * 0.005 if edge else rng.uniform(-0.4, 0.4)
        ids.append(session.scalar(INSERT_PLACE, _place_values(lon, lat, rng.choice(CATEGORIES),
                                                              rng.choice(STATUSES))))
        return
    place_id = rng.choice(ids)
    if action == "move":
        session.execute(text("UPDATE places SET geom = ST_Translate(geom, :dx, :dy) WHERE id = :id"),
                        {"dx": rng.uniform(-0.05, 0.05), "dy": rng.uniform(-0.05, 0.05), "id": place_id})
    elif action == "status":
        session.execute(text("UPDATE places SET wheelchair = :w, category = :c WHERE id = :id"),
                        {"w": rng.choice(STATUSES), "c": rng.choice(CATEGORIES), "id": place_id})
    elif action == "hide":
        session.execute(text("UPDATE places SET hidden_at = now() WHERE id = :id"), {"id": place_id})
    elif action == "unhide":
        session.execute(text("UPDATE places SET hidden_at = NULL, gone_at = NULL WHERE id = :id"), {"id": place_id})
    elif action == "delete":
        session.execute(text("DELETE FROM places WHERE id = :id"), {"id": place_id})
        ids.remove(place_id)
    else:
        session.execute(text("""
            UPDATE places SET geom = ST_Translate(geom, 0.004, -0.003),
                              wheelchair = CASE WHEN wheelchair = 'yes' THEN 'no' ELSE 'yes' END
            WHERE id % 3 = :r"""), {"r": rng.randint(0, 2)})


# The map's views over the test area, from street-wide to continent-wide: together they read every grid level.
VIEW_WIDTHS = [0.1 * 2 ** k for k in range(10)]

# The map's cluster grouping (app.queries.map.CLUSTERS_SQL) applied to the places themselves.
DIRECT_CLUSTERS = text("""
    WITH p AS (
        SELECT floor(ST_X(geom) / 0.005)::integer >> :level AS cx, floor(ST_Y(geom) / 0.005)::integer >> :level AS cy,
               wheelchair
        FROM places WHERE hidden_at IS NULL AND gone_at IS NULL)
    SELECT count(*), count(*) FILTER (WHERE wheelchair = 'yes'), count(*) FILTER (WHERE wheelchair = 'limited'),
           count(*) FILTER (WHERE wheelchair = 'no'), count(*) FILTER (WHERE wheelchair = 'unknown')
    FROM p
    WHERE cx BETWEEN floor(:min_lon / :size) AND floor(:max_lon / :size)
        AND cy BETWEEN floor(:min_lat / :size) AND floor(:max_lat / :size)
    GROUP BY floor((greatest(cx * :size, :min_lon) + 180) / :cell), floor((greatest(cy * :size, :min_lat) + 90) / :cell)
""")


def _map_counts_match_places(session: Session) -> bool:
    """Whether the clusters the map answers, at every grid level, count exactly the published places."""
    levels = set()
    fetch = lambda statement, params: session.execute(statement, params).one()  # noqa: E731
    for width in VIEW_WIDTHS:
        box = BBox(-width / 2, -width / 2, width / 2, width / 2)
        cell = grid_cell_size(box, MAX_CLUSTERS)
        level = grid_level(cell, 0.005, 8)
        levels.add(level)
        answer = cluster_features(fetch, MapFilter(box=box), MAX_CLUSTERS)
        features = json.loads(f"[{answer.joined}]")
        seen = sorted((f["properties"]["count"], f["properties"]["yes"], f["properties"]["limited"],
                       f["properties"]["no"], f["properties"]["unknown"]) for f in features)
        direct = sorted(tuple(row) for row in session.execute(DIRECT_CLUSTERS, {
            "level": level, "size": 0.005 * 2 ** level, "cell": cell, "min_lon": box.min_lon,
            "min_lat": box.min_lat, "max_lon": box.max_lon, "max_lat": box.max_lat}))
        if seen != direct:
            return False
    assert levels == set(range(8)), levels
    return True
