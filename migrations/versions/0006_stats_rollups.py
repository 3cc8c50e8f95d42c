"""Statistics rollups: coverage, contributions, moderation latency and the queue, kept exact by triggers

/stats and the moderation queue's counts read these small tables instead of counting places and submissions
on every view. Statement-level triggers with transition tables keep them exact in the writing transaction,
whatever writes (services, the OSM import, reverts, plain SQL): one trigger per event, so a bulk import pays
one aggregate per statement, not one per row. A change is counted as +1 for the row as it is after and -1 for
the row as it was before, so an update that moves nothing a rollup counts nets to zero and writes nothing.

Every writer adds to its own shard (pg_backend_pid() % 8) of a counter and readers sum the shards: the counters
everyone touches (the current week, the pending count of a kind) are not one row that concurrent transactions
queue for. A shard may go negative; only the sum means anything. The latency histograms are keyed by week and
minute, which already spreads their writes, and sharding them would multiply what a percentile reads.

- stats_places: published places by category and wheelchair status.
- stats_areas: published places, and how many have a known status, per cell of AREA_DEGREES.
- stats_coverage_weekly: per ISO week (UTC), the change in published places and in known ones. A new place
  counts in the week it was created, any later change in the week it happens; the running sum is the
  weekly coverage series.
- stats_contributions_weekly: volunteers' submissions by kind and the ISO week they were made.
- stats_pending: pending submissions by kind (the moderation queue's counts).
- stats_latency, stats_latency_hours: moderators' decisions on volunteers' submissions (not auto-approvals,
  not import conflicts or reopened values) by the week decided and the whole minutes (and hours) waited.
  The hour histogram finds which hour holds a percentile; the minute one then gives it exactly.

Backfill: the current places and submissions. Before this migration there was no record of when a place was
hidden, so the coverage series counts today's published places from their creation, and a known status from
the last revision that turned an unknown status into a known one.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

AREA_DEGREES = 0.5
SHARDS = 8

# One subquery per trigger event: the rows it changed, each with its sign.
SIGNED_ROWS = {
    "insert": "SELECT 1 AS sign, * FROM new_rows",
    "delete": "SELECT -1 AS sign, * FROM old_rows",
    "update": "SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1 AS sign, * FROM old_rows",
}
TRANSITIONS = {"insert": "NEW TABLE AS new_rows", "delete": "OLD TABLE AS old_rows",
               "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
PUBLISHED = "hidden_at IS NULL AND gone_at IS NULL"
KNOWN = "CASE WHEN wheelchair <> 'unknown' THEN sign ELSE 0 END"
CELL_X = f"floor(ST_X(geom) / {AREA_DEGREES})::integer"
CELL_Y = f"floor(ST_Y(geom) / {AREA_DEGREES})::integer"
# A moderator's verdict on a volunteer's submission: what moderation latency measures.
MODERATOR_DECISION = ("origin = 'volunteer' AND NOT auto_approved AND state IN ('approved', 'rejected') "
                      "AND decided_at IS NOT NULL")

TABLES = ("stats_places", "stats_areas", "stats_coverage_weekly", "stats_contributions_weekly", "stats_pending",
          "stats_latency", "stats_latency_hours")


def _key(name: str, type_) -> sa.Column:
    return sa.Column(name, type_, nullable=False)


def _counter(table: str, *key: sa.Column, counters=("n",), shard: bool = True, include: bool = False) -> None:
    """A rollup table: its key (and a shard), integer counters, and a primary key over key and shard."""
    key = (*key, _key("shard", sa.SmallInteger())) if shard else key
    op.create_table(table, *key, *(_key(name, sa.Integer()) for name in counters), sa.PrimaryKeyConstraint(
        *(c.name for c in key), name=op.f(f"pk_{table}"),
        **({"postgresql_include": list(counters)} if include else {})))


def _upsert(table: str, key: dict[str, str], sums: dict[str, str], source: str, where: str,
            shard: bool = True) -> str:
    """An INSERT adding the signed sums of the `source` rows, grouped by `key`, to `table` (keys that sum
    to zero are left alone). Rows go in key order, so two writers on one shard lock them in the same order."""
    target = [*key, "shard"] if shard else list(key)
    selected = [*key.values(), "stats_shard()"] if shard else list(key.values())
    grouping = ", ".join(str(i) for i in range(1, len(key) + 1))
    return f"""
        INSERT INTO {table} AS s ({", ".join(target + list(sums))})
        SELECT {", ".join(selected + [f"sum({e})" for e in sums.values()])} FROM ({source}) AS d WHERE {where}
        GROUP BY {grouping} HAVING {" OR ".join(f"sum({e}) <> 0" for e in sums.values())} ORDER BY {grouping}
        ON CONFLICT ({", ".join(target)}) DO UPDATE SET {", ".join(f"{c} = s.{c} + EXCLUDED.{c}" for c in sums)};"""


def _places_statements(event: str) -> str:
    rows = SIGNED_ROWS[event]
    week = "stats_week(created_at)" if event == "insert" else "stats_week(now())"
    coverage = {"places": "sign", "known": KNOWN}
    return "".join((
        _upsert("stats_places", {"category": "category", "wheelchair": "wheelchair"}, {"n": "sign"}, rows,
                PUBLISHED),
        _upsert("stats_areas", {"cx": CELL_X, "cy": CELL_Y}, coverage, rows, PUBLISHED),
        _upsert("stats_coverage_weekly", {"week": week}, coverage, rows, PUBLISHED),
    ))


def _submissions_statements(event: str) -> str:
    rows = SIGNED_ROWS[event]
    decided = {"week": "stats_week(decided_at)"}
    return "".join((
        _upsert("stats_pending", {"kind": "kind"}, {"n": "sign"}, rows, "state = 'pending'"),
        _upsert("stats_contributions_weekly", {"week": "stats_week(created_at)", "kind": "kind"}, {"n": "sign"},
                rows, "origin = 'volunteer'"),
        _upsert("stats_latency", {**decided, "minutes": "stats_minutes(created_at, decided_at)"}, {"n": "sign"},
                rows, MODERATOR_DECISION, shard=False),
        _upsert("stats_latency_hours", {**decided, "hours": "stats_minutes(created_at, decided_at, 60)"},
                {"n": "sign"}, rows, MODERATOR_DECISION, shard=False),
    ))


def _create_triggers(source: str, statements) -> None:
    for event in ("insert", "update", "delete"):
        op.execute(f"""
            CREATE FUNCTION stats_{source}_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN {statements(event)}
                RETURN NULL;
            END $$""")
        op.execute(f"""
            CREATE TRIGGER stats_{source}_{event} AFTER {event.upper()} ON {source}
            REFERENCING {TRANSITIONS[event]} FOR EACH STATEMENT EXECUTE FUNCTION stats_{source}_{event}()""")


def upgrade() -> None:
    _counter("stats_places", _key("category", sa.String(32)), _key("wheelchair", sa.String(16)))
    _counter("stats_areas", _key("cx", sa.Integer()), _key("cy", sa.Integer()), counters=("places", "known"))
    _counter("stats_coverage_weekly", _key("week", sa.Date()), counters=("places", "known"))
    _counter("stats_contributions_weekly", _key("week", sa.Date()), _key("kind", sa.String(16)))
    _counter("stats_pending", _key("kind", sa.String(16)))
    _counter("stats_latency", _key("week", sa.Date()), _key("minutes", sa.Integer()), shard=False, include=True)
    _counter("stats_latency_hours", _key("week", sa.Date()), _key("hours", sa.Integer()), shard=False, include=True)

    op.execute(f"""
        CREATE FUNCTION stats_shard() RETURNS smallint LANGUAGE sql STABLE
        AS $$ SELECT (pg_backend_pid() % {SHARDS})::smallint $$""")
    # Weeks start on Monday (ISO) in UTC, whatever the session's time zone.
    op.execute("""
        CREATE FUNCTION stats_week(moment timestamptz) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT date_trunc('week', moment AT TIME ZONE 'UTC')::date $$""")
    # Whole minutes (or units of `per` minutes) waited, rounded down: floor(minutes) as percentile_disc sees it.
    op.execute("""
        CREATE FUNCTION stats_minutes(since timestamptz, until timestamptz, per integer DEFAULT 1) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT floor(extract(epoch FROM until - since) / (60 * per))::integer $$""")

    _create_triggers("places", _places_statements)
    _create_triggers("submissions", _submissions_statements)
    # TRUNCATE fires no row or statement triggers of the events above: empty the rollups with their source.
    for source, tables in (("places", TABLES[:3]), ("submissions", TABLES[3:])):
        op.execute(f"""
            CREATE FUNCTION stats_{source}_clear() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                TRUNCATE {", ".join(tables)};
                RETURN NULL;
            END $$""")
        op.execute(f"""
            CREATE TRIGGER stats_{source}_clear AFTER TRUNCATE ON {source}
            FOR EACH STATEMENT EXECUTE FUNCTION stats_{source}_clear()""")

    # Rebuild from scratch: the backfill below, and bulk loads that run with triggers off
    # (session_replication_role = replica), as benchmarks/synthetic.py does.
    op.execute(f"""
        CREATE FUNCTION stats_places_rebuild() RETURNS void LANGUAGE sql AS $$
            TRUNCATE stats_places, stats_areas, stats_coverage_weekly;
            INSERT INTO stats_places (category, wheelchair, shard, n)
            SELECT category, wheelchair, 0, count(*) FROM places WHERE {PUBLISHED} GROUP BY 1, 2;
            INSERT INTO stats_areas (cx, cy, shard, places, known)
            SELECT {CELL_X}, {CELL_Y}, 0, count(*), count(*) FILTER (WHERE wheelchair <> 'unknown')
            FROM places WHERE {PUBLISHED} GROUP BY 1, 2;
            INSERT INTO stats_coverage_weekly (week, shard, places, known)
            SELECT week, 0, sum(places), sum(known) FROM (
                SELECT stats_week(created_at) AS week, 1 AS places, 0 AS known FROM places WHERE {PUBLISHED}
                UNION ALL
                SELECT stats_week(coalesce(k.since, p.created_at)), 0, 1
                FROM (SELECT id, created_at FROM places WHERE {PUBLISHED} AND wheelchair <> 'unknown') AS p
                LEFT JOIN (
                    SELECT place_id, max(created_at) AS since FROM revisions
                    WHERE after->>'wheelchair' <> 'unknown' AND coalesce(before->>'wheelchair', 'unknown') = 'unknown'
                    GROUP BY place_id) AS k ON k.place_id = p.id
            ) AS c GROUP BY week;
        $$""")
    op.execute(f"""
        CREATE FUNCTION stats_submissions_rebuild() RETURNS void LANGUAGE sql AS $$
            TRUNCATE stats_pending, stats_contributions_weekly, stats_latency, stats_latency_hours;
            INSERT INTO stats_pending (kind, shard, n)
            SELECT kind, 0, count(*) FROM submissions WHERE state = 'pending' GROUP BY 1;
            INSERT INTO stats_contributions_weekly (week, kind, shard, n)
            SELECT stats_week(created_at), kind, 0, count(*) FROM submissions WHERE origin = 'volunteer' GROUP BY 1, 2;
            INSERT INTO stats_latency (week, minutes, n)
            SELECT stats_week(decided_at), stats_minutes(created_at, decided_at), count(*)
            FROM submissions WHERE {MODERATOR_DECISION} GROUP BY 1, 2;
            INSERT INTO stats_latency_hours (week, hours, n)
            SELECT stats_week(decided_at), stats_minutes(created_at, decided_at, 60), count(*)
            FROM submissions WHERE {MODERATOR_DECISION} GROUP BY 1, 2;
        $$""")
    op.execute("SELECT stats_places_rebuild()")
    op.execute("SELECT stats_submissions_rebuild()")


def downgrade() -> None:
    for source in ("places", "submissions"):
        for event in ("insert", "update", "delete", "clear"):
            op.execute(f"DROP TRIGGER stats_{source}_{event} ON {source}")
            op.execute(f"DROP FUNCTION stats_{source}_{event}()")
        op.execute(f"DROP FUNCTION stats_{source}_rebuild()")
    op.execute("DROP FUNCTION stats_minutes(timestamptz, timestamptz, integer)")
    op.execute("DROP FUNCTION stats_week(timestamptz)")
    op.execute("DROP FUNCTION stats_shard()")
    for table in reversed(TABLES):
        op.drop_table(table)
