"""Geofences from API JSON: strict, and every refusal is a GeofenceError."""

from __future__ import annotations

from geo.circle_fence import CircleFence
from geo.coords import LatLon, checked_from_xy
from geo.fence_base import Geofence, GeofenceError
from geo.polygon_fence import PolygonFence, ring_name

DEFAULT_RADIUS_M = 100.0
MIN_RADIUS_M = 5.0
MAX_RADIUS_M = 5000.0
MAX_VERTICES = 999
MAX_AREA_M2 = 25_000_000.0

_SHAPES = 'geofence must be null, {"radius_m": R} or a GeoJSON Polygon'


def parse_geofence(raw: object, location: LatLon | None) -> Geofence:
    """The fence a clue's API JSON describes.

    - None: a circle of DEFAULT_RADIUS_M around `location`;
    - {"radius_m": R}: a circle around `location`, MIN_RADIUS_M <= R <= MAX_RADIUS_M;
    - a GeoJSON Polygon: valid and simple, closed rings of at least 4 positions,
      at most MAX_VERTICES distinct vertices, under MAX_AREA_M2 square metres.
    """
    if raw is None:
        return _circle(location, DEFAULT_RADIUS_M)
    if not isinstance(raw, dict):
        raise GeofenceError(_SHAPES)
    if "type" in raw:
        return _polygon(raw)
    if "radius_m" in raw:
        _only_keys(raw, {"radius_m"})
        return _circle(location, _radius(raw["radius_m"]))
    raise GeofenceError(_SHAPES)


def _radius(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GeofenceError("radius_m must be a number of metres")
    # Compared before float(): huge integers would overflow it; NaN fails here.
    if not MIN_RADIUS_M <= value <= MAX_RADIUS_M:
        raise GeofenceError(f"radius_m must be between {MIN_RADIUS_M:g} and {MAX_RADIUS_M:g}")
    return float(value)


def _circle(location: LatLon | None, radius_m: float) -> CircleFence:
    if location is None:
        raise GeofenceError("a circular geofence needs the clue's location")
    return CircleFence(location, radius_m)


def _polygon(raw: dict[object, object]) -> PolygonFence:
    _only_keys(raw, {"type", "coordinates"})
    if raw["type"] != "Polygon":
        raise GeofenceError('the only GeoJSON geometry accepted is "type": "Polygon"')
    coordinates = raw.get("coordinates")
    if not isinstance(coordinates, list | tuple) or not coordinates:
        raise GeofenceError("a Polygon needs coordinates: a non-empty array of rings")
    vertices = 0
    for index, ring in enumerate(coordinates):
        name = ring_name(index)
        if not isinstance(ring, list | tuple):
            raise GeofenceError(f"{name} must be an array of positions")
        # Counted before any work so an oversized polygon costs nothing.
        vertices += len(ring) - 1
        if vertices > MAX_VERTICES:
            raise GeofenceError(f"polygon has more than {MAX_VERTICES} vertices")
        if not all(isinstance(p, list | tuple) for p in ring):
            raise GeofenceError(f"{name} must be an array of [longitude, latitude] positions")
        if len(ring) < 4:
            raise GeofenceError(f"{name} has {len(ring)} positions; a ring needs at least 4")
    fence = PolygonFence(
        [
            [_position(ring_index, index, p) for index, p in enumerate(ring)]
            for ring_index, ring in enumerate(coordinates)
        ]
    )
    if not fence.area_m2 < MAX_AREA_M2:
        raise GeofenceError(
            f"polygon covers {fence.area_m2 / 1e6:.1f} km²; the limit is {MAX_AREA_M2 / 1e6:g} km²"
        )
    return fence


def _position(ring_index: int, index: int, value: object) -> LatLon:
    where = f"{ring_name(ring_index)}, position {index}"
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise GeofenceError(f"{where} must be [longitude, latitude]")
    try:
        return checked_from_xy(value[0], value[1])
    except ValueError as exc:
        raise GeofenceError(f"{where}: {exc}") from None


def _only_keys(raw: dict[object, object], allowed: set[str]) -> None:
    unexpected = set(raw) - allowed
    if unexpected:
        names = ", ".join(sorted(repr(key)[:40] for key in unexpected))
        raise GeofenceError(f"unexpected geofence field(s): {names}")
