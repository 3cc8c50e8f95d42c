"""Where an OSM area sits on StepFree's map: one point guaranteed to lie inside it.

A centroid can fall outside an L-shaped building or a courtyard block, which would put the marker on the
neighbour's roof; Shapely's point_on_surface always lies in the interior. Invalid rings (self-touching,
bow-ties) are repaired with make_valid first, the way PostGIS's ST_MakeValid would.
"""

from collections.abc import Sequence

import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

COORD_DIGITS = 7  # OSM stores 7 decimals (about 1 cm); more would only be noise


class GeometryError(ValueError):
    """An OSM object whose geometry cannot give a point (too few nodes, no area)."""


def rounded(lon: float, lat: float) -> tuple[float, float]:
    return round(lon, COORD_DIGITS), round(lat, COORD_DIGITS)


def interior_point(geometry: BaseGeometry) -> tuple[float, float]:
    """A point inside a (multi)polygon, repairing it first if it is invalid."""
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    # make_valid may return a collection with stray lines or points; only the areal parts count.
    areal = [g for g in shapely.get_parts(geometry) if g.geom_type == "Polygon" and g.area > 0]
    if not areal:
        raise GeometryError("the outline encloses no area")
    surface = shapely.union_all(areal) if len(areal) > 1 else areal[0]
    point = surface.point_on_surface()
    return rounded(point.x, point.y)


def way_point(coords: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """A point inside the polygon of a closed way given as (lon, lat) pairs."""
    if len(coords) < 4 or coords[0] != coords[-1]:
        raise GeometryError("a closed way needs at least three distinct nodes and to end where it starts")
    return interior_point(Polygon(coords))


def wkb_point(wkb_hex: str) -> tuple[float, float]:
    """A point inside the (multi)polygon given as hex WKB (pyosmium's WKBFactory output)."""
    try:
        geometry = shapely.from_wkb(wkb_hex)
    except shapely.errors.GEOSException as error:
        raise GeometryError(f"unreadable area geometry ({error})") from None
    return interior_point(geometry)
