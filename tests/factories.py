"""Factories for test data; each returns a flushed model with sensible defaults."""

import io
import itertools

from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Place, User
from app.services.accounts import create_user
from app.services.places import create_place

_seq = itertools.count(1)


def make_user(session: Session, role: str = "volunteer", email: str | None = None,
              password: str = "correct horse battery", display_name: str | None = None) -> User:
    n = next(_seq)
    return create_user(session, email or f"user{n}@example.org", password, display_name or f"User {n}", role)


def make_place(session: Session, **values) -> Place:
    n = next(_seq)
    defaults = {"name": f"Place {n}", "category": "food", "lon": 9.52 + (n % 100) * 1e-4, "lat": 47.14,
                "wheelchair": "unknown", "toilets_wheelchair": "unknown", "description": None}
    source = values.pop("source", "demo")
    osm = {k: values.pop(k) for k in ("osm_type", "osm_id", "osm_seen") if k in values}
    return create_place(session, {**defaults, **values}, source=source, revision_source="demo", **osm)


def count_rows(session: Session, model, *where) -> int:
    """How many rows of `model` match the conditions: a direct count to compare a page or a service with."""
    return session.scalar(select(func.count()).select_from(model).where(*where))


GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE, MODEL = 0x010F, 0x0110


def camera_jpeg(size=(1200, 900), orientation: int | None = None) -> bytes:
    """A phone camera's JPEG: GPS position, device make and model, and optionally an orientation tag."""
    image = Image.new("RGB", size, (200, 60, 40))
    image.paste((20, 90, 200), (0, 0, size[0] // 2, size[1] // 3))  # a corner to tell the orientation by
    exif = Image.Exif()
    exif[MAKE], exif[MODEL] = "PhoneMaker", "Pocket 12"
    exif[GPS_IFD] = {1: "N", 2: (47.0, 8.0, 28.0), 3: "E", 4: (9.0, 31.0, 16.0)}
    if orientation:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def decompression_bomb(width: int, height: int) -> bytes:
    """A tiny PNG that unpacks to width × height pixels."""
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, format="PNG", optimize=True)
    return out.getvalue()
