"""`flask db-upgrade`: apply the Alembic migrations to DATABASE_URL."""

import click
from alembic import command
from flask import Flask, current_app

from app.schema import alembic_config


def register(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade() -> None:
        """Bring the database schema to the newest migration."""
        command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), "head")
        click.echo("Database schema is up to date.")
