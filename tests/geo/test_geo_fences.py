import math
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.coords import LatLon
from geo.fences import (
    CircleFence,
    Geofence,
    GeofenceError,
    PolygonFence,
    parse_geofence,
    polygonise_circle,
    within_fence,
)
from tests.support.geo import (
    band_m,
    destination,
    distance_to_edges,
    geodesic,
    lat_strategy,
    lon_strategy,
    point_strategy,
)

SOME = settings(max_examples=80, deadline=None)
FEW = settings(max_examples=25, deadline=None)

radii = st.floats(5.0, 5000.0)
azimuths = st.floats(-180.0, 180.0)
slacks = st.floats(0.0, 200.0)


def check_verdict(fence: Geofence, p: LatLon, signed_m: float, accuracy: float, tol: float) -> None:
    """Distance within the documented accuracy; verdict right outside that band.

    signed_m is the true distance to the edge, negative inside.
    """
    accepted, distance = within_fence(fence, p, accuracy, tol)
    true_m = max(signed_m, 0.0)
    assert distance >= 0.0
    assert abs(distance - true_m) <= band_m(true_m)
    slack = min(accuracy, tol)
    if signed_m < slack - band_m(slack):
        assert accepted
    elif signed_m > slack + band_m(slack):
        assert not accepted


@SOME
@given(point_strategy(), radii, azimuths, st.floats(-1.0, 30_000.0), slacks, slacks)
def test_circle_accepts_inside_and_within_slack_refuses_beyond(
    center: LatLon, radius: float, azimuth: float, offset: float, accuracy: float, tol: float
) -> None:
    # offset is metres beyond the edge along a geodesic ray; negative = inside.
    along = max(radius + offset * (radius if offset < 0 else 1.0), 0.0)
    p = destination(center, azimuth, along)
    check_verdict(CircleFence(center, radius), p, along - radius, accuracy, tol)


@cache
def regular_polygon(center: LatLon, radius: float, vertices: int) -> PolygonFence:
    return polygonise_circle(center, radius, vertices)


@SOME
@given(
    point_strategy(),
    st.floats(5.0, 2500.0),
    st.integers(3, 12),
    st.data(),
    st.floats(-1.0, 20_000.0),
    slacks,
    slacks,
)
def test_polygon_accepts_inside_and_within_slack_refuses_beyond(
    center: LatLon,
    radius: float,
    vertices: int,
    data: st.DataObject,
    offset: float,
    accuracy: float,
    tol: float,
) -> None:
    fence = regular_polygon(center, radius, vertices)
    # Beyond a vertex, on the ray from the centre through it, the vertex is the
    # nearest point of a regular polygon: the true distance is known exactly.
    k = data.draw(st.integers(0, vertices - 1))
    azimuth = -360.0 * k / vertices
    along = max(radius + offset * (radius if offset < 0 else 1.0), 0.0)
    p = destination(center, azimuth, along)
    check_verdict(fence, p, along - radius, accuracy, tol)


@FEW
@given(point_strategy(), st.floats(20.0, 3000.0), st.integers(3, 8), point_strategy(), st.data())
def test_polygon_distance_matches_the_ellipsoid_near_and_far(
    center: LatLon, radius: float, vertices: int, somewhere: LatLon, data: st.DataObject
) -> None:
    fence = regular_polygon(center, radius, vertices)
    near = destination(center, data.draw(azimuths), data.draw(st.floats(0.0, radius + 20_000.0)))
    for p in (near, somewhere):
        distance = fence.distance_m(p)
        if distance > 0.0:
            assert abs(distance - distance_to_edges(p, fence.rings)) <= band_m(distance)


@FEW
@given(point_strategy(), radii, point_strategy())
def test_circle_distance_far_away_is_exact(center: LatLon, radius: float, p: LatLon) -> None:
    expected = max(geodesic(center, p) - radius, 0.0)
    assert math.isclose(CircleFence(center, radius).distance_m(p), expected, abs_tol=1e-3)


