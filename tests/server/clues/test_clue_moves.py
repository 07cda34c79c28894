"""PATCH /v1/clues/{id} with a new `location`: a polygon clue's polygon moves with it (the same
metres east and north), unless the change brings a geofence of its own."""

from __future__ import annotations

from typing import Any

import pytest
from geopy.distance import geodesic

from geo.coords import LatLon
from geo.fences import parse_geofence
from tests.support.api import Api
from tests.support.builders import BOSTON, TIMES_SQUARE, at, make_hunt, post_scan, square_polygon


def offset(point: tuple[float, float], north_m: float, east_m: float) -> tuple[float, float]:
    moved = geodesic(meters=north_m).destination(point, 0)
    moved = geodesic(meters=east_m).destination((moved.latitude, moved.longitude), 90)
    return moved.latitude, moved.longitude


def loc(point: tuple[float, float]) -> dict[str, float]:
    return {"lat": point[0], "lon": point[1]}


def vertices(fence: dict[str, Any]) -> list[tuple[float, float]]:
    return [(lat, lon) for lon, lat in fence["coordinates"][0]]


async def patch(api: Api, clue: dict[str, Any], **body: Any) -> dict[str, Any]:
    _, answer = await api.call(
        "PATCH", f"/v1/clues/{clue['id']}", 200, headers=api.organiser, json=body
    )
    return answer


async def test_a_polygon_moves_with_its_clue(api: Api) -> None:
    hunt = await make_hunt(api)
    fence = square_polygon(TIMES_SQUARE, 200)
    clue = await hunt.clue(geofence=fence)
    there = offset(TIMES_SQUARE, 300, 400)
    moved = await patch(api, clue, location=loc(there))
    assert moved["location"] == loc(there)
    assert moved["geofence"]["type"] == "Polygon"
    # Every vertex moved by the clue's own displacement: 500 m, at the same bearing.
    for before, after in zip(vertices(fence), vertices(moved["geofence"]), strict=True):
        assert geodesic(before, after).m == pytest.approx(500, abs=0.5)
        assert geodesic(there, after).m == pytest.approx(geodesic(TIMES_SQUARE, before).m, abs=0.01)
    old_area = parse_geofence(fence, None).area_m2
    assert parse_geofence(moved["geofence"], None).area_m2 == pytest.approx(old_area, rel=1e-6)
    _, history = await api.call(
        "GET", f"/v1/clues/{clue['id']}/history", 200, headers=api.organiser
    )
    assert history[-1]["changes"]["geofence"] == {"from": fence, "to": moved["geofence"]}
    # Scans follow: at the new place it is found, at the old one it is not.
    _, me = await api.hunter()
    answer = await post_scan(api, me, hunt.code(clue), 422, **at(TIMES_SQUARE, accuracy_m=5))
    assert answer["code"] == "outside_geofence"
    await post_scan(api, me, hunt.code(clue), 201, **at(there, accuracy_m=5))


async def test_a_polygon_keeps_its_shape_in_another_city(api: Api) -> None:
    hunt = await make_hunt(api)
    fence = square_polygon(TIMES_SQUARE, 300)
    spot = offset(TIMES_SQUARE, -40, 25)  # a location off the polygon's middle
    clue = await hunt.clue(at=spot, geofence=fence)
    moved = await patch(api, clue, location=loc(BOSTON))
    old, new = parse_geofence(fence, None), parse_geofence(moved["geofence"], None)
    assert new.area_m2 == pytest.approx(old.area_m2, rel=1e-5)
    assert new.distance_m(LatLon(*BOSTON)) == old.distance_m(LatLon(*spot)) == 0.0
    a, b = vertices(fence), vertices(moved["geofence"])
    for i in range(len(a) - 1):
        assert geodesic(b[i], b[i + 1]).m == pytest.approx(geodesic(a[i], a[i + 1]).m, rel=1e-5)


async def test_a_new_geofence_in_the_same_change_wins(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(geofence=square_polygon(TIMES_SQUARE, 200))
    there = offset(TIMES_SQUARE, 1000, 0)
    given = square_polygon(there, 80)
    moved = await patch(api, clue, location=loc(there), geofence=given)
    assert moved["geofence"] == given
    # `null`: the default circle around the new place, as before.
    again = offset(there, 100, 0)
    moved = await patch(api, clue, location=loc(again), geofence=None)
    assert moved["geofence"] == {"radius_m": 100}
    # A circle is drawn around the location: it stays the circle it is.
    moved = await patch(api, clue, location=loc(there))
    assert moved["geofence"] == {"radius_m": 100}


async def test_an_ar_object_moves_with_its_polygon(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(kind="ar", geofence=square_polygon(TIMES_SQUARE, 120))
    there = offset(TIMES_SQUARE, 0, 700)
    moved = await patch(api, clue, location=loc(there))
    # Still inside its (moved) fence, as an ar clue must be.
    assert parse_geofence(moved["geofence"], None).distance_m(LatLon(*there)) == 0.0
    # Only moving the location, not the fence, would have left it outside: refused.
    _, answer = await api.call(
        "PATCH",
        f"/v1/clues/{clue['id']}",
        400,
        headers=api.organiser,
        json={"location": loc(TIMES_SQUARE), "geofence": moved["geofence"]},
    )
    assert answer["code"] == "invalid_geofence"
