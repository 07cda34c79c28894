"""A polygon fence (outer ring, optional holes), held in metres about its middle."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.azimuthal import NEAR_LIMIT_M, AzimuthalFrame
from geo.bounds import Bounds, degree_box
from geo.coords import LatLon, to_xy
from geo.distance import geodesic_m
from geo.fence_base import Geofence, GeofenceError
from geo.outline import lonlat_outline

# Keeps the whole polygon where the projection distorts less than 1e-5, and
# city-scale fences are far smaller anyway (the API caps the area at 25 km²).
MAX_REACH_M = 50_000.0

_REASON_AT = re.compile(r"^(.*?)\s*\[(\S+) (\S+)\]$")


class PolygonFence(Geofence):
    """A polygon whose edges are straight in an azimuthal equidistant projection
    about its middle: at fence sizes, the geodesics between its vertices.

    Rings follow GeoJSON: closed (last position repeats the first), outer ring
    first, then holes. Edges run the short way between their ends, so a fence
    may straddle the antimeridian or enclose a pole.
    """

    __slots__ = ("rings", "area_m2", "_frame", "_shape", "_anchor", "_bounds", "_outline")

    def __init__(self, rings: Sequence[Sequence[LatLon]]) -> None:
        self.rings = _checked_rings(rings)
        self._frame = AzimuthalFrame(_middle(self.rings[0]))
        planar_rings = [self._planar_ring(ring) for ring in self.rings]
        shape = shapely.Polygon(planar_rings[0], planar_rings[1:])
        self._require_valid(shape)
        self.area_m2 = float(shape.area)
        if not self.area_m2 > 0.0:
            raise GeofenceError("polygon has no area")
        shapely.prepare(shape)
        self._shape = shape
        anchor = shapely.point_on_surface(shape)
        self._anchor = self._frame.latlon(anchor.x, anchor.y)
        # Every point of the shape is within its farthest vertex's planar
        # distance of the middle, and planar distances from the middle are
        # geodesic ones; the metre covers the millimetre-level approximation.
        reach = max(float(np.hypot(ring[:, 0], ring[:, 1]).max()) for ring in planar_rings)
        self._bounds = degree_box(self._frame.origin, reach + 1.0)
        self._outline: BaseGeometry | None = None

    @property
    def vertex_count(self) -> int:
        """Distinct vertices (closing repeats not counted)."""
        return sum(len(ring) - 1 for ring in self.rings)

    @property
    def anchor(self) -> LatLon:
        return self._anchor

    @property
    def bounds(self) -> Bounds:
        return self._bounds

    @property
    def lonlat_geometry(self) -> BaseGeometry:
        if self._outline is None:
            self._outline = lonlat_outline(self.rings, self._anchor.lon, self._bounds)
        return self._outline

    def distance_m(self, p: LatLon) -> float:
        x, y = self._frame.xy(p)
        if shapely.contains_xy(self._shape, x, y):
            return 0.0
        target = shapely.Point(x, y)
        if x * x + y * y <= NEAR_LIMIT_M * NEAR_LIMIT_M:
            return float(shapely.distance(self._shape, target))
        # Far away the projection stretches sideways ((ρ/R)/sin(ρ/R)), so the
        # planar distance is no longer metres; but the planar nearest point is
        # still the right one to within second-order terms, so measure to it.
        line = shapely.shortest_line(self._shape, target)
        qx, qy = shapely.get_coordinates(line)[0]
        return geodesic_m(self._frame.latlon(float(qx), float(qy)), p)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "Polygon",
            "coordinates": [[list(to_xy(p)) for p in ring] for ring in self.rings],
        }

    def _planar_ring(self, ring: tuple[LatLon, ...]) -> np.ndarray[Any, np.dtype[np.float64]]:
        lats = np.array([p.lat for p in ring], dtype=np.float64)
        lons = np.array([p.lon for p in ring], dtype=np.float64)
        try:
            xs, ys = self._frame.xy_many(lats, lons)
        except ValueError:
            raise _too_large() from None
        if float(np.hypot(xs, ys).max()) > MAX_REACH_M:
            raise _too_large()
        return np.column_stack([xs, ys])

    def _require_valid(self, shape: shapely.Polygon) -> None:
        reason = shapely.is_valid_reason(shape)
        if reason == "Valid Geometry":
            return
        match = _REASON_AT.match(reason or "")
        if match is None:
            raise GeofenceError(f"polygon is not valid: {reason}")
        what, x, y = match.groups()
        try:
            where = self._frame.latlon(float(x), float(y))
        except ValueError:
            raise GeofenceError(f"polygon is not valid: {what}") from None
        raise GeofenceError(f"polygon is not valid: {what} near [{where.lon:.6f}, {where.lat:.6f}]")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PolygonFence):
            return NotImplemented
        return self.rings == other.rings

    def __hash__(self) -> int:
        return hash((PolygonFence, self.rings))

    def __repr__(self) -> str:
        return f"PolygonFence(<{self.vertex_count} vertices around {self._anchor!r}>)"


def _checked_rings(rings: Sequence[Sequence[LatLon]]) -> tuple[tuple[LatLon, ...], ...]:
    if not rings:
        raise GeofenceError("a polygon needs an outer ring")
    checked = []
    for index, ring in enumerate(rings):
        name = ring_name(index)
        if len(ring) < 4:
            raise GeofenceError(f"{name} has {len(ring)} positions; a ring needs at least 4")
        try:
            points = tuple(LatLon.checked(p.lat, p.lon) for p in ring)
        except ValueError as exc:
            raise GeofenceError(f"{name}: {exc}") from None
        if points[0] != points[-1]:
            raise GeofenceError(f"{name} is not closed: its last position must repeat its first")
        checked.append(points)
    return tuple(checked)


def ring_name(index: int) -> str:
    return "outer ring" if index == 0 else f"hole {index}"


def _middle(ring: Sequence[LatLon]) -> LatLon:
    """The direction of the mean of the vertices' unit vectors.

    Unlike a mean of degrees it does not jump at the antimeridian or the poles.
    Any point near the middle will do: it is only the projection's centre.
    """
    x = y = z = 0.0
    for p in ring[:-1]:
        lat, lon = math.radians(p.lat), math.radians(p.lon)
        x += math.cos(lat) * math.cos(lon)
        y += math.cos(lat) * math.sin(lon)
        z += math.sin(lat)
    if math.sqrt(x * x + y * y + z * z) < 1e-9 * len(ring):
        raise _too_large()
    return LatLon(math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x)))


def _too_large() -> GeofenceError:
    return GeofenceError(
        f"polygon is too large: every vertex must lie within {MAX_REACH_M / 1000:g} km "
        "of its middle"
    )
