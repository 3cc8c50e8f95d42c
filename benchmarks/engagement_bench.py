"""Benchmark /stats and /api/check on 1,000,000 places and 1,000,000 submissions, each next to the same figures
computed naively in SQL in the same run.

    python -m benchmarks.engagement_bench                  # 1,000,000 places and submissions, 3 runs
    python -m benchmarks.engagement_bench --places 100000 --submissions 100000 --runs 2
    python -m benchmarks.engagement_bench --keep           # keep the database: the next run reuses it

The database (`stepfree_bench_engagement_<places>_<submissions>` on STEPFREE_BENCH_SERVER_URL, else
STEPFREE_TEST_SERVER_URL, else DATABASE_URL) is built by the Alembic migrations and filled set-based: the
places as benchmarks.synthetic makes them (around ~50 real city centres), then volunteers, moderators and
submissions over two years with one INSERT ... SELECT each, triggers on. Each run then times, interleaved:

- GET /stats and GET /api/stats through the Flask app's WSGI interface (test client: routing, the rollup
  queries, the template or JSON), next to the same figures computed naively in plain psycopg: aggregates over
  places and submissions (coverage by category, by area and by week, contributions per week, percentile_disc
  of the moderation latency, the queue by kind);
- GET /api/check?near=... at points near the city centres (the due places nearest first, by the GiST index's
  KNN order), next to a naive SQL of the same places ordered by ST_Distance over every due place.

Every loop stops after its count or its time budget, whichever comes first; everything runs on this machine's
loopback. It prints, per figure, the median over the runs of each run's p50 and p95 with their range
(min-max), and the naive/app ratio of the p95s. Goals: /stats and /api/check p95 under 100 ms, and /stats at
least 20x faster than the naive SQL.
"""

import argparse
import logging
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date

import psycopg
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.config import Config
from app.dbadmin import drop_database, ensure_database
from app.models.base import utcnow
from app.queries.stats import recent_weeks
from app.schema import alembic_config
from benchmarks.synthetic import CITIES, fill_places, fill_submissions, server_url

log = logging.getLogger(__name__)

PUBLISHED = "hidden_at IS NULL AND gone_at IS NULL"
WEEK = "date_trunc('week', {} AT TIME ZONE 'UTC')::date"
DECIDED_BY_MODERATOR = ("origin = 'volunteer' AND NOT auto_approved AND state IN ('approved', 'rejected') "
                        "AND decided_at IS NOT NULL")
MINUTES = "floor(extract(epoch FROM decided_at - created_at) / 60)"

# What /stats shows, counted from the places and submissions themselves on every view.
NAIVE_STATS = {
    "by_category": f"SELECT category, wheelchair, count(*) FROM places WHERE {PUBLISHED} GROUP BY 1, 2",
    "by_area": f"""SELECT floor(ST_X(geom) / 0.5), floor(ST_Y(geom) / 0.5), count(*),
                          count(*) FILTER (WHERE wheelchair <> 'unknown')
                   FROM places WHERE {PUBLISHED} GROUP BY 1, 2""",
    "weekly": f"""SELECT week, sum(n) OVER w, sum(known) OVER w FROM (
                      SELECT {WEEK.format('created_at')} AS week, count(*) AS n,
                             count(*) FILTER (WHERE wheelchair <> 'unknown') AS known
                      FROM places WHERE {PUBLISHED} GROUP BY 1) AS t
                  WINDOW w AS (ORDER BY week)""",
    "contributions": f"""SELECT {WEEK.format('created_at')}, kind, count(*) FROM submissions
                         WHERE origin = 'volunteer' AND {WEEK.format('created_at')} >= %(first)s GROUP BY 1, 2""",
    "latency": f"""SELECT {WEEK.format('decided_at')} AS week, count(*),
                          percentile_disc(0.5) WITHIN GROUP (ORDER BY {MINUTES}),
                          percentile_disc(0.9) WITHIN GROUP (ORDER BY {MINUTES})
                   FROM submissions WHERE {DECIDED_BY_MODERATOR} AND {WEEK.format('decided_at')} >= %(first)s
                   GROUP BY GROUPING SETS ((week), ())""",
    "queue": "SELECT kind, count(*) FROM submissions WHERE state = 'pending' GROUP BY 1",
}

