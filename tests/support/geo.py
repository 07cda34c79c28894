"""Reference answers for the geo tests, built only on geographiclib (no geo code)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from geographiclib.geodesic import Geodesic
from hypothesis import strategies as st

from geo.coords import LatLon

WGS84 = Geodesic.WGS84

# The accuracy the fences document: 0.1 % + 0.5 m of the true distance.
REL_TOL = 1e-3
ABS_TOL_M = 0.5


def band_m(distance_m: float) -> float:
    return REL_TOL * abs(distance_m) + ABS_TOL_M


def geodesic(a: LatLon, b: LatLon) -> float:
    return float(WGS84.Inverse(a.lat, a.lon, b.lat, b.lon, Geodesic.DISTANCE)["s12"])


def destination(origin: LatLon, azimuth_deg: float, distance_m: float) -> LatLon:
    end = WGS84.Direct(origin.lat, origin.lon, azimuth_deg, distance_m)
    return LatLon(float(end["lat2"]), float(end["lon2"]))


def distance_to_edges(p: LatLon, rings: Sequence[Sequence[LatLon]], samples: int = 8) -> float:
    """Geodesic metres from p to the nearest geodesic edge of the rings.

    Every edge is sampled coarsely, then the best few are refined by golden
    section (distance along a short edge is unimodal).
    """
    scored = []
    for ring in rings:
        for a, b in zip(ring, ring[1:], strict=False):
            line = WGS84.InverseLine(a.lat, a.lon, b.lat, b.lon)
            coarse = min(_at(p, line, k / samples) for k in range(samples + 1))
            scored.append((coarse, line))
    scored.sort(key=lambda item: item[0])
    return min(min(coarse, _refine(p, line)) for coarse, line in scored[:4])


def _at(p: LatLon, line: object, t: float) -> float:
    pos = line.Position(t * line.s13)  # type: ignore[attr-defined]
    return geodesic(p, LatLon(pos["lat2"], pos["lon2"]))


def _refine(p: LatLon, line: object) -> float:
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    lo, hi = 0.0, 1.0
    x1, x2 = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    f1, f2 = _at(p, line, x1), _at(p, line, x2)
    for _ in range(40):
        if f1 < f2:
            hi, x2, f2 = x2, x1, f1
            x1 = hi - ratio * (hi - lo)
            f1 = _at(p, line, x1)
        else:
            lo, x1, f1 = x1, x2, f2
            x2 = lo + ratio * (hi - lo)
            f2 = _at(p, line, x2)
    return min(f1, f2, _at(p, line, 0.0), _at(p, line, 1.0))


def lat_strategy() -> st.SearchStrategy[float]:
    """Latitudes with the poles and their neighbourhoods well represented."""
    return st.one_of(
        st.floats(-90.0, 90.0),
        st.sampled_from([90.0, -90.0, 89.9999, -89.9999, 0.0, 60.0, -75.0]),
    )


def lon_strategy() -> st.SearchStrategy[float]:
    """Longitudes with the antimeridian well represented."""
    return st.one_of(
        st.floats(-180.0, 180.0),
        st.sampled_from([180.0, -180.0, 179.9999, -179.9999, 0.0]),
    )


def point_strategy() -> st.SearchStrategy[LatLon]:
    return st.builds(LatLon, lat_strategy(), lon_strategy())
