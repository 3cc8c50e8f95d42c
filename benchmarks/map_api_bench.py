"""Benchmark GET /api/places over realistic phone viewports, next to the same bbox query in plain psycopg.

    python -m benchmarks.map_api_bench                      # 1,000,000 places, 300 viewports per zoom
    python -m benchmarks.map_api_bench --places 100000 --viewports 200

Viewports are phone-shaped (390×844 px) and centred near the same real city centres the synthetic places
gather around, at street (~0.01° wide), city (~0.08°) and region (~1.3°) zoom; the "world" row asks for the
whole map (bbox=-180,-85,180,85, a phone zoomed all the way out) as many times. For each one, in the same run and
interleaved, it times (a) the app through its WSGI interface (Flask's test client: routing, parsing,
validation, the queries, the response), (b) the same SQL statements the app ran for that view (points with
limit+1, and the place_grid cluster query when the view is wide or holds more than `limit` places) executed
directly in psycopg, and (c) for reference, one psycopg query building a FeatureCollection of the first
`limit` points in SQL, as in the issue. It prints p50/p95, the app/direct p95 ratio, and the largest number of
features any answer held (never more than `limit`).

The grid's deltas are folded before the run; `--deltas N` then leaves N unfolded (status changes of N/4 random
places, each made and undone, two deltas apiece) so the cluster reads sum them too, as between two folds of a
running app. They are folded again at the end: the database is left as it was.
"""

import argparse
import logging
import math
import random
import statistics
import sys
import time

import psycopg
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import create_app
from app.config import Config
from app.db import psycopg_sql
from app.queries.map import Fetch, MapFilter, view_features
from app.services import grid
from benchmarks.synthetic import CITIES, DEFAULT_PLACES, ensure_synthetic_database
from geo.bbox import BBox

# Widths in degrees; None: the whole world, the same box every time.
ZOOMS = (("street", 0.01), ("city", 0.08), ("region", 1.3), ("world", None))
WORLD = (-180.0, -85.0, 180.0, 85.0)
PHONE_ASPECT = 844 / 390
LIMIT = 500

BASELINE_SQL = """
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(f.feature), '[]'::json))::text
FROM (
    SELECT json_build_object('type', 'Feature', 'id', p.id, 'geometry', ST_AsGeoJSON(p.geom, 7)::json,
                             'properties', json_build_object('name', p.name, 'category', p.category,
                                                             'wheelchair', p.wheelchair,
                                                             'toilets_wheelchair', p.toilets_wheelchair)) AS feature
    FROM places p
    WHERE p.geom && ST_MakeEnvelope(%(a)s, %(b)s, %(c)s, %(d)s, 4326) AND p.hidden_at IS NULL AND p.gone_at IS NULL
    LIMIT %(limit)s
) f
"""




def psycopg_fetch(conn) -> Fetch:
    """The app's Fetch on a plain psycopg connection: the same statements, without SQLAlchemy."""
    return lambda statement, params: conn.execute(psycopg_sql(statement), params).fetchone()


def direct(conn, box: BBox) -> int:
    """Run, in psycopg, the statements the app runs for this view; return the number of features."""
    return view_features(psycopg_fetch(conn), MapFilter(box=box), LIMIT).count


def viewports(count: int, width: float, rng: random.Random) -> list[tuple[float, float, float, float]]:
    """Phone-shaped boxes of `width` degrees near real city centres, where people look at the map."""
    boxes = []
    for _ in range(count):
        _, lon, lat, spread = rng.choice(CITIES)
        cx, cy = rng.gauss(lon, spread), rng.gauss(lat, spread * 0.7)
        height = width * PHONE_ASPECT * math.cos(math.radians(cy))
        boxes.append((cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2))
    return boxes


def fold_deltas(url: str) -> None:
    engine = create_engine(url)
    with Session(engine) as session:
        grid.fold(session)
    engine.dispose()