# The places /api/check answers, without the index's nearest-first order: the distance to every due place.
NAIVE_CHECK = f"""
SELECT id, name, category, wheelchair, toilets_wheelchair, description, version, last_verified_at,
       ST_X(geom), ST_Y(geom),
       ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) AS distance
FROM places
WHERE {PUBLISHED} AND (wheelchair = 'unknown' OR last_verified_at IS NULL
      OR last_verified_at < now() - make_interval(days => CASE WHEN wheelchair IN ('limited', 'no')
                                                               THEN %(short)s ELSE %(long)s END))
ORDER BY distance LIMIT 10
"""


def database_url(places: int, submissions: int) -> str:
    name = f"stepfree_bench_engagement_{places}_{submissions}"
    return make_url(server_url()).set(database=name).render_as_string(hide_password=False)


def build_database(url: str, places: int, submissions: int) -> None:
    """Create and fill the benchmark database, or reuse it when it already holds what was asked."""
    created = ensure_database(url)
    command.upgrade(alembic_config(url), "head")
    engine = create_engine(url)
    with engine.begin() as conn:
        held = conn.execute(text("SELECT (SELECT count(*) FROM places), (SELECT count(*) FROM submissions)")).one()
        if not created and tuple(held) == (places, submissions):
            log.info("reusing %s", make_url(url).database)
            engine.dispose()
            return
        conn.execute(text("TRUNCATE places, submissions, users RESTART IDENTITY CASCADE"))
    engine.dispose()
    started = time.perf_counter()
    fill_places(url, places)
    log.info("%d places in %.1f s", places, time.perf_counter() - started)
    started = time.perf_counter()
    fill_submissions(url, submissions)
    log.info("%d submissions in %.1f s (rollups by the statement triggers)", submissions,
             time.perf_counter() - started)


def timed(action: Callable[..., object], *args) -> float:
    started = time.perf_counter()
    action(*args)
    return time.perf_counter() - started


def measure(actions: list[Callable[[int], object]], baseline: Callable[[int], object],
            args) -> tuple[list[list[float]], list[float]]:
    """Time each action (given the round's number) for --requests rounds, and the baseline in the first --naive
    of them, interleaved; stop early once the run's --budget seconds have passed."""
    samples: list[list[float]] = [[] for _ in actions]
    naive: list[float] = []
    deadline = time.perf_counter() + args.budget
    for i in range(args.requests):
        for action, times in zip(actions, samples, strict=True):
            times.append(timed(action, i))
        if i < args.naive:
            naive.append(timed(baseline, i))
        if time.perf_counter() > deadline:
            break
    return samples, naive


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _ok_json(client, path: str) -> Callable[[], dict]:
    def get():
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
        return response.get_json() if response.is_json else None
    return get


def check_agreement(answer: dict, conn, first: date) -> int:
    """Compare /api/stats with the naive SQL on the figures both state; return how many numbers agreed."""
    categories = {(c, s): n for c, s, n in conn.execute(NAIVE_STATS["by_category"])}
    expected = [((c["category"], s), categories.get((c["category"], s), 0), n)
                for c in answer["coverage"]["by_category"] for s, n in c["by_status"].items()]
    queue = dict(conn.execute(NAIVE_STATS["queue"]).fetchall())
    expected += [(kind, queue.get(kind, 0), n) for kind, n in answer["moderation"]["queue"]["by_kind"].items()]
    latency = {week: (n, p50, p90) for week, n, p50, p90 in conn.execute(NAIVE_STATS["latency"], {"first": first})}
    window = answer["moderation"]["latency"]
    weeks = [(None, window)] + [(date.fromisoformat(w["week"]), w) for w in window["weekly"]]
    for week, figures in weeks:
        n, p50, p90 = latency.get(week, (0, None, None))
        expected += [((week, "decisions"), n, figures["decisions"]), ((week, "p50"), p50, figures["p50_minutes"]),
                     ((week, "p90"), p90, figures["p90_minutes"])]
    wrong = [(what, naive, rollup) for what, naive, rollup in expected if naive != rollup]
    assert not wrong, f"/api/stats and the naive SQL disagree: {wrong[:10]}"
    return len(expected)


def run(args) -> int:
    url = database_url(args.places, args.submissions)
    try:
        build_database(url, args.places, args.submissions)
        results, agreed = measure_runs(url, args)
    finally:
        if not args.keep:
            drop_database(url)
    return report(args, results, agreed)


