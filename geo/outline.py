"""Lon/lat outlines of fences, for display and coarse indexing only."""

from __future__ import annotations

from collections.abc import Sequence

import shapely
from shapely.geometry.base import BaseGeometry

from geo.bounds import Bounds
from geo.coords import LatLon, to_xy, wrap_lon


def lonlat_outline(
    rings: Sequence[Sequence[LatLon]], around_lon: float, bounds: Bounds
) -> BaseGeometry:
    """A shapely polygon in (x=lon, y=lat), longitudes unwrapped around `around_lon`."""
    if bounds[0] == -180.0 and bounds[2] == 180.0:
        # Reaches a pole: there the ring may wind round the pole, which has no
        # planar lon/lat polygon; the box is the honest answer.
        return shapely.box(*bounds)
    xy_rings = [
        [(around_lon + wrap_lon(x - around_lon), y) for x, y in map(to_xy, ring)] for ring in rings
    ]
    return shapely.Polygon(xy_rings[0], xy_rings[1:])
