"""Positions as (lat, lon) and the one place where they meet (x=lon, y=lat) order.

geopy/geographiclib take (lat, lon); GeoJSON and shapely take (x=lon, y=lat).
Every conversion between the two goes through `to_xy` / `from_xy` so that a
swapped pair cannot hide in some corner of the code.
"""

from __future__ import annotations

import math
from typing import NamedTuple


class LatLon(NamedTuple):
    """A WGS84 position in degrees."""

    lat: float
    lon: float

    @classmethod
    def checked(cls, lat: object, lon: object) -> LatLon:
        """Build from untrusted values; ValueError unless finite and in range."""
        return cls(_degrees("latitude", lat, 90.0), _degrees("longitude", lon, 180.0))


def _degrees(name: str, value: object, limit: float) -> float:
    # bool is an int subclass: `true` in JSON must not become 1 degree.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    # Range-check before float(): a huge JSON integer would overflow float().
    if not -limit <= value <= limit:
        raise ValueError(f"{name} must be between {-limit:g} and {limit:g}")
    degrees = float(value)
    if not math.isfinite(degrees):
        raise ValueError(f"{name} must be finite")
    return degrees


def to_xy(p: LatLon) -> tuple[float, float]:
    """(x=lon, y=lat), the GeoJSON / shapely order."""
    return (p.lon, p.lat)


def from_xy(x: float, y: float) -> LatLon:
    """Inverse of `to_xy`."""
    return LatLon(y, x)


def wrap_lon(lon: float) -> float:
    """The same meridian in [-180, 180)."""
    return (lon + 180.0) % 360.0 - 180.0


def checked_from_xy(x: object, y: object) -> LatLon:
    """`from_xy` for untrusted values (a GeoJSON position): ValueError if invalid."""
    return LatLon.checked(y, x)
