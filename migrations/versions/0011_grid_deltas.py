"""Place grid without hot rows: writers append deltas, a fold adds them into the pyramid (issue 15)

Until now every write of a place upserted 8 shared place_grid rows (one per level) inside the writer's
transaction, so two writers anywhere in the same coarse cell queued for each other until the first committed:
a long OSM import stalled moderation in a 50 km area for its whole length.

- Writers only append: a statement-level trigger with transition tables inserts, per statement, one signed
  delta row per level-0 cell, category and status it touched (place_grid_delta). Inserting new rows locks
  nothing another writer waits for, and a bulk statement adds one row per cell, not one per place.
- Levels are derived, not stored per delta: a level-L cell index is the level-0 index >> L, since
  floor(floor(x/b)/2^L) = floor(x/(b·2^L)). The pyramid is rebuilt here the same way, so a stored level-L cell
  is exactly the union of its level-0 cells, and a reader can raise a delta to any level.
- Readers sum place_grid and the committed deltas in one statement (one snapshot): exact after every commit.
- place_grid_fold(max_deltas) deletes up to max_deltas committed deltas and adds them into place_grid in the
  same statement (DELETE ... RETURNING feeding the upsert), so nothing is counted twice or lost; it runs only
  under a transaction-level advisory lock that it merely tries, so a second fold returns at once instead of
  waiting, and writers never wait on it (they only insert deltas, it only deletes committed ones).
  app/services/grid.py decides who calls it.
- place_grid_rebuild() (bulk loads with triggers off) takes the same lock, waiting for a running fold, and reads
  the places and drops the deltas in one statement, so a writer committing meanwhile is counted once.
- The statistics rollups (0006) shard their counters by pg_backend_pid() % 8, so two writers whose backends
  shared a shard still queued on its rows (one pair in eight: an approval could wait for a whole import).
  stats_shard() now gives each writing transaction a shard no other transaction in flight holds (a
  transaction-level advisory lock per shard, tried from pid % 8 onwards); only a ninth concurrent writer
  shares one.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

GRID_BASE = 0.005
GRID_LEVELS = 8
# pg_advisory_xact_lock key of folds and rebuilds; app/services/grid.py documents it as FOLD_LOCK_KEY.
FOLD_LOCK_KEY = 0x5354_4550_4752_4944  # "STEPGRID"
PUBLISHED = "hidden_at IS NULL AND gone_at IS NULL"
STATS_SHARDS = 8  # as 0006
# The first key of the shards' advisory locks (the second is the shard): "STAT".
STATS_SHARD_LOCK = 0x5354_4154

# Per trigger event, the places it changed as signed rows (sign, geom, category, wheelchair), published only.
# An update counts only when it moves something the grid counts; geometries compare as bytes (see 0004).
SIGNED_ROWS = {
    "insert": f"SELECT 1 AS sign, geom, category, wheelchair FROM new_rows WHERE {PUBLISHED}",
    "delete": f"SELECT -1 AS sign, geom, category, wheelchair FROM old_rows WHERE {PUBLISHED}",
    "update": """
        SELECT s.sign, s.geom, s.category, s.wheelchair
        FROM old_rows o JOIN new_rows n USING (id)
        CROSS JOIN LATERAL (VALUES
            (-1, o.geom, o.category, o.wheelchair, o.hidden_at IS NULL AND o.gone_at IS NULL),
            (1, n.geom, n.category, n.wheelchair, n.hidden_at IS NULL AND n.gone_at IS NULL)
        ) AS s(sign, geom, category, wheelchair, published)
        WHERE s.published AND (
            o.geom::bytea IS DISTINCT FROM n.geom::bytea OR o.category IS DISTINCT FROM n.category
            OR o.wheelchair IS DISTINCT FROM n.wheelchair
            OR (o.hidden_at IS NULL) <> (n.hidden_at IS NULL) OR (o.gone_at IS NULL) <> (n.gone_at IS NULL))""",
}
TRANSITIONS = {"insert": "NEW TABLE AS new_rows", "delete": "OLD TABLE AS old_rows",
               "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
CELL_X = f"floor(ST_X(geom) / {GRID_BASE})::integer"
CELL_Y = f"floor(ST_Y(geom) / {GRID_BASE})::integer"


def _create_delta_triggers() -> None:
    for event, rows in SIGNED_ROWS.items():
        op.execute(f"""
            CREATE FUNCTION place_grid_delta_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO place_grid_delta (cx, cy, category, wheelchair, n, sum_lon, sum_lat)
                SELECT {CELL_X}, {CELL_Y}, category, wheelchair,
                       sum(sign), sum(sign * ST_X(geom)), sum(sign * ST_Y(geom))
                FROM ({rows}) AS d
                GROUP BY 1, 2, 3, 4
                HAVING sum(sign) <> 0 OR sum(sign * ST_X(geom)) <> 0 OR sum(sign * ST_Y(geom)) <> 0;
                RETURN NULL;
            END $$""")
        op.execute(f"""
            CREATE TRIGGER place_grid_delta_{event} AFTER {event.upper()} ON places
            REFERENCING {TRANSITIONS[event]} FOR EACH STATEMENT EXECUTE FUNCTION place_grid_delta_{event}()""")


def _drop_delta_triggers() -> None:
    for event in SIGNED_ROWS:
        op.execute(f"DROP TRIGGER place_grid_delta_{event} ON places")
        op.execute(f"DROP FUNCTION place_grid_delta_{event}()")


def upgrade() -> None:
    op.create_table(
        'place_grid_delta',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column('cx', sa.Integer(), nullable=False),
        sa.Column('cy', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('wheelchair', sa.String(length=16), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('sum_lon', sa.Float(), nullable=False),
        sa.Column('sum_lat', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_place_grid_delta')),
    )
    # A map view reads the deltas of its own range of cells (a level-L range is a level-0 range of cx).
    op.create_index('ix_place_grid_delta_cx_cy', 'place_grid_delta', ['cx', 'cy'])

    op.execute("DROP TRIGGER place_grid_track_update ON places")
    op.execute("DROP TRIGGER place_grid_track ON places")
    op.execute("DROP FUNCTION place_grid_track()")
    op.execute("DROP FUNCTION place_grid_add(geometry, text, text, integer)")
    _create_delta_triggers()
    op.execute("""
        CREATE OR REPLACE FUNCTION place_grid_clear() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            TRUNCATE place_grid, place_grid_delta;
            RETURN NULL;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION place_grid_fold(max_deltas integer, OUT deltas_folded bigint, OUT cells_updated bigint)
        RETURNS SETOF record LANGUAGE plpgsql AS $$
        BEGIN
            -- No row: another fold holds the lock (it is folding the same deltas; nothing to wait for).
            IF NOT pg_try_advisory_xact_lock({FOLD_LOCK_KEY}) THEN
                RETURN;
            END IF;
            RETURN QUERY
            WITH folded AS (
                DELETE FROM place_grid_delta
                WHERE id IN (SELECT id FROM place_grid_delta ORDER BY id LIMIT max_deltas)
                RETURNING cx, cy, category, wheelchair, n, sum_lon, sum_lat
            ), cells AS (
                SELECT f.cx, f.cy, f.category, f.wheelchair, sum(f.n) AS n, sum(f.sum_lon) AS sum_lon,
                       sum(f.sum_lat) AS sum_lat, count(*) AS delta_rows
                FROM folded f GROUP BY 1, 2, 3, 4
            ), upserted AS (
                INSERT INTO place_grid AS g (level, cx, cy, category, wheelchair, n, sum_lon, sum_lat)
                SELECT l.lvl, c.cx >> l.lvl, c.cy >> l.lvl, c.category, c.wheelchair,
                       sum(c.n), sum(c.sum_lon), sum(c.sum_lat)
                FROM cells c CROSS JOIN generate_series(0, {GRID_LEVELS - 1}) AS l(lvl)
                GROUP BY 1, 2, 3, 4, 5
                ON CONFLICT (level, cx, cy, category, wheelchair) DO UPDATE
                    SET n = g.n + EXCLUDED.n, sum_lon = g.sum_lon + EXCLUDED.sum_lon,
                        sum_lat = g.sum_lat + EXCLUDED.sum_lat
                RETURNING 1
            )
            SELECT (SELECT coalesce(sum(c.delta_rows), 0) FROM cells c)::bigint, (SELECT count(*) FROM upserted u);
        END $$""")
    _replace_rebuild(f"""
        PERFORM pg_advisory_xact_lock({FOLD_LOCK_KEY});
        DELETE FROM place_grid;
        WITH dropped AS (DELETE FROM place_grid_delta)
        INSERT INTO place_grid (level, cx, cy, category, wheelchair, n, sum_lon, sum_lat)
        SELECT l.lvl, c.cx >> l.lvl, c.cy >> l.lvl, c.category, c.wheelchair, sum(c.n), sum(c.sum_lon),
               sum(c.sum_lat)
        FROM (
            SELECT {CELL_X} AS cx, {CELL_Y} AS cy, category, wheelchair, count(*) AS n, sum(ST_X(geom)) AS sum_lon,
                   sum(ST_Y(geom)) AS sum_lat
            FROM places WHERE {PUBLISHED} GROUP BY 1, 2, 3, 4
        ) AS c CROSS JOIN generate_series(0, {GRID_LEVELS - 1}) AS l(lvl)
        GROUP BY 1, 2, 3, 4, 5;""")
    # Level-L cells were floor(x / (b·2^L)) in floating point, which can differ from the shifted level-0
    # index at a cell's edge: recount them the new way.
    op.execute("SELECT place_grid_rebuild()")
    _stats_shard_exclusive()


def _replace_rebuild(body: str) -> None:
    """Replace place_grid_rebuild() (from 0002) with a PL/pgSQL function of this body."""
    op.execute("DROP FUNCTION place_grid_rebuild()")
    op.execute(f"""
        CREATE FUNCTION place_grid_rebuild() RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            {body}
        END $$""")


def _stats_shard_exclusive() -> None:
    op.execute(f"""
        CREATE OR REPLACE FUNCTION stats_shard() RETURNS smallint LANGUAGE plpgsql VOLATILE AS $$
        DECLARE
            start_shard integer := pg_backend_pid() % {STATS_SHARDS};
        BEGIN
            -- Re-entrant: a transaction that holds a shard finds it again (from the same first one onwards).
            FOR i IN 0..{STATS_SHARDS - 1} LOOP
                IF pg_try_advisory_xact_lock({STATS_SHARD_LOCK}, (start_shard + i) % {STATS_SHARDS}) THEN
                    RETURN ((start_shard + i) % {STATS_SHARDS})::smallint;
                END IF;
            END LOOP;
            RETURN start_shard::smallint;  -- more writers than shards: share one (and maybe wait)
        END $$""")


def downgrade() -> None:
    op.execute(f"""
        CREATE OR REPLACE FUNCTION stats_shard() RETURNS smallint LANGUAGE sql STABLE
        AS $$ SELECT (pg_backend_pid() % {STATS_SHARDS})::smallint $$""")
    op.execute("DROP FUNCTION place_grid_fold(integer)")
    _drop_delta_triggers()
    op.execute("""
        CREATE OR REPLACE FUNCTION place_grid_clear() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            TRUNCATE place_grid;
            RETURN NULL;
        END $$""")
    op.drop_table('place_grid_delta')
    # As 0002 and 0004 left them: a row trigger upserting the 8 levels.
    op.execute(f"""
        CREATE FUNCTION place_grid_add(p_geom geometry, p_category text, p_wheelchair text, p_sign integer)
        RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            lvl integer;
            size double precision;
            x double precision := ST_X(p_geom);
            y double precision := ST_Y(p_geom);
        BEGIN
            FOR lvl IN 0..{GRID_LEVELS - 1} LOOP
                size := {GRID_BASE} * (2 ^ lvl);
                INSERT INTO place_grid AS g (level, cx, cy, category, wheelchair, n, sum_lon, sum_lat)
                VALUES (lvl, floor(x / size)::integer, floor(y / size)::integer, p_category, p_wheelchair,
                        p_sign, p_sign * x, p_sign * y)
                ON CONFLICT (level, cx, cy, category, wheelchair) DO UPDATE
                    SET n = g.n + EXCLUDED.n, sum_lon = g.sum_lon + EXCLUDED.sum_lon,
                        sum_lat = g.sum_lat + EXCLUDED.sum_lat;
            END LOOP;
        END $$""")
    op.execute("""
        CREATE FUNCTION place_grid_track() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.hidden_at IS NULL AND OLD.gone_at IS NULL THEN
                PERFORM place_grid_add(OLD.geom, OLD.category, OLD.wheelchair, -1);
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.hidden_at IS NULL AND NEW.gone_at IS NULL THEN
                PERFORM place_grid_add(NEW.geom, NEW.category, NEW.wheelchair, 1);
            END IF;
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE TRIGGER place_grid_track AFTER INSERT OR DELETE ON places
        FOR EACH ROW EXECUTE FUNCTION place_grid_track()""")
    op.execute("""
        CREATE TRIGGER place_grid_track_update AFTER UPDATE ON places
        FOR EACH ROW WHEN (
            OLD.geom::bytea IS DISTINCT FROM NEW.geom::bytea OR OLD.category IS DISTINCT FROM NEW.category
            OR OLD.wheelchair IS DISTINCT FROM NEW.wheelchair
            OR (OLD.hidden_at IS NULL) <> (NEW.hidden_at IS NULL) OR (OLD.gone_at IS NULL) <> (NEW.gone_at IS NULL))
        EXECUTE FUNCTION place_grid_track()""")
    op.execute("DROP FUNCTION place_grid_rebuild()")
    op.execute(f"""
        CREATE FUNCTION place_grid_rebuild() RETURNS void LANGUAGE sql AS $$
            DELETE FROM place_grid;
            INSERT INTO place_grid (level, cx, cy, category, wheelchair, n, sum_lon, sum_lat)
            SELECT l.lvl, floor(ST_X(p.geom) / ({GRID_BASE} * 2 ^ l.lvl))::integer,
                   floor(ST_Y(p.geom) / ({GRID_BASE} * 2 ^ l.lvl))::integer,
                   p.category, p.wheelchair, count(*), sum(ST_X(p.geom)), sum(ST_Y(p.geom))
            FROM places p CROSS JOIN generate_series(0, {GRID_LEVELS - 1}) AS l(lvl)
            WHERE p.hidden_at IS NULL AND p.gone_at IS NULL
            GROUP BY 1, 2, 3, 4, 5;
        $$""")
    op.execute("SELECT place_grid_rebuild()")
