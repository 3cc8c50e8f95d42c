"""`flask grid fold`: fold the map grid's pending deltas into its pyramid (see app/services/grid.py)."""

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from app.cli import in_default_locale
from app.db import get_session
from app.services import grid

grid_cli = AppGroup("grid", help="Maintain the map's grid of place counts.")


@grid_cli.command("fold")
@in_default_locale
def fold_command() -> None:
    """Fold the changes written since the last fold into the map's grid of place counts.

    Safe to run from cron (every minute is plenty) and next to the app: a fold already running makes this one
    return at once, and writers never wait on either.
    """
    session = get_session()
    pending = grid.pending_deltas(session, limit=None)
    session.rollback()
    with click.progressbar(length=pending, label=_("Folding grid changes"), show_pos=True) as bar:
        result = grid.fold(session, progress=bar.update)
    if result.busy and not result.deltas:
        click.echo(_("Another fold is running; it folds these changes. Nothing done."))
        return
    click.echo(ngettext("Folded %(num)s grid change into %(cells)s cells of the map's grid.",
                        "Folded %(num)s grid changes into %(cells)s cells of the map's grid.",
                        result.deltas, cells=result.cells))
    if result.busy:
        click.echo(_("Another fold took over before the end; it folds the rest."))


def register(app: Flask) -> None:
    app.cli.add_command(grid_cli)
