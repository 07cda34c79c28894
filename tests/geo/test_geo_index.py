import math
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.coords import LatLon
from geo.fences import CircleFence, Geofence, polygonise_circle
from geo.index import FenceIndex
from tests.support.geo import destination

# Neighbourhoods where boxes misbehave (antimeridian, poles) and an ordinary one.
BASES = [
    LatLon(48.8566, 2.3522),
    LatLon(-16.5, 179.995),
    LatLon(89.995, 30.0),
    LatLon(-89.99, -150.0),
]


@cache
def polygon_near(base: int, azimuth: int, distance: int, radius: int) -> Geofence:
    return polygonise_circle(destination(BASES[base], azimuth, distance), radius, 5)


def brute_force(
    fences: dict[int, Geofence], point: LatLon, radius: float
) -> list[tuple[int, float]]:
    found = [(key, d) for key, fence in fences.items() if (d := fence.distance_m(point)) <= radius]
    return sorted(found, key=lambda item: (item[1], item[0]))


@st.composite
def fences(draw: st.DrawFn, base: int) -> Geofence:
    azimuth = draw(st.integers(0, 359))
    distance = draw(st.integers(0, 3000))
    if draw(st.integers(0, 3)) == 0:
        # Few shapes, cached: a polygonised circle costs ~1 ms to build.
        return polygon_near(base, azimuth // 90 * 90, distance // 1000 * 1000, 300)
    return CircleFence(destination(BASES[base], azimuth, distance), draw(st.floats(5.0, 800.0)))


@st.composite
def scripts(draw: st.DrawFn) -> list[tuple[str, int, object]]:
    base = draw(st.integers(0, len(BASES) - 1))
    keys = st.integers(0, 25)
    steps: list[tuple[str, int, object]] = []
    for _ in range(draw(st.integers(1, 40))):
        kind = draw(st.sampled_from(["upsert", "upsert", "remove", "near"]))
        if kind == "upsert":
            steps.append((kind, draw(keys), draw(fences(base))))
        elif kind == "remove":
            steps.append((kind, draw(keys), None))
        else:
            point = destination(BASES[base], draw(st.floats(0, 360)), draw(st.floats(0, 5000)))
            steps.append((kind, 0, (point, draw(st.floats(0.0, 4000.0)))))
    return steps


@settings(max_examples=120, deadline=None)
@given(scripts(), st.integers(0, 6), st.booleans())
def test_near_agrees_with_a_brute_force_scan(
    script: list[tuple[str, int, object]], rebuild_after: int, bulk: bool
) -> None:
    model: dict[int, Geofence] = {}
    index = FenceIndex(rebuild_after=rebuild_after)
    for kind, key, arg in script:
        if kind == "upsert":
            assert isinstance(arg, Geofence)
            model[key] = arg
            index.upsert(key, arg)
        elif kind == "remove":
            model.pop(key, None)
            index.remove(key)
        else:
            assert isinstance(arg, tuple)
            point, radius = arg
            assert index.near(point, radius) == brute_force(model, point, radius)
        assert len(index) == len(model)
        assert all(index.get(k) is model[k] and k in index for k in model)
    if bulk:
        index = FenceIndex.from_items(model.items())
    for base in BASES:
        for radius in (0.0, 1000.0, 10_000.0):
            assert index.near(base, radius) == brute_force(model, base, radius)


def test_near_finds_fences_across_the_antimeridian() -> None:
    west = CircleFence(LatLon(0.0, -179.9995), 20.0)
    east = CircleFence(LatLon(0.0, 179.9995), 20.0)
    index = FenceIndex.from_items([(1, west), (2, east)])
    hits = index.near(LatLon(0.0, 180.0), 100.0)
    assert [key for key, _ in hits] in ([1, 2], [2, 1])
    assert all(math.isclose(d, 55.66 - 20.0, abs_tol=0.1) for _, d in hits)
    assert index.near(LatLon(0.0, 179.0), 100.0) == []


def test_near_at_the_pole_sees_every_longitude() -> None:
    ring = [CircleFence(LatLon(89.999, lon), 10.0) for lon in range(-180, 180, 30)]
    index = FenceIndex.from_items(enumerate(ring))
    assert len(index.near(LatLon(90.0, 0.0), 150.0)) == len(ring)


def test_results_are_nearest_first_and_exact() -> None:
    center = LatLon(51.5, -0.12)
    index = FenceIndex()
    for key, metres in enumerate([900.0, 100.0, 500.0, 3000.0]):
        index.upsert(key, CircleFence(destination(center, 45.0, metres), 50.0))
    hits = index.near(center, 1000.0)
    assert [key for key, _ in hits] == [1, 2, 0]
    assert [round(d, 3) for _, d in hits] == [50.0, 450.0, 850.0]
    # An inside point is at distance 0.
    assert index.near(destination(center, 45.0, 100.0), 0.0) == [(1, 0.0)]


def test_edits_through_the_overlay_and_after_rebuilds() -> None:
    here = LatLon(40.0, -74.0)
    index = FenceIndex.from_items(
        [(k, CircleFence(here, 10.0 + k)) for k in range(10)], rebuild_after=2
    )
    index.remove(3)
    index.remove(3)  # absent: no error
    index.upsert(4, CircleFence(destination(here, 0.0, 5000.0), 10.0))
    assert 3 not in index and index.get(3) is None
    assert sorted(k for k, _ in index.near(here, 0.0)) == [0, 1, 2, 5, 6, 7, 8, 9]
    index.upsert(11, CircleFence(here, 1.0))  # a third edit: the next query rebuilds
    assert sorted(k for k, _ in index.near(here, 0.0)) == [0, 1, 2, 5, 6, 7, 8, 9, 11]
    assert sorted(index) == [0, 1, 2, 4, 5, 6, 7, 8, 9, 11]


def test_empty_index() -> None:
    assert FenceIndex().near(LatLon(0.0, 0.0), 1e6) == []
    assert FenceIndex.from_items([]).near(LatLon(0.0, 0.0), 1e6) == []
    assert len(FenceIndex()) == 0


@pytest.mark.parametrize(
    ("point", "radius"),
    [(LatLon(0.0, 0.0), -1.0), (LatLon(0.0, 0.0), math.nan), (LatLon(math.nan, 0.0), 10.0)],
)
def test_near_refuses_nonsense(point: LatLon, radius: float) -> None:
    with pytest.raises(ValueError):
        FenceIndex().near(point, radius)
