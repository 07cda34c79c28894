"""Moving a shape with its anchor: the same east/north offsets, in metres, about a new spot.

A clue's polygon is drawn around the clue's location. When the location moves, the polygon
moves with it: each vertex keeps its geodesic distance and azimuth from the location, as an
azimuthal equidistant projection about the old location gives them, and is placed at the same
offset (x east, y north) about the new one. The anchor itself goes exactly to the new location,
and the shape keeps its size: distances from the anchor are exact, and the only distortion is
the projection's sideways stretch, (ρ/R)/sin(ρ/R) ≈ 1 + ρ²/6R² at ρ from the anchor (under
1e-6 within 10 km), wherever on Earth the shape goes.
"""

from __future__ import annotations

from collections.abc import Sequence

from geo.azimuthal import AzimuthalFrame
from geo.coords import LatLon
from geo.polygon_fence import PolygonFence


def translate(points: Sequence[LatLon], old: LatLon, new: LatLon) -> list[LatLon]:
    """Each point at the same east/north metres from `new` as it was from `old`."""
    if old == new:
        return list(points)
    source, target = AzimuthalFrame(old), AzimuthalFrame(new)
    return [target.latlon(*source.xy(p)) for p in points]


def translate_polygon(fence: PolygonFence, old: LatLon, new: LatLon) -> PolygonFence:
    """The polygon moved as its anchor moves from `old` to `new` (every ring, holes too; a
    ring stays closed, since its repeated position moves to one place). `GeofenceError` if
    the moved shape is no valid polygon (it wrapped over a pole, say)."""
    if old == new:
        return fence
    return PolygonFence([translate(ring, old, new) for ring in fence.rings])
