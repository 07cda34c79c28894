import math
from typing import Any

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
)
from tests.support.geo import destination

HERE = LatLon(48.8566, 2.3522)


def ring(*lonlats: tuple[object, object]) -> list[list[object]]:
    positions = [list(p) for p in lonlats]
    return [*positions, positions[0]]


def polygon(*rings: object) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


SQUARE = ring((2.35, 48.85), (2.36, 48.85), (2.36, 48.86), (2.35, 48.86))
HOLE = ring((2.352, 48.852), (2.352, 48.855), (2.355, 48.855), (2.355, 48.852))


def test_none_is_a_100_m_circle_around_the_location() -> None:
    assert parse_geofence(None, HERE) == CircleFence(HERE, 100.0)


@pytest.mark.parametrize("radius", [5, 5.0, 100, 4999.5, 5000])
def test_radius_within_limits(radius: float) -> None:
    fence = parse_geofence({"radius_m": radius}, HERE)
    assert fence == CircleFence(HERE, float(radius))
    assert fence.to_json() == {"radius_m": float(radius)}


def test_valid_polygons() -> None:
    plain = parse_geofence(polygon(SQUARE), None)
    assert isinstance(plain, PolygonFence)
    assert 0.8e6 < plain.area_m2 < 0.9e6  # 733 m x 1112 m
    with_hole = parse_geofence(polygon(SQUARE, HOLE), HERE)
    assert isinstance(with_hole, PolygonFence)
    assert with_hole.area_m2 < plain.area_m2
    assert with_hole.to_json() == polygon(SQUARE, HOLE)
    # Tuples are as good as lists; integers as good as floats.
    assert parse_geofence(
        {"type": "Polygon", "coordinates": (((2, 48), (2.01, 48), (2.01, 48.01), (2, 48)),)}, None
    )


def test_the_limits_are_inclusive_of_just_under() -> None:
    many = polygonise_circle(HERE, 1000.0, 999).to_json()
    fence = parse_geofence(many, None)
    assert isinstance(fence, PolygonFence) and fence.vertex_count == 999
    almost_25_km2 = polygonise_circle(HERE, 2815.0, 64).to_json()
    fence = parse_geofence(almost_25_km2, None)
    assert isinstance(fence, PolygonFence) and fence.area_m2 < 25e6


def too_many_vertices() -> dict[str, Any]:
    return polygonise_circle(HERE, 1000.0, 1000).to_json()


def sliver(length_m: float) -> dict[str, Any]:
    far = destination(HERE, 90.0, length_m)
    side = destination(HERE, 0.0, 10.0)
    return polygon(ring((HERE.lon, HERE.lat), (far.lon, far.lat), (side.lon, side.lat)))


