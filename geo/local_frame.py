"""East/north/up metres around an origin, from geocentric (ECEF) coordinates.

The 3-D offsets are exact, so the chord between the origin and any point is
exact too, and the antimeridian and the poles are ordinary places here. The
east/north pair is the tangent-plane (orthographic) view: true to first order
near the origin, off by rho²/2R² at rho from it. `geo.azimuthal` turns it into a
projection whose distances from the origin are exact.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from geo.coords import LatLon
from geo.ellipsoid import E2, A, prime_vertical_radius

FloatArray = NDArray[np.float64]


class LocalFrame:
    """Tangent-plane coordinates (east, north, up) in metres around `origin`."""

    __slots__ = ("origin", "_lon0", "_sin0", "_cos0", "_x0", "_z0")

    def __init__(self, origin: LatLon) -> None:
        self.origin = origin
        phi0 = math.radians(origin.lat)
        self._lon0 = math.radians(origin.lon)
        self._sin0 = math.sin(phi0)
        self._cos0 = math.cos(phi0)
        n0 = prime_vertical_radius(self._sin0)
        # ECEF turned about the polar axis so the origin's meridian is the x axis:
        # east is then simply y, and the origin has no y component.
        self._x0 = n0 * self._cos0
        self._z0 = n0 * (1.0 - E2) * self._sin0

    def enu(self, p: LatLon) -> tuple[float, float, float]:
        """(east, north, up) of a point on the ellipsoid, in metres."""
        phi = math.radians(p.lat)
        dlon = math.radians(p.lon) - self._lon0
        sin_phi = math.sin(phi)
        n = prime_vertical_radius(sin_phi)
        ring = n * math.cos(phi)
        dx = ring * math.cos(dlon) - self._x0
        dz = n * (1.0 - E2) * sin_phi - self._z0
        east = ring * math.sin(dlon)
        north = self._cos0 * dz - self._sin0 * dx
        up = self._cos0 * dx + self._sin0 * dz
        return east, north, up

    def enu_many(
        self, lats: FloatArray, lons: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """`enu` for arrays of degrees."""
        phi = np.radians(lats)
        dlon = np.radians(lons) - self._lon0
        sin_phi = np.sin(phi)
        n = A / np.sqrt(1.0 - E2 * sin_phi * sin_phi)
        ring = n * np.cos(phi)
        dx = ring * np.cos(dlon) - self._x0
        dz = n * (1.0 - E2) * sin_phi - self._z0
        east = ring * np.sin(dlon)
        north = self._cos0 * dz - self._sin0 * dx
        up = self._cos0 * dx + self._sin0 * dz
        return east, north, up
