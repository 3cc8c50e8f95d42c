"""`flask export geojson PATH`: the same download as /export/places.geojson, to a file, with a progress bar."""

import os
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.datastructures import MultiDict

from app.cli import in_default_locale
from app.db import get_session
from app.errors import AppError
from app.params import place_filters
from app.queries.export import PROFILES, open_export, snapshot_bind

export_cli = AppGroup("export", help="Export the published places.")


@export_cli.command("geojson")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--bbox", help="Only this area: minLon,minLat,maxLon,maxLat.")
@click.option("--wheelchair", multiple=True, help="Only these statuses (repeat, or comma-separated).")
@click.option("--category", multiple=True, help="Only these categories (repeat, or comma-separated).")
@click.option("--updated-since", help="Only places changed since this ISO 8601 date or time.")
@click.option("--lines", is_flag=True, help="One Feature per line (like places.geojsonl) instead of a collection.")
@click.option("--profile", type=click.Choice(tuple(PROFILES)), default="osm", show_default=True,
              help="osm: properties under OpenStreetMap's keys; a11yjson: name, category and A11yJSON accessibility.")
@in_default_locale
def geojson(path: str, bbox: str | None, wheelchair: tuple[str, ...], category: tuple[str, ...],
            updated_since: str | None, lines: bool, profile: str) -> None:
    """Write the published places to PATH as GeoJSON ('-' for standard output)."""
    args = MultiDict([("bbox", bbox or ""), ("updated_since", updated_since or "")]
                     + [("wheelchair", v) for v in wheelchair] + [("category", v) for v in category])
    try:
        filters = place_filters(args)
    except AppError as error:
        option = (error.field or "").replace("_", "-")
        raise click.BadParameter(error.message, param_hint=f"--{option}") from None
    state, body = open_export(snapshot_bind(get_session()), filters, line_delimited=lines, profile=profile)
    if path == "-":
        with click.open_file("-", "wb") as out:
            _write(out, body, state.matched, show_progress=False)
        return
    target = Path(path)
    # Write beside the target and rename at the end, so a cron job never leaves a half-written file in place.
    partial = target.with_name(f".{target.name}.partial")
    try:
        with open(partial, "wb") as out:
            _write(out, body, state.matched, show_progress=True)
        os.replace(partial, target)
    finally:
        body.close()
        partial.unlink(missing_ok=True)
    # English says "places" for every count, as scripts reading this line expect; other languages their forms.
    click.echo(ngettext("Wrote %(num)s places to %(path)s (snapshot %(time)s).",
                        "Wrote %(num)s places to %(path)s (snapshot %(time)s).", state.matched,
                        path=target, time=state.taken_at.isoformat()), err=True)


def _write(out, body, total: int, *, show_progress: bool) -> None:
    with click.progressbar(length=total, label=_("Exporting places"), file=sys.stderr,
                           hidden=not show_progress) as bar:
        for chunk in body:
            out.write(chunk)
            bar.update(chunk.count(b"\n"))


def register(app: Flask) -> None:
    app.cli.add_command(export_cli)
