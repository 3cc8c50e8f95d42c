"""Benchmark the moderation queue at 10,000 and at 1,000,000 pending submissions, next to the bare SQL of the
same queries.

    python -m benchmarks.queue_bench                               # 10,000 and 1,000,000 pending, 3 runs
    python -m benchmarks.queue_bench --sizes 10000,100000 --runs 5 --pages 40 --claims 100

For each size it creates a database (`stepfree_bench_queue_<pid>_<size>` on STEPFREE_BENCH_SERVER_URL, else
STEPFREE_TEST_SERVER_URL, else DATABASE_URL), builds it with the Alembic migrations, loads the submissions with
INSERT ... SELECT over generate_series (triggers on, so the rollups the queue's counts read are the ones
production keeps), and drops it at the end. Then, in the same run:

(a) GET /moderate through the Flask app's WSGI interface (test client: session cookie, user load, the
    queries, the template), next to the same statements the page runs, compiled from the same SQLAlchemy
    objects and sent by plain psycopg; the sizes take turns, --runs times, so both see the same machine;
(b) at the largest size, claiming the next item through `claims.claim_next` (SQLAlchemy, the service, its
    audit event, commit), next to the same SELECT ... FOR UPDATE SKIP LOCKED, UPDATE and event INSERT sent by
    plain psycopg.

It prints each figure's median over the runs with its min-max range, the page's p95 at the largest size as a
ratio of its p95 at the smallest (target: within 1.5x, the queue's cost does not grow with its length), and
the app/SQL ratios (target: within 3x).
"""

import argparse
import logging
import os
import statistics
import sys
import time

import psycopg
from alembic import command
from flask import Flask
from psycopg.rows import dict_row
from sqlalchemy import create_engine, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import create_app
from app.config import Config
from app.dbadmin import drop_database, ensure_database
from app.models import User
from app.queries import moderation as queue
from app.schema import alembic_config
from app.services import claims
from benchmarks.synthetic import server_url

log = logging.getLogger(__name__)

FILL_SQL = """
INSERT INTO users (email, display_name, password_hash, role, created_at)
SELECT 'author' || g || '@bench.invalid', 'Author ' || g, 'x', 'volunteer', now() - (g % 400) * interval '1 day'
FROM generate_series(1, :authors) AS g;
INSERT INTO users (email, display_name, password_hash, role)
SELECT 'moderator' || g || '@bench.invalid', 'Moderator ' || g, 'x', 'moderator'
FROM generate_series(1, :moderators) AS g;
INSERT INTO places (geom, name, category, wheelchair, source, version)
SELECT ST_SetSRID(ST_MakePoint(5 + random() * 15, 45 + random() * 10), 4326), 'Place ' || g, 'food', 'unknown',
       'demo', 1
FROM generate_series(1, :places) AS g;
INSERT INTO revisions (place_id, version, source, before, after)
SELECT id, 1, 'demo', '{}'::jsonb, '{}'::jsonb FROM places;
INSERT INTO submissions (kind, state, origin, place_id, proposed, base_version, geom, author_id, device_hash,
                         created_at)
SELECT k.kind, 'pending', 'volunteer', CASE WHEN k.kind = 'new_place' THEN NULL ELSE p.id END,
       CASE k.kind WHEN 'status' THEN '{"wheelchair": "yes"}'::jsonb
                   WHEN 'report' THEN '{"problem": "closed"}'::jsonb
                   WHEN 'correction' THEN '{"name": "Renamed"}'::jsonb
                   ELSE '{"name": "New", "category": "food", "wheelchair": "no", "lon": 9.5, "lat": 47.1}'::jsonb END,
       CASE WHEN k.kind = 'new_place' THEN NULL ELSE 1 END, p.geom,
       CASE WHEN g % 5 < 2 THEN 1 + g % :authors END,
       CASE WHEN g % 5 >= 2 THEN md5('device' || (g % 5000)) || md5('salt' || (g % 5000)) END,
       now() - (random() * 30) * interval '1 day'
FROM generate_series(1, :pending) AS g
JOIN places p ON p.id = 1 + g % :places
CROSS JOIN LATERAL (SELECT (ARRAY['status', 'status', 'status', 'status', 'status', 'status', 'status',
                                   'new_place', 'correction', 'report'])[1 + g % 10] AS kind) AS k;
"""

