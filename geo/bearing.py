"""Distances and bearings from one point to many, on the WGS84 ellipsoid.

A bearing is the geodesic's initial azimuth at the origin: degrees clockwise from true north,
in [0, 360). The many-points form projects them about the origin (`AzimuthalFrame`, whose
distances and azimuths from its origin are exact to a millimetre within 150 km) in one numpy
pass, so a few hundred points cost tens of microseconds instead of ~30 µs each.
"""

from __future__ import annotations

import numpy as np

from geo.azimuthal import AzimuthalFrame
from geo.coords import LatLon
from geo.distance import geodesic_m, geodesic_with_azimuth
from geo.local_frame import FloatArray


def normal_bearing(degrees: float) -> float:
    """The same direction in [0, 360)."""
    turned = degrees % 360.0
    # A tiny negative angle turns into 360.0 itself under floating-point modulo.
    return 0.0 if turned >= 360.0 else turned


def bearing_deg(origin: LatLon, target: LatLon) -> float:
    """Initial azimuth of the geodesic from `origin` to `target`, in [0, 360); 0 when they
    coincide (geographiclib reads 180 there)."""
    distance, azimuth = geodesic_with_azimuth(origin, target)
    return normal_bearing(azimuth) if distance > 0.0 else 0.0


def distances_and_bearings(
    origin: LatLon, lats: FloatArray, lons: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(metres, bearing degrees in [0, 360)) from `origin` to each (lats[i], lons[i]).

    A point on the origin itself reads bearing 0.
    """
    if len(lats) == 0:
        return np.empty(0), np.empty(0)
    try:
        x, y = AzimuthalFrame(origin).xy_many(lats, lons)
    except ValueError:
        # Some point beyond the closed form's reach: the exact solver for every point.
        targets = [LatLon(float(lat), float(lon)) for lat, lon in zip(lats, lons, strict=True)]
        distances = np.array([geodesic_m(origin, t) for t in targets], dtype=np.float64)
        bearings = np.array([bearing_deg(origin, t) for t in targets], dtype=np.float64)
        return distances, bearings
    bearings = np.degrees(np.arctan2(x, y)) % 360.0
    bearings[bearings >= 360.0] = 0.0
    return np.hypot(x, y), bearings
