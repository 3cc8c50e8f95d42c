"""Benchmark the moderation queue with 100,000 pending submissions, next to the bare SQL of the same queries.

    python -m benchmarks.queue_bench                         # 100,000 pending, 300 claims, 60 page loads
    python -m benchmarks.queue_bench --pending 20000 --claims 100 --pages 30

It creates its own database (`stepfree_bench_queue_<pid>` on STEPFREE_BENCH_SERVER_URL, else
STEPFREE_TEST_SERVER_URL, else DATABASE_URL), builds it with the Alembic migrations, loads the submissions
with INSERT ... SELECT over generate_series, and drops it at the end. Interleaved, in the same run:

(a) claiming the next item through `claims.claim_next` (SQLAlchemy, the service, its audit event, commit),
    next to the same SELECT ... FOR UPDATE SKIP LOCKED, UPDATE and event INSERT sent by plain psycopg;
(b) GET /moderate through the Flask app's WSGI interface (test client: session cookie, user load, the
    queries, the template), next to the same statements the page runs, compiled from the same SQLAlchemy
    objects and sent by plain psycopg.

It prints p50/p95 of each and the ratio of the p95s (target: within 3x).
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


def build_database(url: str, pending: int, moderators: int) -> None:
    """Create the benchmark database from the migrations and fill it."""
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
    log.info("loaded %d pending submissions in %.1f s", pending, time.perf_counter() - started)


def _compiled(stmt) -> tuple[str, dict]:
    """SQL text and parameters of a SQLAlchemy statement, in psycopg's %(name)s style."""
    compiled = stmt.compile(dialect=postgresql.psycopg.dialect(), compile_kwargs={"render_postcompile": True})
    return str(compiled), dict(compiled.params)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


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
                ids = policy.trusted_user_ids().subquery().c[0]
                raw.execute(*_compiled(select(ids).where(ids.in_(author_ids)))).fetchall()
            bare.append(time.perf_counter() - started)
    return page, bare


def _row(label: str, measured: list[float], baseline: list[float]) -> str:
    p50, p95 = _percentiles(measured)
    b50, b95 = _percentiles(baseline)
    return (f"{label:<34} {p50 * 1000:>9.2f} {p95 * 1000:>9.2f} {b50 * 1000:>9.2f} {b95 * 1000:>9.2f} "
            f"{p95 / b95:>7.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=300)
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    url = make_url(server_url()).set(database=f"stepfree_bench_queue_{os.getpid()}").render_as_string(
        hide_password=False)
    try:
        build_database(url, args.pending, moderators=2 * args.claims + 1)
        app = create_app(Config(DATABASE_URL=url, SECRET_KEY="bench"))
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo) as raw:
            moderator_ids = [r[0] for r in raw.execute("SELECT id FROM users WHERE role = 'moderator' ORDER BY id")]
        page, page_bare = bench_queue_page(app, conninfo, moderator_ids[-1], args.pages)
        claim, claim_bare = bench_claims(app, conninfo, moderator_ids, args.claims)
        app.extensions["stepfree_db"].engine.dispose()
    finally:
        if not args.keep:
            drop_database(url)
    print(f"moderation queue, {args.pending:,} pending submissions ({args.claims} claims, {args.pages} page loads)")
    print(f"{'':<34} {'p50 ms':>9} {'p95 ms':>9} {'SQL p50':>9} {'SQL p95':>9} {'p95/SQL':>8}")
    print(_row("claim next (service, commit)", claim, claim_bare))
    print(_row("GET /moderate (WSGI, rendered)", page, page_bare))
    worst = max(_percentiles(claim)[1] / _percentiles(claim_bare)[1],
                _percentiles(page)[1] / _percentiles(page_bare)[1])
    print(f"worst p95 ratio {worst:.2f}x (target within 3x): {'OK' if worst <= 3 else 'OVER TARGET'}")
    return 0 if worst <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
