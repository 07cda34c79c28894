"""Geofences: where a located clue may be scanned.

The public face of the fence modules; import fences from here.
"""

from __future__ import annotations

from geo.circle_fence import CircleFence
from geo.coords import LatLon
from geo.distance import destination
from geo.fence_base import Geofence, GeofenceError
from geo.fence_json import parse_geofence
from geo.polygon_fence import PolygonFence

__all__ = [
    "CircleFence",
    "Geofence",
    "GeofenceError",
    "PolygonFence",
    "parse_geofence",
    "polygonise_circle",
    "within_fence",
]


def within_fence(
    fence: Geofence, point: LatLon, accuracy_m: float, tolerance_m: float
) -> tuple[bool, float]:
    """(accepted, distance_m): accepted iff distance_m <= min(accuracy_m, tolerance_m).

    The slack is the smaller of the two so that a vague fix cannot widen the
    fence beyond the hunt's tolerance, nor a precise one be let off by it.
    A point inside is always accepted; a NaN or negative slack gives none.
    """
    distance = fence.distance_m(point)
    accepted = distance == 0.0 or (distance <= accuracy_m and distance <= tolerance_m)
    return accepted, distance


def polygonise_circle(center: LatLon, radius_m: float, vertices: int = 64) -> PolygonFence:
    """A polygon inscribed in the geodesic circle, vertices exactly `radius_m` out.

    Edges cut inside the circle by up to radius_m·(1 - cos(π/vertices))
    (1.2 m for 1 km at 64 vertices). Not bound by the API's area limit.
    """
    if vertices < 3:
        raise GeofenceError("a polygon needs at least 3 vertices")
    # Counter-clockwise, as GeoJSON (RFC 7946) recommends for outer rings.
    ring = [destination(center, -360.0 * k / vertices, radius_m) for k in range(vertices)]
    ring.append(ring[0])
    return PolygonFence([ring])
