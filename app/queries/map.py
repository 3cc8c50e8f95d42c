"""The map's reads: places in a view as GeoJSON built by PostGIS, clusters for wide views, name search.

The features are built in SQL (json_build_object, ST_AsGeoJSON) and joined there into one text, so the app
receives one row and passes it through instead of building Python objects per place; this keeps
/api/places near the cost of the bare query. The statements run through a `Fetch` (one row for a statement
and its parameters), so the benchmarks' baseline runs exactly the app's statements and decisions in psycopg.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import TextClause, func, select, text
from sqlalchemy.orm import Session

from app.models import Place, Submission
from app.models.places import GRID_BASE, GRID_LEVELS
from app.queries.features import feature_column, feature_sql
from app.queries.places import is_published
from geo.bbox import BBox
from geo.clustering import grid_cell_size, grid_level, should_cluster

CLUSTER_SPAN = 0.25        # degrees; wider views get clusters (a phone at zoom ≤ 12)
PRECHECK_SPAN = 0.03       # degrees; city-sized views first ask the grid whether they clearly hold too many
MAX_CLUSTERS = 150         # a phone screen shows about 9×19 cluster badges of 44 px; more would overlap


@dataclass(frozen=True)
class MapFilter:
    box: BBox
    wheelchair: tuple[str, ...] = ()
    category: tuple[str, ...] = ()


_FEATURE = feature_sql("p", full=False)

_WHERE = """p.geom && ST_MakeEnvelope(:min_lon, :min_lat, :max_lon, :max_lat, 4326)
    AND p.hidden_at IS NULL AND p.gone_at IS NULL
    AND (cardinality(CAST(:wheelchair AS text[])) = 0 OR p.wheelchair = ANY(CAST(:wheelchair AS text[])))
    AND (cardinality(CAST(:category AS text[])) = 0 OR p.category = ANY(CAST(:category AS text[])))"""



def _joined(features_select: str) -> TextClause:
    """One row: how many features the select yields, and their texts joined by commas ('' for none)."""
    return text(f"SELECT count(*), coalesce(string_agg(f, ','), '') FROM ({features_select}) AS s(f)")


POINTS_SQL = _joined(f"SELECT {_FEATURE} FROM places p WHERE {_WHERE} LIMIT :limit")

# The grid cells at :level (side :size) touching the view: the folded pyramid (place_grid) and, added to it, the
# committed deltas not folded yet, raised from level 0 by a shift (app/services/grid.py). One statement reads
# both, so they come from one snapshot and a fold running meanwhile is seen wholly or not at all: the counts are
# exact as of the last commit. A level-L range of cells is a level-0 range of cx, which the deltas' index serves.
_CELLS = """
SELECT g.cx, g.cy, g.category, g.wheelchair, g.n, g.sum_lon, g.sum_lat FROM place_grid g
WHERE g.level = :level
    AND g.cx BETWEEN CAST(floor(:min_lon / :size) AS integer) AND CAST(floor(:max_lon / :size) AS integer)
    AND g.cy BETWEEN CAST(floor(:min_lat / :size) AS integer) AND CAST(floor(:max_lat / :size) AS integer)
UNION ALL
SELECT d.cx >> :level, d.cy >> :level, d.category, d.wheelchair, d.n, d.sum_lon, d.sum_lat FROM place_grid_delta d
WHERE d.cx BETWEEN CAST(floor(:min_lon / :size) AS integer) << :level
                AND ((CAST(floor(:max_lon / :size) AS integer) + 1) << :level) - 1
    AND d.cy BETWEEN CAST(floor(:min_lat / :size) AS integer) << :level
                AND ((CAST(floor(:max_lat / :size) AS integer) + 1) << :level) - 1"""

_CELL_FILTER = """(cardinality(CAST(:wheelchair AS text[])) = 0 OR g.wheelchair = ANY(CAST(:wheelchair AS text[])))
    AND (cardinality(CAST(:category AS text[])) = 0 OR g.category = ANY(CAST(:category AS text[])))"""

# Clusters come from the grid: the cells of the finest level that is still coarse enough are summed into the
# requested grid, so a region view reads a few hundred small rows instead of visiting every place in it, and the
# whole world reads the coarsest level (0.64°). A stored cell counts in the requested cell of its south-west
# corner, moved into the view when it sticks out west or south, so the view touches no more requested cells than
# grid_cell_size allows. A single row may count negatively (a delta, or a cell emptied since): only sums mean
# anything, hence HAVING rather than a filter on rows.
CLUSTERS_SQL = _joined(f"""
SELECT json_build_object(
    'type', 'Feature',
    'geometry', json_build_object('type', 'Point', 'coordinates', json_build_array(
        round((sum(g.sum_lon) / sum(g.n))::numeric, 6), round((sum(g.sum_lat) / sum(g.n))::numeric, 6))),
    'properties', json_build_object(
        'cluster', true, 'count', sum(g.n),
        'yes', coalesce(sum(g.n) FILTER (WHERE g.wheelchair = 'yes'), 0),
        'limited', coalesce(sum(g.n) FILTER (WHERE g.wheelchair = 'limited'), 0),
        'no', coalesce(sum(g.n) FILTER (WHERE g.wheelchair = 'no'), 0),
        'unknown', coalesce(sum(g.n) FILTER (WHERE g.wheelchair = 'unknown'), 0)))::text
