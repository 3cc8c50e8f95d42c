"""The Alembic chain builds the whole schema on an empty PostGIS database, and tears it down again."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from app.dbadmin import drop_database, ensure_database
from app.models import Base
from app.schema import alembic_config, include_object
from tests.conftest import throwaway_database_url

# Every table a model maps, and no other: the migrations and the models describe one schema.
DOMAIN_TABLES = set(Base.metadata.tables)
assert {"users", "places", "submissions", "revisions", "moderation_events", "device_bans", "place_grid",
        "votes", "notices", "mapping_events"} <= DOMAIN_TABLES


@pytest.fixture
def empty_database():
    url = throwaway_database_url("stepfree_migr")
    ensure_database(url)
    engine = create_engine(url)
    yield url, engine
    engine.dispose()
    drop_database(url)


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"}


def test_migrations_upgrade_head_creates_domain_with_gist_index(empty_database):
    url, engine = empty_database
    assert _tables(engine) == set()

    command.upgrade(alembic_config(url), "head")

    assert _tables(engine) == DOMAIN_TABLES
    with engine.connect() as conn:
        index = conn.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'places' AND indexname = 'ix_places_geom'")).scalar()
        geometry = conn.execute(text(
            "SELECT type, srid FROM geometry_columns WHERE f_table_name = 'places' AND f_geometry_column = 'geom'"
        )).one()
    assert index is not None and "USING gist (geom)" in index
    assert tuple(geometry) == ("POINT", 4326)


def test_migrations_downgrade_to_base_and_up_again(empty_database):
    url, engine = empty_database
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    assert _tables(engine) == set()
    command.upgrade(config, "head")
    assert _tables(engine) == DOMAIN_TABLES


def test_models_match_migrations(engine):
    # The test database was built by the migrations; the models must describe exactly that schema.
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
