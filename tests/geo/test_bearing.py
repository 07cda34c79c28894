"""Bearings and many-point distances against geographiclib, and the index's candidate sets."""

from __future__ import annotations

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.bearing import bearing_deg, distances_and_bearings, normal_bearing
from geo.coords import LatLon
from geo.fences import CircleFence
from geo.index import FenceIndex
from tests.support.geo import destination, geodesic

WGS84 = Geodesic.WGS84

origins = st.builds(
    LatLon,
    st.floats(min_value=-85, max_value=85, allow_nan=False),
    st.floats(min_value=-180, max_value=180, allow_nan=False),
)


def reference_azimuth(a: LatLon, b: LatLon) -> float:
    return float(WGS84.Inverse(a.lat, a.lon, b.lat, b.lon)["azi1"]) % 360.0


def angle_between(a: float, b: float) -> float:
    off = abs(a - b) % 360.0
    return min(off, 360.0 - off)


@pytest.mark.parametrize("lat", [-60.0, -1.0, 0.0, 40.758, 70.0])
def test_cardinal_directions(lat: float) -> None:
    here = LatLon(lat, 10.0)
    for azimuth in (0.0, 90.0, 180.0, 270.0):
        there = destination(here, azimuth, 1000)
        assert angle_between(bearing_deg(here, there), azimuth) < 1e-9
        _, bearings = distances_and_bearings(here, np.array([there.lat]), np.array([there.lon]))
        assert angle_between(float(bearings[0]), azimuth) < 1e-6


def test_bearings_are_in_range() -> None:
    here = LatLon(40.0, 179.9995)
    assert bearing_deg(here, here) == 0.0
    assert 0.0 <= bearing_deg(here, LatLon(40.0001, -179.9995)) < 90.0  # across the antimeridian
    just_west_of_north = destination(here, -1e-13, 100)
    assert 0.0 <= bearing_deg(here, just_west_of_north) < 360.0
    assert normal_bearing(-1e-17) == 0.0
    assert normal_bearing(360.0) == 0.0
    assert normal_bearing(-90.0) == 270.0
    assert normal_bearing(725.5) == 5.5
    distances, bearings = distances_and_bearings(here, np.array([here.lat]), np.array([here.lon]))
    assert distances[0] == 0.0 and bearings[0] == 0.0
    assert all(len(a) == 0 for a in distances_and_bearings(here, np.empty(0), np.empty(0)))


@settings(max_examples=200, deadline=None)
@given(
    origins,
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=360, allow_nan=False),
            st.floats(min_value=1, max_value=60_000, allow_nan=False),
        ),
        min_size=1,
        max_size=20,
    ),
)
def test_many_points_agree_with_geographiclib(
    origin: LatLon, placed: list[tuple[float, float]]
) -> None:
    points = [destination(origin, a, d) for a, d in placed]
    lats = np.array([p.lat for p in points])
    lons = np.array([p.lon for p in points])
    distances, bearings = distances_and_bearings(origin, lats, lons)
    for p, distance, bearing in zip(points, distances, bearings, strict=True):
        true = geodesic(origin, p)
        assert abs(distance - true) < 1e-3
        assert 0.0 <= bearing < 360.0
        # Within a hundred-thousandth of a degree (a centimetre sideways at 60 km): the
        # projection follows the normal section, a hair from the geodesic far out.
        assert angle_between(float(bearing), reference_azimuth(origin, p)) < 1e-5
        assert angle_between(bearing_deg(origin, p), reference_azimuth(origin, p)) < 1e-9


def test_far_points_take_the_exact_solver() -> None:
    origin = LatLon(48.8584, 2.2945)
    points = [destination(origin, 45, 100), destination(origin, 200, 900_000)]
    distances, bearings = distances_and_bearings(
        origin, np.array([p.lat for p in points]), np.array([p.lon for p in points])
    )
    for p, distance, bearing in zip(points, distances, bearings, strict=True):
        assert abs(distance - geodesic(origin, p)) < 1e-6
        assert angle_between(float(bearing), reference_azimuth(origin, p)) < 1e-9


