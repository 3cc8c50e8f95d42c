"""`flask photos ...`: housekeeping of photos' files."""

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import ngettext

from app.cli import in_default_locale
from app.db import get_session
from app.models.base import utcnow
from app.photos import photo_store
from app.services import photos

photos_cli = AppGroup("photos", help="Housekeeping of photos' files.")


@photos_cli.command("prune")
@in_default_locale
def prune() -> None:
    """Delete the files of photos a moderator did not accept, once that decision can no longer be undone.

    Nobody ever sees them, and they may show people: they are not kept. Safe to run from cron (daily).
    """
    session = get_session()
    undo_window = current_app.extensions["moderation_policy"].undo_window
    count = photos.prune_not_accepted(session, photo_store(), decided_before=utcnow() - undo_window)
    session.commit()
    click.echo(ngettext("Deleted the files of %(num)s photo that was not accepted.",
                        "Deleted the files of %(num)s photos that were not accepted.", count))


def register(app: Flask) -> None:
    app.cli.add_command(photos_cli)