def leave_unfolded_deltas(conn, count: int, rng: random.Random) -> int:
    """Change the status of count/4 random published places and change it back, one statement each (each
    writes two deltas: -1 for the old status, +1 for the new); return how many deltas wait unfolded."""
    conn.execute("SELECT setseed(%(seed)s)", {"seed": rng.random()})
    rows = conn.execute("SELECT id, wheelchair FROM places WHERE hidden_at IS NULL AND gone_at IS NULL "
                        "ORDER BY random() LIMIT %(n)s", {"n": count // 4}).fetchall()
    flip = "UPDATE places SET wheelchair = %(w)s WHERE id = %(id)s"
    for place_id, wheelchair in rows:
        conn.execute(flip, {"id": place_id, "w": "no" if wheelchair != "no" else "yes"})
        conn.execute(flip, {"id": place_id, "w": wheelchair})
    waiting = conn.execute("SELECT count(*) FROM place_grid_delta").fetchone()[0]
    conn.commit()
    return waiting


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(places: int, per_zoom: int, seed: int, deltas: int) -> int:
    url = ensure_synthetic_database(places)
    fold_deltas(url)
    app = create_app(Config(DATABASE_URL=url, SECRET_KEY="benchmark"))
    client = app.test_client()
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    rng = random.Random(seed)
    print(f"{places:,} places, {per_zoom} phone viewports per zoom, limit {LIMIT}")
    print(f"{'zoom':<7} {'app p50':>9} {'app p95':>9} {'SQL p50':>9} {'SQL p95':>9} {'p95 ratio':>9} "
          f"{'FC p95':>8} {'max feats':>9} {'clustered':>9}")
    failures = 0
    with psycopg.connect(dsn) as conn:
        print(f"unfolded grid deltas during the run: {leave_unfolded_deltas(conn, deltas, rng) if deltas else 0:,}")
        for name, width in ZOOMS:
            boxes = viewports(per_zoom, width, rng) if width else [WORLD] * per_zoom
            app_ms, sql_ms, fc_ms, max_features, clustered = [], [], [], 0, 0
            for i, (a, b, c, d) in enumerate(boxes):
                query = f"/api/places?bbox={a:.6f},{b:.6f},{c:.6f},{d:.6f}&limit={LIMIT}"
                start = time.perf_counter()
                response = client.get(query)
                elapsed_app = time.perf_counter() - start
                if response.status_code != 200:
                    print(f"  {query} answered {response.status_code}: {response.get_data(as_text=True)[:200]}")
                    failures += 1
                    continue
                body = response.get_json(force=True)
                start = time.perf_counter()
                direct(conn, BBox(a, b, c, d))
                elapsed_sql = time.perf_counter() - start
                start = time.perf_counter()
                conn.execute(BASELINE_SQL, {"a": a, "b": b, "c": c, "d": d, "limit": LIMIT}).fetchone()
                elapsed_fc = time.perf_counter() - start
                if i >= 10:  # the first few warm caches and connections
                    app_ms.append(elapsed_app * 1000)
                    sql_ms.append(elapsed_sql * 1000)
                    fc_ms.append(elapsed_fc * 1000)
                max_features = max(max_features, len(body["features"]))
                clustered += body["clustered"]
            ratio = percentile(app_ms, 0.95) / percentile(sql_ms, 0.95)
            print(f"{name:<7} {statistics.median(app_ms):9.2f} {percentile(app_ms, 0.95):9.2f} "
                  f"{statistics.median(sql_ms):9.2f} {percentile(sql_ms, 0.95):9.2f} {ratio:8.2f}× "
                  f"{percentile(fc_ms, 0.95):8.2f} "
                  f"{max_features:9d} {clustered:>5}/{len(boxes)}")
            if max_features > LIMIT:
                failures += 1
    print("times in milliseconds; SQL = the app's own statements for that view run directly in psycopg; "
          "FC = one psycopg query building a FeatureCollection of up to 500 points in SQL (reference)")
    fold_deltas(url)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, default=DEFAULT_PLACES)
    parser.add_argument("--viewports", type=int, default=300, help="viewports per zoom level")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--deltas", type=int, default=0, help="unfolded grid deltas to leave during the run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return run(args.places, args.viewports, args.seed, args.deltas)


if __name__ == "__main__":
    sys.exit(main())
