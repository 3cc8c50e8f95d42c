"""Place grid trigger restorable by pg_restore: compare geometries as bytes, not with PostGIS's = operator

pg_dump writes the trigger's WHEN clause as `old.geom IS DISTINCT FROM new.geom` and pg_restore reads it back
with an empty search_path, where PostGIS's `=` for geometry (in schema public) is not visible: the restore
fails with "operator is not unique: public.geometry = public.geometry" and the trigger is missing from the
restored database. A cast to bytea is found whatever the search_path, and equal bytes mean an equal point.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _replace_trigger(geom_changed: str) -> None:
    op.execute("DROP TRIGGER place_grid_track_update ON places")
    op.execute(f"""
        CREATE TRIGGER place_grid_track_update AFTER UPDATE ON places
        FOR EACH ROW WHEN (
            {geom_changed} OR OLD.category IS DISTINCT FROM NEW.category
            OR OLD.wheelchair IS DISTINCT FROM NEW.wheelchair
            OR (OLD.hidden_at IS NULL) <> (NEW.hidden_at IS NULL) OR (OLD.gone_at IS NULL) <> (NEW.gone_at IS NULL))
        EXECUTE FUNCTION place_grid_track()
    """)


def upgrade() -> None:
    _replace_trigger("OLD.geom::bytea IS DISTINCT FROM NEW.geom::bytea")


def downgrade() -> None:
    _replace_trigger("OLD.geom IS DISTINCT FROM NEW.geom")
