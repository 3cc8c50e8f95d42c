"""Helpers shared by Alembic's env.py, the `flask db-upgrade` command and the tests."""

from pathlib import Path

from alembic.config import Config as AlembicConfig
from geoalchemy2 import alembic_helpers

ROOT = Path(__file__).resolve().parents[1]


def alembic_config(url: str | None = None) -> AlembicConfig:
    """Alembic's configuration for this checkout, pointed at `url` when given."""
    config = AlembicConfig(str(ROOT / "alembic.ini"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def include_object(obj, name, type_, reflected, compare_to):
    """Compare only our own schema: PostGIS's tables (spatial_ref_sys, ...) are not ours to manage."""
    if type_ == "table" and reflected and compare_to is None:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)
