"""Conservative lon/lat boxes around metric extents, for picking candidates only.

A box is (minlon, minlat, maxlon, maxlat) in degrees. As in GeoJSON (RFC 7946
§5.2), minlon > maxlon means the box crosses the antimeridian. A box that
reaches a pole spans every longitude.
"""

from __future__ import annotations

import math

from geo.coords import LatLon
from geo.ellipsoid import MIN_RADIUS_M, A

Bounds = tuple[float, float, float, float]

WORLD: Bounds = (-180.0, -90.0, 180.0, 90.0)

# Absorbs floating-point rounding only; the bounds below are already strict.
_SLACK_DEG = 1e-9


def degree_box(center: LatLon, radius_m: float) -> Bounds:
    """A box holding every point within `radius_m` metres (geodesic) of `center`.

    Along any path dφ/ds <= 1/M(φ) <= 1/MIN_RADIUS_M, and dλ/ds <= 1/(N cos φ)
    with N >= a; so the box is a true bound everywhere, not an estimate.
    """
    dlat = math.degrees(radius_m / MIN_RADIUS_M) + _SLACK_DEG
    farthest_lat = abs(center.lat) + dlat
    if farthest_lat >= 90.0:
        return (-180.0, max(center.lat - dlat, -90.0), 180.0, min(center.lat + dlat, 90.0))
    dlon = math.degrees(radius_m / (A * math.cos(math.radians(farthest_lat)))) + _SLACK_DEG
    minlat, maxlat = center.lat - dlat, center.lat + dlat
    if dlon >= 180.0:
        return (-180.0, minlat, 180.0, maxlat)
    minlon, maxlon = center.lon - dlon, center.lon + dlon
    if minlon < -180.0:
        minlon += 360.0
    if maxlon > 180.0:
        maxlon -= 360.0
    return (minlon, minlat, maxlon, maxlat)


def split_at_antimeridian(box: Bounds) -> list[Bounds]:
    """One or two ordinary boxes (minlon <= maxlon) covering `box`."""
    minlon, minlat, maxlon, maxlat = box
    if minlon <= maxlon:
        return [box]
    return [(minlon, minlat, 180.0, maxlat), (-180.0, minlat, maxlon, maxlat)]


def boxes_intersect(a: Bounds, b: Bounds) -> bool:
    return any(
        p[0] <= q[2] and q[0] <= p[2] and p[1] <= q[3] and q[1] <= p[3]
        for p in split_at_antimeridian(a)
        for q in split_at_antimeridian(b)
    )