FROM ({_CELLS}) AS g
WHERE {_CELL_FILTER}
GROUP BY floor((greatest(g.cx * :size, :min_lon) + 180) / :cell),
    floor((greatest(g.cy * :size, :min_lat) + 90) / :cell)
HAVING sum(g.n) > 0
LIMIT :limit""")


# An upper bound on the published places in a view: whole level-0 cells (0.005°) touching it.
GRID_COUNT_SQL = text(f"SELECT coalesce(sum(g.n), 0) FROM ({_CELLS}) AS g WHERE {_CELL_FILTER}")


def _params(flt: MapFilter) -> dict:
    b = flt.box
    return {"min_lon": b.min_lon, "min_lat": b.min_lat, "max_lon": b.max_lon, "max_lat": b.max_lat,
            "wheelchair": list(flt.wheelchair), "category": list(flt.category)}


# Runs one statement with its parameters and returns its single row (app.db.Database.read_rows gives one).
Fetch = Callable[[TextClause, dict], Sequence]


@dataclass(frozen=True)
class ViewFeatures:
    """The features of one view: their GeoJSON texts joined by commas, how many, and whether clusters."""

    joined: str
    count: int
    clustered: bool


def count_upper_bound(fetch: Fetch, flt: MapFilter) -> int:
    """At least as many as the published places in the view (it counts whole grid cells at the edges)."""
    return fetch(GRID_COUNT_SQL, {**_params(flt), "level": 0, "size": GRID_BASE})[0]


def cluster_features(fetch: Fetch, flt: MapFilter, max_features: int) -> ViewFeatures:
    """Grid clusters of the published places in the view, each a Point Feature with counts by status."""
    cell = grid_cell_size(flt.box, max_features)
    level = grid_level(cell, GRID_BASE, GRID_LEVELS)
    count, joined = fetch(CLUSTERS_SQL, {**_params(flt), "cell": cell, "level": level,
                                         "size": GRID_BASE * 2 ** level, "limit": max_features})
    return ViewFeatures(joined, count, True)


def view_features(fetch: Fetch, flt: MapFilter, limit: int) -> ViewFeatures:
    """Points of the view, or clusters when it is wide or holds more places than `limit`."""
    box = flt.box
    clustered = should_cluster(box, CLUSTER_SPAN)
    if not clustered and max(box.width, box.height) > PRECHECK_SPAN:
        # A dense city view would read limit+1 scattered places only to answer clusters anyway; the grid's
        # upper bound says so in a few index pages. Near the limit it is not sure, and the points query decides.
        clustered = count_upper_bound(fetch, flt) > 2 * limit
    if not clustered:
        count, joined = fetch(POINTS_SQL, {**_params(flt), "limit": limit + 1})
        if count <= limit:
            return ViewFeatures(joined, count, False)
    # More places than the limit: clusters rather than an arbitrary cut of the view.
    return cluster_features(fetch, flt, min(limit, MAX_CLUSTERS))


def search_features(session: Session, query: str, near: tuple[float, float] | None, limit: int) -> list[str]:
    """Light features of the published places whose name or address (street and house number, place, postcode,
    city: search_text) contains `query`, nearest first given a position."""
    stmt = (select(feature_column(full=False)).select_from(Place)
            .where(is_published(), Place.search_text.icontains(query, autoescape=True)).limit(limit))
    if near is not None:
        point = func.ST_SetSRID(func.ST_MakePoint(near[0], near[1]), 4326)
        stmt = stmt.order_by(Place.geom.op("<->")(point))
    else:
        stmt = stmt.order_by(func.similarity(Place.search_text, query).desc(), Place.id)
    return list(session.scalars(stmt))


def pending_for_visitor(session: Session, place_id: int, user_id: int | None,
                        device_hash: str | None) -> list[Submission]:
    """The visitor's own pending submissions for a place (by account, or else by device)."""
    if user_id is None and device_hash is None:
        return []
    stmt = select(Submission).where(Submission.place_id == place_id, Submission.state == "pending")
    if user_id is not None:
        stmt = stmt.where(Submission.author_id == user_id)
    else:
        stmt = stmt.where(Submission.device_hash == device_hash, Submission.author_id.is_(None))
    return list(session.scalars(stmt.order_by(Submission.created_at.desc())))
