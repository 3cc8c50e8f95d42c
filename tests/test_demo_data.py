"""`flask demo load`: real OpenStreetMap places when the extract is there, a small consistent set otherwise."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cli.demo import build_demo_places
from app.models import Place

EXTRACT = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm" / "liechtenstein-2013-08-03.osm.pbf"


def _count(session, source: str) -> int:
    return session.scalar(select(func.count()).select_from(Place).where(Place.source == source))


@pytest.mark.skipif(not EXTRACT.is_file(), reason="the shared Liechtenstein extract is not beside this checkout")
def test_demo_load_imports_the_osm_extract(runner, session):
    result = runner.invoke(args=["demo", "load", "--osm", str(EXTRACT)])
    assert result.exit_code == 0, result.output
    assert "OpenStreetMap contributors" in result.output
    imported = _count(session, "osm")
    assert imported > 300 and _count(session, "demo") == 0
    statuses = dict(session.execute(select(Place.wheelchair, func.count()).group_by(Place.wheelchair)).all())
    # Real wheelchair tags, not made-up ones: every answer occurs, most places are still unknown.
    assert statuses["yes"] > 30 and statuses["limited"] and statuses["no"] and statuses["unknown"] > imported / 2
    again = runner.invoke(args=["demo", "load", "--osm", str(EXTRACT)])
    assert "already loaded" in again.output and _count(session, "osm") == imported


def test_demo_load_without_the_file_loads_the_small_set(runner, session, tmp_path):
    result = runner.invoke(args=["demo", "load", "--osm", str(tmp_path / "missing.osm.pbf")])
    assert result.exit_code == 0, result.output
    assert "is not there" in result.output
    assert _count(session, "demo") == len(build_demo_places()) and _count(session, "osm") == 0


@pytest.mark.parametrize(("kind", "category"), [("Hotel", "accommodation"), ("Chapel", "religion"),
                                                 ("Sports hall", "sport"), ("Pharmacy", "health"), ("Café", "food")])
def test_demo_places_are_filed_under_their_category(kind, category):
    filed = {p["category"] for p in build_demo_places() if p["name"].startswith(kind + " ")}
    assert filed == {category}


def test_demo_places_describe_a_ramp_only_where_one_gets_in():
    described = [p for p in build_demo_places() if p["description"]]
    assert described and all(p["wheelchair"] in ("yes", "limited") for p in described)