@SOME
@given(point_strategy(), st.floats(50.0, 5000.0), azimuths, st.floats(0.0, 10_000.0))
def test_circle_and_polygonised_circle_agree_outside_the_edge_band(
    center: LatLon, radius: float, azimuth: float, along: float
) -> None:
    vertices = 64
    circle = CircleFence(center, radius)
    polygon = regular_polygon(center, radius, vertices)
    p = destination(center, azimuth, along)
    # The polygon is inscribed: its edges cut in by at most the sagitta.
    sagitta = radius * (1.0 - math.cos(math.pi / vertices))
    from_circle, from_polygon = circle.distance_m(p), polygon.distance_m(p)
    assert from_circle - band_m(from_circle) <= from_polygon
    assert from_polygon <= from_circle + sagitta + band_m(from_circle + sagitta)
    if along < radius - sagitta - band_m(radius):
        assert polygon.contains(p)
    if polygon.contains(p):
        assert from_circle <= band_m(0.0)


@FEW
@given(point_strategy(), st.floats(5.0, 3000.0), azimuths, st.booleans())
def test_distance_grows_along_a_ray_out_of_the_fence(
    center: LatLon, radius: float, azimuth: float, polygon: bool
) -> None:
    fence: Geofence = regular_polygon(center, radius, 6) if polygon else CircleFence(center, radius)
    # Crosses the switch from the closed form to the exact solver at 150 km.
    steps = [0.0, 10.0, 1e3, 1e4, 149_000.0, 149_990.0, 150_010.0, 151_000.0, 1e6, 1.5e7]
    distances = [fence.distance_m(destination(center, azimuth, radius + s)) for s in steps]
    assert all(b >= a - band_m(a) for a, b in zip(distances, distances[1:], strict=False))
    assert distances[-1] > 1.4e7


@FEW
@given(point_strategy(), st.floats(5.0, 3000.0), point_strategy())
def test_contains_agrees_with_distance(center: LatLon, radius: float, p: LatLon) -> None:
    for fence in (CircleFence(center, radius), regular_polygon(center, radius, 5)):
        assert fence.contains(fence.anchor)
        assert fence.contains(p) == (fence.distance_m(p) == 0.0)


def test_within_fence_inside_is_accepted_even_without_slack() -> None:
    fence = CircleFence(LatLon(48.0, 2.0), 50.0)
    assert within_fence(fence, LatLon(48.0, 2.0), 0.0, 0.0) == (True, 0.0)
    assert within_fence(fence, LatLon(48.0, 2.0), math.nan, 30.0) == (True, 0.0)
    outside = destination(LatLon(48.0, 2.0), 0.0, 60.0)
    accepted, distance = within_fence(fence, outside, math.nan, 30.0)
    assert not accepted and math.isclose(distance, 10.0, abs_tol=1e-3)
    assert within_fence(fence, outside, 15.0, 30.0)[0]
    assert not within_fence(fence, outside, 30.0, 5.0)[0]


def test_polygon_with_a_hole() -> None:
    center = LatLon(35.0, 139.0)
    shell = polygonise_circle(center, 1000.0, 8).rings[0]
    hole = polygonise_circle(center, 300.0, 4).rings[0][::-1]
    fence = PolygonFence([shell, hole])
    assert not fence.contains(center)
    assert math.isclose(fence.distance_m(center), distance_to_edges(center, [hole]), abs_tol=0.01)
    assert fence.contains(destination(center, 0.0, 500.0))
    assert fence.vertex_count == 12
    assert fence.contains(fence.anchor)