@settings(max_examples=60, deadline=None)
@given(
    origins,
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=360, allow_nan=False),
            st.floats(min_value=0, max_value=5000, allow_nan=False),
            st.floats(min_value=5, max_value=500, allow_nan=False),
        ),
        max_size=30,
    ),
    st.floats(min_value=0, max_value=4000, allow_nan=False),
)
def test_candidates_hold_every_fence_near_and_every_centre_within_reach(
    origin: LatLon, placed: list[tuple[float, float, float]], radius: float
) -> None:
    fences = {i: CircleFence(destination(origin, a, d), r) for i, (a, d, r) in enumerate(placed)}
    index = FenceIndex.from_items(fences.items(), rebuild_after=5)
    # Some edits through the overlay too.
    for key in list(fences)[::3]:
        index.remove(key)
        del fences[key]
    candidates = index.candidates(origin, radius)
    assert candidates <= set(fences)
    assert {k for k, _ in index.near(origin, radius)} <= candidates
    assert {k for k, f in fences.items() if geodesic(origin, f.center) <= radius} <= candidates


def as_pairs(keys: np.ndarray, spots: np.ndarray) -> dict[int, tuple[float, float]]:
    pairs = {int(k): (float(s[0]), float(s[1])) for k, s in zip(keys, spots, strict=True)}
    assert len(pairs) == len(keys), "a key came twice"
    return pairs


@settings(max_examples=60, deadline=None)
@given(
    origins,
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=360, allow_nan=False),
            st.floats(min_value=0, max_value=5000, allow_nan=False),
            st.floats(min_value=5, max_value=500, allow_nan=False),
        ),
        max_size=30,
    ),
    st.floats(min_value=0, max_value=4000, allow_nan=False),
)
def test_spots_near_names_the_candidates_with_their_spots(
    origin: LatLon, placed: list[tuple[float, float, float]], radius: float
) -> None:
    fences = {i: CircleFence(destination(origin, a, d), r) for i, (a, d, r) in enumerate(placed)}
    # Odd keys carry a spot of their own, 10 m north of the fence's centre.
    spots = {k: destination(f.center, 0, 10) for k, f in fences.items() if k % 2}
    index = FenceIndex.from_items(fences.items(), spots=spots, rebuild_after=5)
    expected = {k: spots.get(k, f.center) for k, f in fences.items()}
    for key in list(fences)[::3]:  # edits through the overlay: gone, moved, given a spot
        if key % 6 == 0:
            index.remove(key)
            del expected[key]
        else:
            moved = CircleFence(destination(origin, 45, 100 + key), 20)
            index.upsert(key, moved, origin)
            expected[key] = origin
    found = as_pairs(*index.spots_near(origin, radius))
    assert set(found) == index.candidates(origin, radius)
    for key, spot in found.items():
        assert spot == (expected[key].lat, expected[key].lon)


def test_spots_near_across_the_antimeridian_names_each_key_once() -> None:
    east, west = LatLon(10.0, 179.9995), LatLon(10.0, -179.9995)
    straddling = CircleFence(LatLon(10.0, 180.0), 300)  # its box is in two parts
    index = FenceIndex.from_items(
        [(1, CircleFence(east, 20)), (2, CircleFence(west, 20)), (3, straddling)]
    )
    for point in (east, west):
        found = as_pairs(*index.spots_near(point, 1000))
        assert set(found) == {1, 2, 3}
        assert found[3] == (10.0, 180.0)
    far = LatLon(10.0, 0.0)
    keys, spots = index.spots_near(far, 1000)
    assert len(keys) == 0 and spots.shape == (0, 2)
    empty = FenceIndex()
    keys, spots = empty.spots_near(far, 1000)
    assert len(keys) == 0 and spots.shape == (0, 2)
    with pytest.raises(ValueError):
        index.spots_near(LatLon(float("nan"), 0.0), 10)
