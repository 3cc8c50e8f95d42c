"""Where an OSM way or area sits on StepFree's map: one point guaranteed to lie on it.

A centroid can fall outside an L-shaped building or a courtyard block, which would put the marker on the
neighbour's roof; Shapely's point_on_surface always lies in the interior. Invalid rings (self-touching,
bow-ties) are repaired with make_valid first, the way PostGIS's ST_MakeValid would.

An open way (a bus platform drawn along the kerb) gets the point halfway along its length, on the line itself.
Lengths are measured in metres, not degrees: a degree of longitude shrinks with the cosine of the latitude
(to 0.68 of a degree of latitude in Liechtenstein), so halving in degrees would slide the point along a line
that bends between east-west and north-south.
"""

import math
from collections.abc import Sequence

import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

COORD_DIGITS = 7  # OSM stores 7 decimals (about 1 cm); more would only be noise
METRES_PER_DEGREE = 6_371_008.8 * math.pi / 180  # along a meridian, on the mean Earth radius


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


def line_point(coords: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """The point halfway along an open line given as (lon, lat) pairs, measured in metres, lying on the line."""
    if not coords:
        raise GeometryError("the way has no nodes")
    # A local equirectangular projection: exact enough over the length of a platform or a street, and linear,
    # so interpolating in degrees along one segment stays on that segment.
    scale_x = math.cos(math.radians(sum(lat for _, lat in coords) / len(coords))) * METRES_PER_DEGREE
    lengths = [math.hypot((lon2 - lon1) * scale_x, (lat2 - lat1) * METRES_PER_DEGREE)
               for (lon1, lat1), (lon2, lat2) in zip(coords, coords[1:], strict=False)]
    remaining = sum(lengths) / 2
    for (lon1, lat1), (lon2, lat2), length in zip(coords, coords[1:], lengths, strict=False):
        if length > 0 and remaining <= length:
            share = remaining / length
            return rounded(lon1 + (lon2 - lon1) * share, lat1 + (lat2 - lat1) * share)
        remaining -= length
    return rounded(*coords[0])  # every node at one spot (or a single node): that spot
