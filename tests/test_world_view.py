"""Wide views, up to the whole world: clusters from the grid pyramid, never a 400, with exact totals."""

import math
import random

import pytest
from sqlalchemy import func, select

from app.models import Place
from app.queries.map import MAX_CLUSTERS
from app.services.places import apply_change
from geo.bbox import BBox
from geo.clustering import grid_cell_size
from tests.factories import make_place, make_user

WORLD = BBox(-180, -85, 180, 85)
EUROPE = BBox(-25, 34, 45, 72)
# Spread over every continent, and on the edges where stored cells stick out of a view.
SPOTS = [(9.52, 47.14), (-0.12, 51.5), (2.35, 48.86), (13.4, 52.52), (-74.0, 40.7), (-122.4, 37.8),
         (139.7, 35.7), (151.2, -33.9), (-58.4, -34.6), (28.0, -26.2), (77.2, 28.6), (-179.9, -84.9),
         (179.9, 84.9), (-24.9, 34.1), (44.9, 71.9), (-26.0, 50.0), (18.0, 33.0)]


def _published_in(session, box: BBox) -> int:
    return session.scalar(select(func.count()).select_from(Place).where(
        Place.geom.intersects(func.ST_MakeEnvelope(*box.as_tuple(), 4326)),
        Place.hidden_at.is_(None), Place.gone_at.is_(None)))


@pytest.fixture
def spread(session):
    places = [make_place(session, lon=lon, lat=lat, wheelchair=("yes", "no", "limited", "unknown")[i % 4])
              for i, (lon, lat) in enumerate(SPOTS)]
    apply_change(session, places[0], {"hidden": True}, revision_source="moderation",
                 actor=make_user(session, role="moderator"))
    session.commit()
    return places


@pytest.mark.parametrize("box", [WORLD, EUROPE, BBox(-180, -90, 180, 90)], ids=["world", "europe", "poles"])
def test_places_wide_view_answers_clusters_with_the_published_total(client, session, spread, box):
    response = client.get(f"/api/places?bbox={','.join(f'{v:g}' for v in box.as_tuple())}")
    assert response.status_code == 200
    data = response.get_json(force=True)
    assert data["clustered"] is True and 0 < len(data["features"]) <= MAX_CLUSTERS
    assert all(f["properties"]["cluster"] is True for f in data["features"])
    assert sum(f["properties"]["count"] for f in data["features"]) == _published_in(session, box)


def test_places_world_view_counts_by_status(client, session, spread):
    data = client.get("/api/places?bbox=-180,-85,180,85&wheelchair=yes,no").get_json(force=True)
    counts = [f["properties"] for f in data["features"]]
    assert sum(c["count"] for c in counts) == sum(c["yes"] + c["no"] for c in counts) > 0
    assert sum(c["limited"] + c["unknown"] for c in counts) == 0


def test_places_world_view_keeps_every_cluster_when_the_grid_is_full(client, session):
    # A place in every requested cell of the world grid: the answer may not drop any to stay under the cap.
    cell = grid_cell_size(WORLD, MAX_CLUSTERS)
    columns = range(math.floor(WORLD.min_lon / cell), math.floor(WORLD.max_lon / cell) + 1)
    rows = range(math.floor(WORLD.min_lat / cell), math.floor(WORLD.max_lat / cell) + 1)
    rng = random.Random(3)
    for x in columns:
        for y in rows:
            make_place(session, lon=min(max(x * cell + rng.uniform(0, cell), -180), 180),
                       lat=min(max(y * cell + rng.uniform(0, cell), -85), 85))
    session.commit()
    data = client.get("/api/places?bbox=-180,-85,180,85").get_json(force=True)
    assert len(data["features"]) <= MAX_CLUSTERS
    assert sum(f["properties"]["count"] for f in data["features"]) == _published_in(session, WORLD)
