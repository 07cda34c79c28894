import math

import pytest

from geo.coords import LatLon, checked_from_xy, from_xy, to_xy, wrap_lon


def test_checked_accepts_the_whole_range_and_returns_floats() -> None:
    for lat, lon in [(90, 180), (-90, -180), (0, 0), (48.8566, 2.3522)]:
        p = LatLon.checked(lat, lon)
        assert p == LatLon(lat, lon)
        assert type(p.lat) is float and type(p.lon) is float


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (math.nan, 0.0),
        (0.0, math.nan),
        (math.inf, 0.0),
        (0.0, -math.inf),
        (90.0001, 0.0),
        (-90.5, 0.0),
        (0.0, 180.0001),
        (0.0, -181),
        (True, 0.0),
        (0.0, False),
        ("1.0", 0.0),
        (None, 0.0),
        (10**400, 0.0),
        ([1.0], 0.0),
    ],
)
def test_checked_rejects_with_value_error(lat: object, lon: object) -> None:
    with pytest.raises(ValueError, match="latitude|longitude"):
        LatLon.checked(lat, lon)


def test_xy_order_is_lon_then_lat() -> None:
    p = LatLon(lat=10.0, lon=20.0)
    assert to_xy(p) == (20.0, 10.0)
    assert from_xy(*to_xy(p)) == p
    assert checked_from_xy(20, 10) == p


def test_checked_from_xy_names_the_bad_coordinate() -> None:
    with pytest.raises(ValueError, match="latitude"):
        checked_from_xy(20.0, 100.0)


def test_wrap_lon() -> None:
    assert wrap_lon(190.0) == -170.0
    assert wrap_lon(-190.0) == 170.0
    assert wrap_lon(180.0) == -180.0
    assert wrap_lon(12.5) == 12.5
