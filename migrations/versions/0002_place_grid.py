"""Place grid: counts of published places per grid cell at eight cell sizes, kept current by a trigger

The map answers wide views with clusters. Aggregating the places themselves means visiting every one in the
view (tens of thousands of heap rows for a region); this pyramid of per-cell counts lets the map read a few
hundred small rows instead. A trigger on places keeps it exact: every insert, update and delete moves the
place's contribution, and only published places (not hidden, not gone) count.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Cell side at level L is GRID_BASE * 2^L degrees: 0.005° (about 400 m) up to 0.64°.
GRID_BASE = 0.005
GRID_LEVELS = 8


def upgrade() -> None:
    op.create_table(
        'place_grid',
        sa.Column('level', sa.SmallInteger(), nullable=False),
        sa.Column('cx', sa.Integer(), nullable=False),
        sa.Column('cy', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('wheelchair', sa.String(length=16), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('sum_lon', sa.Float(), nullable=False),
        sa.Column('sum_lat', sa.Float(), nullable=False),
        # The counts ride in the key's index so the map's reads are index-only scans.
        sa.PrimaryKeyConstraint('level', 'cx', 'cy', 'category', 'wheelchair', name=op.f('pk_place_grid'),
                                postgresql_include=['n', 'sum_lon', 'sum_lat']),
    )
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
        END $$
    """)
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
        END $$
    """)
    op.execute("""
        CREATE TRIGGER place_grid_track AFTER INSERT OR DELETE ON places
        FOR EACH ROW EXECUTE FUNCTION place_grid_track()
    """)
    # Updates that leave position, category, status and visibility alone (a name, a description) skip it.
    op.execute("""
        CREATE TRIGGER place_grid_track_update AFTER UPDATE ON places
        FOR EACH ROW WHEN (
            OLD.geom IS DISTINCT FROM NEW.geom OR OLD.category IS DISTINCT FROM NEW.category
            OR OLD.wheelchair IS DISTINCT FROM NEW.wheelchair
            OR (OLD.hidden_at IS NULL) <> (NEW.hidden_at IS NULL) OR (OLD.gone_at IS NULL) <> (NEW.gone_at IS NULL))
        EXECUTE FUNCTION place_grid_track()
    """)
    # TRUNCATE fires no row triggers: empty the grid with the places.
    op.execute("""
        CREATE FUNCTION place_grid_clear() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            TRUNCATE place_grid;
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER place_grid_clear AFTER TRUNCATE ON places
        FOR EACH STATEMENT EXECUTE FUNCTION place_grid_clear()
    """)
    # Rebuild from scratch: for bulk loads that run with triggers off (session_replication_role = replica).
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
        $$
    """)
    op.execute("SELECT place_grid_rebuild()")


def downgrade() -> None:
    op.execute("DROP TRIGGER place_grid_clear ON places")
    op.execute("DROP FUNCTION place_grid_clear()")
    op.execute("DROP TRIGGER place_grid_track_update ON places")
    op.execute("DROP TRIGGER place_grid_track ON places")
    op.execute("DROP FUNCTION place_grid_rebuild()")
    op.execute("DROP FUNCTION place_grid_track()")
    op.execute("DROP FUNCTION place_grid_add(geometry, text, text, integer)")
    op.drop_table('place_grid')
