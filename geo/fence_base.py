"""What every geofence offers, and the error for one that cannot be accepted."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from shapely.geometry.base import BaseGeometry

from geo.bounds import Bounds
from geo.coords import LatLon


class GeofenceError(ValueError):
    """A geofence that cannot be accepted; `str()` is a message for the API client."""


class Geofence(ABC):
    """An area on the ellipsoid that a scan must be in (or near)."""

    __slots__ = ()

    @property
    @abstractmethod
    def anchor(self) -> LatLon:
        """A point inside the fence (a circle's centre)."""

    @property
    @abstractmethod
    def bounds(self) -> Bounds:
        """(minlon, minlat, maxlon, maxlat) degrees holding the whole fence.

        Conservative, for picking candidates only. minlon > maxlon means the box
        crosses the antimeridian; a fence near a pole spans every longitude.
        """

    @property
    @abstractmethod
    def lonlat_geometry(self) -> BaseGeometry:
        """The outline in (x=lon, y=lat) degrees, for display or a coarse index.

        Longitudes run continuously around the anchor's, so near the
        antimeridian they may leave [-180, 180]; a fence around a pole has no
        sensible lon/lat outline and gives its bounding box. Never use it for
        distances: degrees are not metres.
        """

    @abstractmethod
    def distance_m(self, p: LatLon) -> float:
        """0.0 inside the fence, else geodesic metres from `p` to the fence."""

    @abstractmethod
    def to_json(self) -> dict[str, Any]:
        """The API form, accepted back by `parse_geofence`."""

    def contains(self, p: LatLon) -> bool:
        """Inside or on the edge."""
        return self.distance_m(p) == 0.0