CLAIM_EVENT_SQL = ("INSERT INTO moderation_events (actor_id, action, submission_id, place_id) "
                   "VALUES (%(actor)s, 'claim', %(id)s, %(place)s)")
CLAIM_UPDATE_SQL = ("UPDATE submissions SET claimed_by_id = %(actor)s, "
                    "claim_expires_at = now() + interval '10 minutes' WHERE id = %(id)s")


def build_database(url: str, pending: int, moderators: int) -> float:
    """Create the benchmark database from the migrations and fill it; return the seconds the filling took."""
    ensure_database(url)
    command.upgrade(alembic_config(url), "head")
    engine = create_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        for statement in filter(str.strip, FILL_SQL.split(";\n")):
            conn.execute(text(statement), {"authors": 2000, "moderators": moderators, "places": 20000,
                                           "pending": pending})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    elapsed = time.perf_counter() - started
    log.info("loaded %d pending submissions in %.1f s", pending, elapsed)
    return elapsed


def _compiled(stmt) -> tuple[str, dict]:
    """SQL text and parameters of a SQLAlchemy statement, in psycopg's %(name)s style."""
    compiled = stmt.compile(dialect=postgresql.psycopg.dialect(), compile_kwargs={"render_postcompile": True})
    return str(compiled), dict(compiled.params)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def bench_claims(app: Flask, conninfo: str, moderator_ids: list[int], rounds: int) -> tuple[list, list]:
    """Time claim_next through the service and the same statements in psycopg, alternating."""
    engine = app.extensions["stepfree_db"].engine
    policy = app.extensions["moderation_policy"]
    service, bare = [], []
    with psycopg.connect(conninfo, row_factory=dict_row) as raw, app.app_context():
        for i in range(rounds):
            with Session(engine) as session:
                moderator = session.get(User, moderator_ids[2 * i])
                started = time.perf_counter()
                submission = claims.claim_next(session, moderator, policy=policy)
                session.commit()
                service.append(time.perf_counter() - started)
                assert submission is not None
            actor = moderator_ids[2 * i + 1]
            sql, params = _compiled(claims.next_claim_statement(policy=policy, moderator_id=actor))
            started = time.perf_counter()
            with raw.transaction():
                row = raw.execute(sql, params).fetchone()
                raw.execute(CLAIM_UPDATE_SQL, {"actor": actor, "id": row["id"]})
                raw.execute(CLAIM_EVENT_SQL, {"actor": actor, "id": row["id"], "place": row["place_id"]})
            bare.append(time.perf_counter() - started)
    return service, bare


def bench_queue_page(app: Flask, conninfo: str, moderator_id: int, rounds: int) -> tuple[list, list]:
    """Time GET /moderate through WSGI and the statements the page runs in psycopg, alternating."""
    client = app.test_client()
    policy = app.extensions["moderation_policy"]
    with Session(app.extensions["stepfree_db"].engine) as session:
        session_id = session.get(User, moderator_id).get_id()
    with client.session_transaction() as web_session:
        web_session["_user_id"] = session_id
        web_session["_fresh"] = True
    filters = queue.QueueFilters()
    page, bare = [], []
    with psycopg.connect(conninfo, autocommit=True, row_factory=dict_row) as raw:
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get("/moderate")
            page.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
            started = time.perf_counter()
            with app.app_context():
                user_sql = _compiled(select(User).where(User.id == moderator_id))
                list_sql = _compiled(queue.queue_statement(filters, policy))
                counts_sql = _compiled(queue.pending_counts_statement(filters, policy))
            raw.execute(*user_sql).fetchall()
            rows = raw.execute(*list_sql).fetchall()
            raw.execute(*counts_sql).fetchall()
            author_ids = list({r["author_id"] for r in rows if r["author_id"] is not None})
            if author_ids:
                raw.execute(*_compiled(policy.trusted_user_ids(among=sorted(author_ids)))).fetchall()
            bare.append(time.perf_counter() - started)
    return page, bare


