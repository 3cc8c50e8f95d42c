"""Alembic environment: the URL comes from DATABASE_URL, or from a connection handed in by the caller."""

import os

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, pool

from app.config import normalise_database_url
from app.models import Base
from app.schema import include_object

config = context.config
target_metadata = Base.metadata


def configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("DATABASE_URL is not set: export DATABASE_URL=postgresql://user@host:port/dbname")
    engine = create_engine(normalise_database_url(url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        configure(conn)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("StepFree migrations run online only: set DATABASE_URL and run 'alembic upgrade head'.")
run_migrations_online()
