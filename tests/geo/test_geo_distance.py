import math

import geopy.distance
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.azimuthal import AzimuthalFrame
from geo.coords import LatLon
from geo.distance import (
    SPHERE_ERROR,
    geodesic_at_most_m,
    geodesic_m,
    geodesic_with_azimuth,
    great_circle_m,
)
from tests.support.geo import destination, lon_strategy, point_strategy

SOME = settings(max_examples=60, deadline=None)
# Near distances the fast path must handle, and far ones that fall back.
distances = st.one_of(
    st.floats(0.0, 1e-3),
    st.floats(0.0, 100.0),
    st.floats(0.0, 20_000.0),
    st.floats(100_000.0, 200_000.0),
    st.floats(0.0, 19_900_000.0),
)


@SOME
@given(point_strategy(), point_strategy())
def test_geodesic_m_is_geopys_geodesic(a: LatLon, b: LatLon) -> None:
    assert math.isclose(geodesic_m(a, b), geopy.distance.geodesic(a, b).meters, abs_tol=1e-6)


@SOME
@given(point_strategy(), point_strategy())
def test_geodesic_m_is_symmetric_and_non_negative(a: LatLon, b: LatLon) -> None:
    assert geodesic_m(a, b) >= 0.0
    assert math.isclose(geodesic_m(a, b), geodesic_m(b, a), rel_tol=1e-12, abs_tol=1e-6)
    assert geodesic_m(a, a) == 0.0


@settings(max_examples=400, deadline=None)
@given(point_strategy(), st.floats(0.0, 360.0), distances)
def test_the_great_circle_is_within_half_the_kept_margin_of_the_geodesic(
    a: LatLon, azimuth: float, distance: float
) -> None:
    # Everywhere, near and far (antipodes included): the travel rule decides on the bound.
    b = destination(a, azimuth, distance)
    exact = geodesic_m(a, b)
    assert abs(great_circle_m(a, b) - exact) <= exact * SPHERE_ERROR / 2 + 1e-6


@settings(max_examples=400, deadline=None)
@given(point_strategy(), st.floats(0.0, 360.0), distances)
def test_the_bound_is_never_below_the_geodesic(a: LatLon, azimuth: float, distance: float) -> None:
    b = destination(a, azimuth, distance)
    assert geodesic_at_most_m(a, b) >= geodesic_m(a, b)


def ulps_away(x: float, steps: int) -> float:
    for _ in range(abs(steps)):
        x = math.nextafter(x, math.inf if steps > 0 else -math.inf)
    return x


@settings(max_examples=400, deadline=None)
@given(point_strategy(), st.integers(-4, 4), st.integers(-4, 4))
def test_the_bound_holds_between_points_a_few_ulps_apart(
    a: LatLon, lat_steps: int, lon_steps: int
) -> None:
    # Where the haversine rounds to 0 m and the geodesic does not (hypothesis found it through
    # the travel rule: latitude 61.2325604016519 and the float just below it).
    b = LatLon(
        max(-90.0, min(90.0, ulps_away(a.lat, lat_steps))),
        max(-180.0, min(180.0, ulps_away(a.lon, lon_steps))),
    )
    assert geodesic_at_most_m(a, b) >= geodesic_m(a, b)


def test_two_latitudes_an_ulp_apart_are_apart_by_the_bound() -> None:
    a, b = LatLon(61.2325604016519, 0.0), LatLon(61.232560401651895, 0.0)
    assert great_circle_m(a, b) == 0.0 < geodesic_m(a, b) <= geodesic_at_most_m(a, b)


def test_a_degree_of_latitude_at_the_equator() -> None:
    # 110,574 m: the textbook value, which a single-radius sphere misses by 0.5 %.
    assert round(geodesic_m(LatLon(0.0, 0.0), LatLon(1.0, 0.0))) == 110574


@SOME
@given(point_strategy(), st.floats(-180.0, 180.0), distances)
def test_azimuthal_distance_matches_the_geodesic(
    origin: LatLon, azimuth: float, distance: float
) -> None:
    p = destination(origin, azimuth, distance)
    frame = AzimuthalFrame(origin)
    # Documented: well under 1e-6 relative (sub-millimetre within 150 km).
    assert math.isclose(frame.distance_m(p), geodesic_m(origin, p), rel_tol=1e-6, abs_tol=1e-3)


@SOME
@given(point_strategy(), point_strategy())
def test_azimuthal_distance_is_symmetric(a: LatLon, b: LatLon) -> None:
    there, back = AzimuthalFrame(a).distance_m(b), AzimuthalFrame(b).distance_m(a)
    assert there >= 0.0
    assert math.isclose(there, back, rel_tol=1e-6, abs_tol=1e-3)


@SOME
@given(point_strategy(), st.floats(-180.0, 180.0), distances)
def test_projection_keeps_distance_and_azimuth_from_the_origin(
    origin: LatLon, azimuth: float, distance: float
) -> None:
    p = destination(origin, azimuth, distance)
    s, azi = geodesic_with_azimuth(origin, p)
    x, y = AzimuthalFrame(origin).xy(p)
    # The exact azimuthal equidistant position; the closed form near the origin
    # uses the normal section's azimuth, a few centimetres off at 150 km.
    expected = (s * math.sin(math.radians(azi)), s * math.cos(math.radians(azi)))
    assert math.dist((x, y), expected) <= 1e-6 * s + 1e-3


@SOME
@given(point_strategy(), st.floats(-180.0, 180.0), st.floats(0.0, 140_000.0))
def test_projection_round_trips_and_vectorises(
    origin: LatLon, azimuth: float, distance: float
) -> None:
    frame = AzimuthalFrame(origin)
    p = destination(origin, azimuth, distance)
    x, y = frame.xy(p)
    assert geodesic_m(frame.latlon(x, y), p) <= 1e-6 * distance + 1e-3
    xs, ys = frame.xy_many(np.array([p.lat]), np.array([p.lon]))
    assert math.isclose(xs[0], x, abs_tol=1e-6) and math.isclose(ys[0], y, abs_tol=1e-6)


@settings(max_examples=30, deadline=None)
@given(lon_strategy())
def test_projection_at_the_pole(lon: float) -> None:
    pole = LatLon(90.0, lon)
    p = LatLon(89.99, lon + 90.0 if lon <= 90.0 else lon - 270.0)
    assert math.isclose(AzimuthalFrame(pole).distance_m(p), geodesic_m(pole, p), rel_tol=1e-9)