def _summary(values: list[float]) -> str:
    """The median of per-run values, with their range (min-max), in milliseconds."""
    ms = [v * 1000 for v in values]
    return f"{statistics.median(ms):8.2f} ({min(ms):.2f}-{max(ms):.2f})"


def _ratio(values: list[float]) -> str:
    return f"{statistics.median(values):5.2f}x ({min(values):.2f}-{max(values):.2f})"


def _database_url(size: int) -> str:
    return make_url(server_url()).set(database=f"stepfree_bench_queue_{os.getpid()}_{size}").render_as_string(
        hide_password=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,1000000", help="pending submissions, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="rounds of page loads at every size")
    parser.add_argument("--pages", type=int, default=60, help="page loads per size and run")
    parser.add_argument("--claims", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases afterwards")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sizes = sorted(int(s) for s in args.sizes.split(","))
    urls = {size: _database_url(size) for size in sizes}
    # Per size: the p95 of each run, of the page and of its bare SQL.
    page_p95: dict[int, list[float]] = {size: [] for size in sizes}
    bare_p95: dict[int, list[float]] = {size: [] for size in sizes}
    loaded: dict[int, float] = {}
    try:
        apps, moderators = {}, {}
        for size in sizes:
            loaded[size] = build_database(urls[size], size, moderators=2 * args.claims + 1)
            apps[size] = create_app(Config(DATABASE_URL=urls[size], SECRET_KEY="bench"))
            logging.getLogger("app.requests").setLevel(logging.WARNING)
            with psycopg.connect(_conninfo(urls[size])) as raw:
                moderators[size] = [r[0] for r in raw.execute(
                    "SELECT id FROM users WHERE role = 'moderator' ORDER BY id")]
        for _ in range(args.runs):
            for size in sizes:
                page, bare = bench_queue_page(apps[size], _conninfo(urls[size]), moderators[size][-1], args.pages)
                page_p95[size].append(_percentiles(page)[1])
                bare_p95[size].append(_percentiles(bare)[1])
        largest = sizes[-1]
        claim, claim_bare = bench_claims(apps[largest], _conninfo(urls[largest]), moderators[largest], args.claims)
        for app in apps.values():
            app.extensions["stepfree_db"].engine.dispose()
    finally:
        if not args.keep:
            for url in urls.values():
                drop_database(url)
    print(f"moderation queue: GET /moderate, {args.runs} runs of {args.pages} page loads per size; "
          "medians of the runs' p95 (min-max), ms")
    print(f"{'pending':>10} {'page p95':>22} {'SQL p95':>22} {'page/SQL':>18} {'loaded in':>10}")
    for size in sizes:
        print(f"{size:>10,} {_summary(page_p95[size]):>22} {_summary(bare_p95[size]):>22} "
              f"{_ratio([p / b for p, b in zip(page_p95[size], bare_p95[size], strict=True)]):>18} "
              f"{loaded[size]:>8.1f} s")
    growth = [p / q for p, q in zip(page_p95[largest], page_p95[sizes[0]], strict=True)]
    print(f"page p95 at {largest:,} / at {sizes[0]:,} pending: {_ratio(growth)} (target within 1.5x)")
    claim_ratio = _percentiles(claim)[1] / _percentiles(claim_bare)[1]
    print(f"claim next at {largest:,} pending ({args.claims} claims): p50 {_percentiles(claim)[0] * 1000:.2f} ms, "
          f"p95 {_percentiles(claim)[1] * 1000:.2f} ms; SQL p95 {_percentiles(claim_bare)[1] * 1000:.2f} ms; "
          f"{claim_ratio:.2f}x (target within 3x)")
    page_ratio = max(statistics.median([p / b for p, b in zip(page_p95[s], bare_p95[s], strict=True)]) for s in sizes)
    ok = statistics.median(growth) <= 1.5 and claim_ratio <= 3 and page_ratio <= 3
    print("OK" if ok else "OVER TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