def test_polygon_across_the_antimeridian() -> None:
    square = {
        "type": "Polygon",
        "coordinates": [
            [[179.99, -0.01], [-179.99, -0.01], [-179.99, 0.01], [179.99, 0.01], [179.99, -0.01]]
        ],
    }
    fence = parse_geofence(square, None)
    assert isinstance(fence, PolygonFence)
    for lon in (180.0, -180.0, 179.995, -179.995):
        assert fence.contains(LatLon(0.0, lon))
    minlon, _, maxlon, _ = fence.bounds
    assert minlon > maxlon
    east = LatLon(0.0, -179.98)
    assert math.isclose(fence.distance_m(east), geodesic(east, LatLon(0.0, -179.99)), rel_tol=1e-4)
    assert fence.lonlat_geometry.bounds[2] - fence.lonlat_geometry.bounds[0] < 0.03
    assert 4.9e6 < fence.area_m2 < 5e6  # 2.23 km x 2.21 km


@pytest.mark.parametrize("pole_lat", [90.0, -90.0])
def test_polygon_around_a_pole(pole_lat: float) -> None:
    pole = LatLon(pole_lat, 0.0)
    fence = polygonise_circle(pole, 2000.0, 64)
    assert fence.contains(pole)
    assert fence.contains(LatLon(pole_lat, 123.0))
    assert fence.contains(destination(pole, 77.0, 1500.0))
    assert fence.bounds[0] == -180.0 and fence.bounds[2] == 180.0
    p = destination(pole, 33.0, 5000.0)
    assert abs(fence.distance_m(p) - 3000.0) <= 2000.0 * (1 - math.cos(math.pi / 64)) + 0.5
    assert parse_geofence(fence.to_json(), None) == fence


@FEW
@given(lat_strategy(), lon_strategy(), st.floats(5.0, 2800.0))
def test_to_json_round_trips(lat: float, lon: float, radius: float) -> None:
    location = LatLon(lat, lon)
    circle = CircleFence(location, radius)
    assert circle.to_json() == {"radius_m": radius}
    assert parse_geofence(circle.to_json(), location) == circle
    polygon = regular_polygon(location, radius, 7)
    again = parse_geofence(polygon.to_json(), None)
    assert again == polygon and hash(again) == hash(polygon)
    assert again.to_json() == polygon.to_json()


def test_lonlat_geometry_is_in_lon_lat_order() -> None:
    center = LatLon(48.8566, 2.3522)
    for fence in (CircleFence(center, 100.0), polygonise_circle(center, 100.0, 16)):
        minx, miny, maxx, maxy = fence.lonlat_geometry.bounds
        assert 2.35 < minx < maxx < 2.36 and 48.85 < miny < maxy < 48.86
        box = fence.bounds
        assert box[0] <= minx and box[1] <= miny and maxx <= box[2] and maxy <= box[3]


def test_polygonise_circle_puts_vertices_on_the_circle() -> None:
    center = LatLon(-33.86, 151.21)
    fence = polygonise_circle(center, 750.0, 10)
    assert len(fence.rings[0]) == 11
    assert all(math.isclose(geodesic(center, v), 750.0, abs_tol=1e-6) for v in fence.rings[0])
    with pytest.raises(GeofenceError):
        polygonise_circle(center, 750.0, 2)


@pytest.mark.parametrize(
    ("center", "radius"),
    [
        (LatLon(91.0, 0.0), 10.0),
        (LatLon(math.nan, 0.0), 10.0),
        (LatLon(0.0, 0.0), 0.0),
        (LatLon(0.0, 0.0), -1.0),
        (LatLon(0.0, 0.0), math.inf),
        (LatLon(0.0, 0.0), math.nan),
    ],
)
def test_circle_constructor_refuses_nonsense(center: LatLon, radius: float) -> None:
    with pytest.raises(GeofenceError):
        CircleFence(center, radius)


def test_equality_and_hashing() -> None:
    a = CircleFence(LatLon(1.0, 2.0), 10.0)
    assert a == CircleFence(LatLon(1.0, 2.0), 10) and hash(a) == hash(CircleFence(LatLon(1, 2), 10))
    assert a != CircleFence(LatLon(1.0, 2.0), 11.0)
    assert a != regular_polygon(LatLon(1.0, 2.0), 10.0, 5)
    assert "CircleFence" in repr(a) and "PolygonFence" in repr(regular_polygon(a.center, 10.0, 5))
