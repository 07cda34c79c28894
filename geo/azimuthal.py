"""An azimuthal equidistant projection about a fence's centre, in metres.

Each point goes to (s·sin α, s·cos α), where s and α are its geodesic distance
and azimuth from the origin, so distances from the origin are exact and the
only distortion is sideways, a stretch of (ρ/R)/sin(ρ/R) ≈ 1 + ρ²/6R² at ρ
from the origin (3e-6 at 30 km, 1e-4 at 150 km). This is the projection the
brief suggests doing with pyproj's `aeqd`; doing it here keeps one point's
projection to a microsecond, with no transformer object per fence.

Near the origin (chord under NEAR_LIMIT_M) s and α come in closed form: the
point lies on the normal section through the origin's vertical, so the exact
3-D chord and that section's radius of curvature (Euler's formula from the
principal radii M and N) give the arc, within a millimetre of the geodesic at
150 km. Farther away they come from the exact geodesic solver.
"""

from __future__ import annotations

import math

import numpy as np

from geo.coords import LatLon
from geo.distance import destination, geodesic_m, geodesic_with_azimuth
from geo.ellipsoid import meridional_radius, prime_vertical_radius
from geo.local_frame import FloatArray, LocalFrame

NEAR_LIMIT_M = 150_000.0

# Under a metre the curvature correction (chord²/24R², 1e-15) is nothing, and
# squaring tiny offsets could underflow to a zero curvature.
_EXACT_BELOW_M2 = 1.0


class AzimuthalFrame:
    """Azimuthal equidistant (x east, y north) metres about `origin`."""

    __slots__ = ("origin", "_enu", "_inv_m", "_inv_n")

    def __init__(self, origin: LatLon) -> None:
        self.origin = origin
        self._enu = LocalFrame(origin)
        sin_lat = math.sin(math.radians(origin.lat))
        self._inv_m = 1.0 / meridional_radius(sin_lat)
        self._inv_n = 1.0 / prime_vertical_radius(sin_lat)

    def distance_m(self, p: LatLon) -> float:
        """Geodesic metres from the origin to `p`."""
        east, north, up = self._enu.enu(p)
        horizontal2 = east * east + north * north
        chord2 = horizontal2 + up * up
        if chord2 > NEAR_LIMIT_M * NEAR_LIMIT_M:
            return geodesic_m(self.origin, p)
        return self._arc(math.sqrt(chord2), east, north, horizontal2)

    def xy(self, p: LatLon) -> tuple[float, float]:
        """Projected (x, y) metres of `p`; exact distance and azimuth from the origin."""
        east, north, up = self._enu.enu(p)
        horizontal2 = east * east + north * north
        chord2 = horizontal2 + up * up
        if chord2 > NEAR_LIMIT_M * NEAR_LIMIT_M:
            s, azimuth = geodesic_with_azimuth(self.origin, p)
            azimuth = math.radians(azimuth)
            return s * math.sin(azimuth), s * math.cos(azimuth)
        if chord2 < _EXACT_BELOW_M2:
            return east, north
        scale = self._arc(math.sqrt(chord2), east, north, horizontal2) / math.sqrt(horizontal2)
        return east * scale, north * scale

    def xy_many(self, lats: FloatArray, lons: FloatArray) -> tuple[FloatArray, FloatArray]:
        """`xy` for arrays of degrees, all within NEAR_LIMIT_M of the origin."""
        east, north, up = self._enu.enu_many(lats, lons)
        horizontal2 = east * east + north * north
        chord = np.sqrt(horizontal2 + up * up)
        if np.any(chord > NEAR_LIMIT_M):
            raise ValueError("points too far from the origin for the closed form")
        with np.errstate(divide="ignore", invalid="ignore"):
            radius = horizontal2 / (north * north * self._inv_m + east * east * self._inv_n)
            arc = 2.0 * radius * np.arcsin(chord / (2.0 * radius))
            scale = np.where(chord * chord < _EXACT_BELOW_M2, 1.0, arc / np.sqrt(horizontal2))
        return east * scale, north * scale

    def latlon(self, x: float, y: float) -> LatLon:
        """Inverse of `xy` (exact geodesic; ~30 µs, for the rare far path)."""
        s = math.hypot(x, y)
        if s == 0.0:
            return self.origin
        return destination(self.origin, math.degrees(math.atan2(x, y)), s)

    def _arc(self, chord: float, east: float, north: float, horizontal2: float) -> float:
        if chord * chord < _EXACT_BELOW_M2:
            return chord
        # Euler: the section's curvature at azimuth α is cos²α/M + sin²α/N.
        radius = horizontal2 / (north * north * self._inv_m + east * east * self._inv_n)
        return 2.0 * radius * math.asin(chord / (2.0 * radius))
