"""`flask demo load`: places to try StepFree with, real ones when an OpenStreetMap extract is at hand.

`make run` hands it the Liechtenstein extract (scripts/dev.sh): real names, categories and wheelchair tags,
imported like any OSM file (`flask osm import`). A checkout without the file gets a small deterministic set
around Vaduz, Schaan and Triesen instead, also used by the browser tests, each filed under its category.
"""

import random
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from app.cli import in_default_locale
from app.cli.osm import committed_import, format_summary
from app.db import get_session
from app.models import Place
from app.services import grid
from app.services.osm_import import import_file
from app.services.places import create_place

demo_cli = AppGroup("demo", help="Demo data for trying StepFree out.")

# Town centres the demo places gather around (longitude, latitude).
CENTRES = (("Vaduz", 9.5209, 47.1410), ("Schaan", 9.5095, 47.1651), ("Triesen", 9.5287, 47.1079))
# Each kind of place with the category it belongs to, so a hotel is never filed under Sport.
KINDS = (("Café", "food"), ("Bakery", "shopping"), ("Pharmacy", "health"), ("Library", "education"),
         ("Town hall", "government"), ("Post office", "money_post"), ("Museum", "culture"),
         ("Hotel", "accommodation"), ("Bistro", "food"), ("Bookshop", "shopping"), ("Clinic", "health"),
         ("Gallery", "culture"), ("Bank", "money_post"), ("Sports hall", "sport"), ("Chapel", "religion"),
         ("Kiosk", "shopping"))
STATUS_WEIGHTS = (("yes", 4), ("limited", 2), ("no", 2), ("unknown", 3))
# A ramp is worth describing only where one can get in: never next to "not accessible".
RAMP = "Ramp at the side entrance; ring the bell."


def build_demo_places(count: int = 48, seed: int = 2013) -> list[dict]:
    """Deterministic demo places: the same list every time for the same seed."""
    rng = random.Random(seed)
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    places = []
    for i in range(count):
        town, lon, lat = CENTRES[i % len(CENTRES)]
        kind, category = KINDS[i % len(KINDS)]
        dx, dy, wheelchair = rng.uniform(-0.006, 0.006), rng.uniform(-0.004, 0.004), rng.choice(statuses)
        places.append({
            "name": f"{kind} {town} {i // len(KINDS) + 1}",
            "category": category,
            "lon": round(lon + dx, 6),
            "lat": round(lat + dy, 6),
            "wheelchair": wheelchair,
            "toilets_wheelchair": rng.choice(("yes", "no", "unknown", "unknown")),
            "description": RAMP if i % 7 == 0 and wheelchair in ("yes", "limited") else None,
        })
    return places


@demo_cli.command("load")
@click.option("--osm", "osm_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="An .osm.pbf or .osm extract to import as the demo places; without it, or when the file is "
                   "missing, a small made-up set is loaded.")
@in_default_locale
def load(osm_file: Path | None) -> None:
    """Load the demo places unless places are already there."""
    session = get_session()
    existing = session.scalar(select(func.count()).select_from(Place).where(Place.source.in_(("demo", "osm"))))
    if existing:
        click.echo(ngettext("Demo data already loaded (%(num)s place).", "Demo data already loaded (%(num)s places).",
                            existing))
        return
    if osm_file is not None and osm_file.is_file():
        _load_extract(session, osm_file)
        grid.fold(session)
        return
    if osm_file is not None:
        click.echo(_("%(file)s is not there: loading a small made-up set instead.", file=osm_file))
    places = build_demo_places()
    with click.progressbar(places, label=_("Loading demo places")) as bar:
        for values in bar:
            create_place(session, values, source="demo", revision_source="demo")
    session.commit()
    grid.fold(session)  # the new places' grid deltas into the map's pyramid (app/services/grid.py)
    click.echo(ngettext("Loaded %(num)s demo place around Vaduz, Schaan and Triesen.",
                         "Loaded %(num)s demo places around Vaduz, Schaan and Triesen.", len(places)))


def _load_extract(session, path: Path) -> None:
    click.echo(_("Importing the places of %(file)s (OpenStreetMap)…", file=path.name))
    summary = committed_import(session, lambda: import_file(session, path))
    click.echo(format_summary(summary, mark_gone=False))


def register(app: Flask) -> None:
    app.cli.add_command(demo_cli)
