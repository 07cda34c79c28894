"""Moving a polygon with its anchor: the anchor lands on the new spot, and the shape keeps its
size (area, edges, each vertex's distance and bearing from the anchor), wherever it goes."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.coords import LatLon
from geo.fences import PolygonFence
from geo.translate import translate, translate_polygon
from tests.support.geo import WGS84, destination, geodesic, lon_strategy

SOME = settings(max_examples=120, deadline=None)

# Anchors away from the poles' last kilometres, where "east" and "north" stop meaning much;
# the antimeridian is well represented.
places = st.builds(LatLon, st.floats(-85.0, 85.0), lon_strategy())


def azimuth(a: LatLon, b: LatLon) -> float:
    return float(WGS84.Inverse(a.lat, a.lon, b.lat, b.lon)["azi1"])


def angle_gap(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


@st.composite
def star_polygons(draw: st.DrawFn, anchor: LatLon) -> PolygonFence:
    """A simple polygon near `anchor` (its middle up to 3 km away): vertices at increasing
    bearings about the middle, each 20 m to 2 km out, so that no edge crosses another."""
    middle = destination(anchor, draw(st.floats(0, 360)), draw(st.floats(0, 3000)))
    count = draw(st.integers(3, 24))
    start = draw(st.floats(0, 360))
    cuts = sorted(draw(st.lists(st.floats(0.05, 0.95), min_size=count, max_size=count)))
    bearings = [start + 360.0 * (k + cut) / count for k, cut in enumerate(cuts)]
    ring = [destination(middle, b, draw(st.floats(20, 2000))) for b in bearings]
    return PolygonFence([[*ring, ring[0]]])


@st.composite
def moves(draw: st.DrawFn) -> tuple[PolygonFence, LatLon, LatLon]:
    old = draw(places)
    return draw(star_polygons(old)), old, draw(places)


@SOME
@given(moves())
def test_the_anchor_lands_on_the_new_location(move: tuple[PolygonFence, LatLon, LatLon]) -> None:
    _, old, new = move
    [moved] = translate([old], old, new)
    assert geodesic(moved, new) < 1e-6


@SOME
@given(moves())
def test_the_shape_keeps_its_size_and_bearings(move: tuple[PolygonFence, LatLon, LatLon]) -> None:
    fence, old, new = move
    moved = translate_polygon(fence, old, new)
    assert moved.area_m2 == pytest.approx(fence.area_m2, rel=1e-5)
    before, after = fence.rings[0], moved.rings[0]
    assert after[0] == after[-1] and len(after) == len(before)
    for p, q in zip(before, after, strict=True):
        # Each vertex as far from the anchor, in the same direction (from north).
        assert geodesic(new, q) == pytest.approx(geodesic(old, p), rel=1e-9, abs=1e-3)
        if geodesic(old, p) > 1.0:
            assert angle_gap(azimuth(new, q), azimuth(old, p)) < 1e-6
    for (a, b), (c, d) in zip(pairwise(before), pairwise(after), strict=True):
        # Every edge as long as it was.
        assert geodesic(c, d) == pytest.approx(geodesic(a, b), rel=1e-5, abs=1e-3)


@SOME
@given(moves())
def test_a_location_inside_stays_inside(move: tuple[PolygonFence, LatLon, LatLon]) -> None:
    fence, old, new = move
    moved = translate_polygon(fence, old, new)
    if fence.distance_m(old) == 0.0:
        assert moved.distance_m(new) == 0.0
    else:
        assert moved.distance_m(new) == pytest.approx(fence.distance_m(old), rel=1e-4, abs=0.01)


def test_holes_move_too_and_nothing_moves_in_place() -> None:
    old = LatLon(48.8584, 2.2945)
    outer = [destination(old, b, 400) for b in (0, 90, 180, 270)]
    hole = [destination(old, b, 100) for b in (0, 270, 180, 90)]
    fence = PolygonFence([[*outer, outer[0]], [*hole, hole[0]]])
    assert translate_polygon(fence, old, old) is fence
    new = LatLon(-33.8568, 151.2153)
    moved = translate_polygon(fence, old, new)
    assert len(moved.rings) == 2
    assert moved.area_m2 == pytest.approx(fence.area_m2, rel=1e-6)
    # The anchor sat in the hole: it still does, at its new place.
    assert moved.distance_m(new) == pytest.approx(fence.distance_m(old), rel=1e-4)
    assert math.isclose(moved.distance_m(new), 100 * math.sqrt(0.5), rel_tol=0.01)
