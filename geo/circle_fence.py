"""A geodesic circle: every point within `radius_m` metres of a centre."""

from __future__ import annotations

import math
from typing import Any

from shapely.geometry.base import BaseGeometry

from geo.azimuthal import AzimuthalFrame
from geo.bounds import Bounds, degree_box
from geo.coords import LatLon
from geo.distance import destination
from geo.fence_base import Geofence, GeofenceError
from geo.outline import lonlat_outline

# Enough for display; `polygonise_circle` makes real polygon fences.
_OUTLINE_VERTICES = 64


class CircleFence(Geofence):
    """Points within `radius_m` geodesic metres of `center`.

    distance_m is exact by the triangle inequality: the nearest point of the
    disc lies on the geodesic from the centre to `p`, `radius_m` along it.
    """

    __slots__ = ("center", "radius_m", "_frame", "_bounds", "_outline")

    def __init__(self, center: LatLon, radius_m: float) -> None:
        try:
            center = LatLon.checked(center.lat, center.lon)
        except ValueError as exc:
            raise GeofenceError(f"circle centre: {exc}") from None
        if (
            isinstance(radius_m, bool)
            or not isinstance(radius_m, int | float)
            or not 0.0 < radius_m < math.inf
        ):
            raise GeofenceError("circle radius must be a positive number of metres")
        self.center = center
        self.radius_m = float(radius_m)
        self._frame = AzimuthalFrame(center)
        self._bounds = degree_box(center, self.radius_m)
        self._outline: BaseGeometry | None = None

    @property
    def anchor(self) -> LatLon:
        return self.center

    @property
    def bounds(self) -> Bounds:
        return self._bounds

    @property
    def lonlat_geometry(self) -> BaseGeometry:
        # Lazy: 64 exact geodesics cost ~2 ms, and bulk loads never need them.
        if self._outline is None:
            ring = [
                destination(self.center, 360.0 * k / _OUTLINE_VERTICES, self.radius_m)
                for k in range(_OUTLINE_VERTICES)
            ]
            ring.append(ring[0])
            self._outline = lonlat_outline([ring], self.center.lon, self._bounds)
        return self._outline

    def distance_m(self, p: LatLon) -> float:
        return max(0.0, self._frame.distance_m(p) - self.radius_m)

    def to_json(self) -> dict[str, Any]:
        return {"radius_m": self.radius_m}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CircleFence):
            return NotImplemented
        return (self.center, self.radius_m) == (other.center, other.radius_m)

    def __hash__(self) -> int:
        return hash((CircleFence, self.center, self.radius_m))

    def __repr__(self) -> str:
        return f"CircleFence({self.center!r}, {self.radius_m!r})"
