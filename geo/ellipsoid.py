"""WGS84, the ellipsoid GPS positions are expressed on."""

from __future__ import annotations

import math

A = 6378137.0
F = 1.0 / 298.257223563
E2 = F * (2.0 - F)
B = A * (1.0 - F)

# Meridional radius of curvature at the equator, a(1-e²): the tightest curvature
# anywhere on the ellipsoid, so s / MIN_RADIUS_M bounds the angle any geodesic
# of length s can turn through (used for conservative degree boxes).
MIN_RADIUS_M = A * (1.0 - E2)


def prime_vertical_radius(sin_lat: float) -> float:
    """N(φ): radius of curvature east-west."""
    return A / math.sqrt(1.0 - E2 * sin_lat * sin_lat)


def meridional_radius(sin_lat: float) -> float:
    """M(φ): radius of curvature north-south."""
    w2 = 1.0 - E2 * sin_lat * sin_lat
    return A * (1.0 - E2) / (w2 * math.sqrt(w2))
