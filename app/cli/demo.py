"""`flask demo load`: a small, deterministic demo data set around Vaduz and Schaan (Liechtenstein)."""

import random

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.db import get_session
from app.models import Place
from app.services.places import create_place
from geo.categories import CATEGORY_KEYS

demo_cli = AppGroup("demo", help="Demo data for trying StepFree out.")

# Town centres the demo places gather around (longitude, latitude).
CENTRES = (("Vaduz", 9.5209, 47.1410), ("Schaan", 9.5095, 47.1651), ("Triesen", 9.5287, 47.1079))
NAMES = ("Café", "Bakery", "Pharmacy", "Library", "Town hall", "Post office", "Museum", "Hotel", "Bistro",
         "Bookshop", "Clinic", "Gallery", "Bank", "Sports hall", "Chapel", "Kiosk")
STATUS_WEIGHTS = (("yes", 4), ("limited", 2), ("no", 2), ("unknown", 3))


def build_demo_places(count: int = 48, seed: int = 2013) -> list[dict]:
    """Deterministic demo places: the same list every time for the same seed."""
    rng = random.Random(seed)
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    places = []
    for i in range(count):
        town, lon, lat = CENTRES[i % len(CENTRES)]
        places.append({
            "name": f"{NAMES[i % len(NAMES)]} {town} {i // len(NAMES) + 1}",
            "category": CATEGORY_KEYS[i % (len(CATEGORY_KEYS) - 1)],
            "lon": round(lon + rng.uniform(-0.006, 0.006), 6),
            "lat": round(lat + rng.uniform(-0.004, 0.004), 6),
            "wheelchair": rng.choice(statuses),
            "toilets_wheelchair": rng.choice(("yes", "no", "unknown", "unknown")),
            "description": "Ramp at the side entrance; ring the bell." if i % 7 == 0 else None,
        })
    return places


@demo_cli.command("load")
def load() -> None:
    """Load the demo places unless they are already there."""
    session = get_session()
    existing = session.scalar(select(func.count()).select_from(Place).where(Place.source == "demo"))
    if existing:
        click.echo(f"Demo data already loaded ({existing} places).")
        return
    places = build_demo_places()
    with click.progressbar(places, label="Loading demo places") as bar:
        for values in bar:
            create_place(session, values, source="demo", revision_source="demo")
    session.commit()
    click.echo(f"Loaded {len(places)} demo places around Vaduz, Schaan and Triesen.")


def register(app: Flask) -> None:
    app.cli.add_command(demo_cli)
