"""Factories for test data; each returns a flushed model with sensible defaults."""

import itertools

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