MALFORMED: list[tuple[object, LatLon | None, str]] = [
    (None, None, "location"),
    ("circle", HERE, "geofence must be"),
    (100, HERE, "geofence must be"),
    (True, HERE, "geofence must be"),
    ([], HERE, "geofence must be"),
    ({}, HERE, "geofence must be"),
    ({"radius": 50}, HERE, "geofence must be"),
    ({"radius_m": 50}, None, "location"),
    ({"radius_m": True}, HERE, "number"),
    ({"radius_m": "50"}, HERE, "number"),
    ({"radius_m": None}, HERE, "number"),
    ({"radius_m": [50]}, HERE, "number"),
    ({"radius_m": 4.99}, HERE, "between"),
    ({"radius_m": 5000.01}, HERE, "between"),
    ({"radius_m": -50}, HERE, "between"),
    ({"radius_m": math.nan}, HERE, "between"),
    ({"radius_m": math.inf}, HERE, "between"),
    ({"radius_m": 10**400}, HERE, "between"),
    ({"radius_m": 50, "center": [0, 0]}, HERE, "unexpected"),
    ({"radius_m": 50}, LatLon(95.0, 0.0), "latitude"),
    ({"type": "MultiPolygon", "coordinates": [[SQUARE]]}, None, "Polygon"),
    ({"type": "polygon", "coordinates": [SQUARE]}, None, "Polygon"),
    ({"type": 1, "coordinates": [SQUARE]}, None, "Polygon"),
    ({"type": "Polygon"}, None, "coordinates"),
    ({"type": "Polygon", "coordinates": []}, None, "coordinates"),
    ({"type": "Polygon", "coordinates": "[]"}, None, "coordinates"),
    ({"type": "Polygon", "coordinates": {"0": SQUARE}}, None, "coordinates"),
    ({**polygon(SQUARE), "bbox": [2.35, 48.85, 2.36, 48.86]}, None, "unexpected"),
    ({**polygon(SQUARE), "radius_m": 5}, None, "unexpected"),
    (polygon(SQUARE[:-1]), None, "not closed"),
    (polygon(SQUARE[:3]), None, "at least 4"),
    (polygon([[2.35, 48.85], [2.36, 48.85], [2.35, 48.85]]), None, "at least 4"),
    (polygon(SQUARE, "hole"), None, "hole 1 must be an array"),
    # Extra nesting, or too little.
    (polygon([SQUARE]), None, "at least 4"),
    (polygon([SQUARE] * 4), None, "position 0 must be \\[longitude, latitude\\]"),
    ({"type": "Polygon", "coordinates": SQUARE}, None, "array of \\[longitude, latitude\\]"),
    (
        {"type": "Polygon", "coordinates": [[2.35, 48.85]]},
        None,
        "array of \\[longitude, latitude\\]",
    ),
    (polygon([[2.35], *SQUARE[1:]]), None, "longitude, latitude"),
    (polygon([[2.35, 48.85, 30.0], *SQUARE[1:]]), None, "longitude, latitude"),
    (polygon(ring((True, 48.85), (2.36, 48.85), (2.36, 48.86))), None, "longitude"),
    (polygon(ring(("2.35", 48.85), (2.36, 48.85), (2.36, 48.86))), None, "longitude"),
    (polygon(ring((2.35, None), (2.36, 48.85), (2.36, 48.86))), None, "latitude"),
    (polygon(ring((2.35, 91.0), (2.36, 48.85), (2.36, 48.86))), None, "latitude"),
    (polygon(ring((181.0, 48.0), (2.36, 48.85), (2.36, 48.86))), None, "longitude"),
    (polygon(ring((math.nan, 48.0), (2.36, 48.85), (2.36, 48.86))), None, "longitude"),
    (polygon(ring((2.35, math.inf), (2.36, 48.85), (2.36, 48.86))), None, "latitude"),
    (polygon(ring((2.35, 10**400), (2.36, 48.85), (2.36, 48.86))), None, "latitude"),
    # A bow tie crosses itself.
    (
        polygon(ring((2.35, 48.85), (2.36, 48.86), (2.36, 48.85), (2.35, 48.86))),
        None,
        "Self-intersection",
    ),
    # Collinear along geodesics (a meridian, the equator); points along any other
    # parallel are not collinear: edges are geodesics, parallels bend away from them.
    (polygon(ring((2.35, 48.85), (2.35, 48.86), (2.35, 48.87))), None, "not valid|no area"),
    (polygon(ring((2.35, 0.0), (2.36, 0.0), (2.37, 0.0))), None, "not valid|no area"),
    (polygon(ring((2.35, 48.85), (2.35, 48.85), (2.35, 48.85))), None, "not valid|no area"),
    (polygon(SQUARE, ring((2.40, 48.85), (2.41, 48.85), (2.41, 48.86))), None, "not valid"),
    (polygon(HOLE, SQUARE), None, "not valid"),
    (too_many_vertices(), None, "999 vertices"),
    (polygonise_circle(HERE, 2900.0, 64).to_json(), None, "25 km²"),
    (sliver(120_000.0), None, "too large"),
    (sliver(2_000_000.0), None, "too large"),
    (polygon(ring((0.0, 0.0), (120.0, 0.0), (-120.0, 0.0))), None, "too large|not valid"),
]


@pytest.mark.parametrize(("raw", "location", "message"), MALFORMED)
def test_malformed_geofences_are_refused_with_a_message(
    raw: object, location: LatLon | None, message: str
) -> None:
    with pytest.raises(GeofenceError, match=message):
        parse_geofence(raw, location)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["Polygon", "radius_m", "type", "coordinates"]),
    lambda children: (
        st.lists(children, max_size=6)
        | st.dictionaries(
            st.sampled_from(["type", "coordinates", "radius_m", "bbox"]) | st.text(max_size=4),
            children,
            max_size=4,
        )
    ),
    max_leaves=40,
)
numbers = st.integers(-200, 200) | st.floats() | st.floats(-1.0, 1.0).map(lambda d: 48.85 + d / 100)
near_coordinates = st.lists(
    st.lists(st.lists(numbers | json_values, min_size=0, max_size=3), max_size=7), max_size=3
)
locations = st.none() | st.builds(LatLon, st.floats(-90, 90), st.floats(-180, 180))


def parse_or_refuse(raw: object, location: LatLon | None) -> None:
    try:
        fence = parse_geofence(raw, location)
    except GeofenceError as exc:
        assert str(exc)
    else:
        assert isinstance(fence, Geofence)
        assert parse_geofence(fence.to_json(), location) == fence


@settings(max_examples=400, deadline=None)
@given(json_values, locations)
def test_any_json_is_a_fence_or_a_geofence_error(raw: object, location: LatLon | None) -> None:
    parse_or_refuse(raw, location)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["Polygon", "MultiPolygon", 7]),
    near_coordinates,
    st.booleans(),
    locations,
)
def test_polygon_shaped_json_is_a_fence_or_a_geofence_error(
    kind: object, rings: list[Any], close: bool, location: LatLon | None
) -> None:
    if close:
        rings = [[*r, r[0]] if r else r for r in rings]
    parse_or_refuse({"type": kind, "coordinates": rings}, location)


@settings(max_examples=200, deadline=None)
@given(st.one_of(json_values, st.floats(), st.integers()), locations)
def test_radius_shaped_json_is_a_fence_or_a_geofence_error(
    radius: object, location: LatLon | None
) -> None:
    parse_or_refuse({"radius_m": radius}, location)
