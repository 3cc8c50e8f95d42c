"""Bounding boxes as the API takes them: `minLon,minLat,maxLon,maxLat` in WGS 84 (RFC 7946 order)."""

import math
from dataclasses import dataclass


class BBoxError(ValueError):
    """A bbox that cannot be used; the message says why in words a user can act on."""


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @property
    def width(self) -> float:
        return self.max_lon - self.min_lon

    @property
    def height(self) -> float:
        return self.max_lat - self.min_lat

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.min_lon, self.min_lat, self.max_lon, self.max_lat)

    def contains(self, lon: float, lat: float) -> bool:
        return self.min_lon <= lon <= self.max_lon and self.min_lat <= lat <= self.max_lat


def parse_bbox(text: str, max_span: float | None = None) -> BBox:
    """Parse `minLon,minLat,maxLon,maxLat`; refuse malformed, out-of-range, inverted or too large boxes."""
    parts = (text or "").split(",")
    if len(parts) != 4:
        raise BBoxError("bbox must be four numbers: minLon,minLat,maxLon,maxLat")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise BBoxError("bbox must be four numbers: minLon,minLat,maxLon,maxLat") from None
    if not all(math.isfinite(v) for v in values):
        raise BBoxError("bbox values must be finite numbers")
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise BBoxError("bbox longitudes must lie between -180 and 180")
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise BBoxError("bbox latitudes must lie between -90 and 90")
    if min_lon > max_lon or min_lat > max_lat:
        raise BBoxError("bbox minimum must not exceed its maximum (order: minLon,minLat,maxLon,maxLat)")
    box = BBox(min_lon, min_lat, max_lon, max_lat)
    if max_span is not None and (box.width > max_span or box.height > max_span):
        raise BBoxError(f"bbox is too large: at most {max_span:g} degrees on each side")
    return box


def valid_point(lon: float, lat: float) -> bool:
    return math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90