def measure_runs(url: str, args) -> tuple[dict, int]:
    """Check that /api/stats and the naive SQL agree, then time the endpoints and their baselines --runs times."""
    app = create_app(Config(DATABASE_URL=url, SECRET_KEY="benchmark"))
    logging.getLogger("app.requests").setLevel(logging.WARNING)
    client = app.test_client()
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    rng = random.Random(args.seed)
    first = recent_weeks(utcnow().date())[0]
    names = ("GET /stats", "GET /api/stats", "GET /api/check")
    results = {name: {"p50": [], "p95": [], "naive": []} for name in names}
    with psycopg.connect(dsn, autocommit=True) as conn:
        agreed = check_agreement(_ok_json(client, "/api/stats")(), conn, first)
        for _ in range(args.runs):
            _ok_json(client, "/stats")()  # warm the connection and the template cache
            (stats, api), naive_stats = measure(*_stats_actions(client, conn, first), args)
            # Where volunteers stand: near the city centres the places gather around.
            points = [(rng.gauss(lon, spread), rng.gauss(lat, spread * 0.7))
                      for _, lon, lat, spread in (rng.choice(CITIES) for _ in range(args.requests))]
            (checks,), naive_check = measure(*_check_actions(client, conn, points), args)
            for name, times, baseline in zip(names, (stats, api, checks), (naive_stats, naive_stats, naive_check),
                                             strict=True):
                results[name]["p50"].append(statistics.median(times))
                results[name]["p95"].append(p95(times))
                results[name]["naive"].append(p95(baseline))
    app.extensions["stepfree_db"].engine.dispose()
    return results, agreed


def _stats_actions(client, conn, first: date):
    """GET /stats and GET /api/stats, and the naive SQL of the same figures."""
    def naive(_):
        return [conn.execute(sql, {"first": first}).fetchall() for sql in NAIVE_STATS.values()]

    return [lambda _: _ok_json(client, "/stats")(), lambda _: _ok_json(client, "/api/stats")()], naive


def _check_actions(client, conn, points: list[tuple[float, float]]):
    """GET /api/check at each point, and the naive SQL of the same places there."""
    config = Config()

    def check(i):
        return _ok_json(client, f"/api/check?near={points[i][0]:.5f},{points[i][1]:.5f}")()

    def naive(i):
        return conn.execute(NAIVE_CHECK, {"lon": points[i][0], "lat": points[i][1],
                                          "short": config.RECHECK_LIMITED_NO_AFTER_DAYS,
                                          "long": config.RECHECK_AFTER_DAYS}).fetchall()

    return [check], naive


def report(args, results: dict, agreed: int) -> int:
    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:8.2f} ({min(values) * 1000:.2f}-{max(values) * 1000:.2f})"

    print(f"{args.places:,} places, {args.submissions:,} submissions; {args.runs} runs of up to {args.requests} "
          f"requests; medians of the runs (min-max), ms")
    print(f"{'':<16} {'p50':>24} {'p95':>24} {'naive SQL p95':>26} {'naive/app p95':>22}")
    for name, r in results.items():
        ratios = [n / a for n, a in zip(r["naive"], r["p95"], strict=True)]
        print(f"{name:<16} {ms(r['p50']):>24} {ms(r['p95']):>24} {ms(r['naive']):>26} "
              f"{statistics.median(ratios):9.1f}x ({min(ratios):.1f}-{max(ratios):.1f})")
    print(f"/api/stats agreed with the naive SQL on {agreed} numbers")
    stats_p95 = statistics.median(results["GET /stats"]["p95"])
    check_p95 = statistics.median(results["GET /api/check"]["p95"])
    speedup = statistics.median(n / a for n, a in zip(results["GET /stats"]["naive"], results["GET /stats"]["p95"],
                                                       strict=True))
    goals = [("/stats p95 under 100 ms", stats_p95 < 0.1), ("/api/check p95 under 100 ms", check_p95 < 0.1),
             ("/stats at least 20x faster than the naive SQL", speedup >= 20)]
    for goal, met in goals:
        print(f"{goal}: {'OK' if met else 'MISSED'}")
    return 0 if all(met for _, met in goals) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, default=1_000_000)
    parser.add_argument("--submissions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=60, help="requests per endpoint and run")
    parser.add_argument("--naive", type=int, default=10,
                        help="naive SQL baselines per endpoint and run (each one reads every place or submission)")
    parser.add_argument("--budget", type=float, default=90.0, help="seconds per timed loop, at most")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
