"""`flask db-upgrade`: apply the Alembic migrations to DATABASE_URL."""

import click
from alembic import command
from flask import Flask, current_app
from flask_babel import gettext as _

from app.cli import in_default_locale
from app.schema import alembic_config


def register(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    @in_default_locale
    def db_upgrade() -> None:
        """Bring the database schema to the newest migration."""
        command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), "head")
        click.echo(_("Database schema is up to date."))
