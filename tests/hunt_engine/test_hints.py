"""Hints: coarsening, who is hinted and revealed, order and limit, and their properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.bearing import bearing_deg
from geo.coords import LatLon
from geo.distance import destination, geodesic_m
from geo.fences import CircleFence, PolygonFence
from geo.index import FenceIndex
from hunt_engine.hints import (
    HintRequest,
    coarse_bearing_deg,
    coarse_distance_m,
    location_gap_m,
    nearest_hints,
)
from hunt_engine.models import ArAnchor, Clue, ClueKind
from hunt_engine.rules import HuntRules

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ORIGIN = LatLon(48.8584, 2.2945)  # the Eiffel Tower
RULES = HuntRules()  # hint 1500 m, reveal 150 m, max accuracy 100 m


def clue(
    clue_id: int,
    where: LatLon,
    kind: ClueKind = ClueKind.BILLBOARD,
    collectible_id: int = 1,
    **extra: object,
) -> Clue:
    located = kind is not ClueKind.SOCIAL
    return Clue(
        id=clue_id,
        hunt_id=1,
        collectible_id=collectible_id,
        kind=kind,
        location=where if located else None,
        fence=CircleFence(where, 30) if located else None,
        active=True,
        active_from=extra.get("active_from"),  # type: ignore[arg-type]
        active_until=extra.get("active_until"),  # type: ignore[arg-type]
        ar=ArAnchor("https://img.example/a.glb") if kind is ClueKind.AR else None,
    )


def ask(
    point: LatLon = ORIGIN,
    accuracy_m: float = 10.0,
    found: frozenset[int] = frozenset(),
    limit: int = 1000,
) -> HintRequest:
    return HintRequest(point, accuracy_m, NOW, found, limit)


# --- coarsening -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metres", "coarse"),
    [(0, 0), (12.49, 0), (12.5, 25), (37.4, 25), (1499, 1500), (1510, 1500), (1512.5, 1525)],
)
def test_distance_examples(metres: float, coarse: int) -> None:
    assert coarse_distance_m(metres) == coarse


@pytest.mark.parametrize(
    ("degrees", "coarse"),
    [(0, 0), (4.99, 0), (5, 10), (89.9, 90), (94.9, 90), (354.9, 350), (355, 0), (359.99, 0)],
)
def test_bearing_examples(degrees: float, coarse: int) -> None:
    assert coarse_bearing_deg(degrees) == coarse


@given(st.floats(min_value=0, max_value=100_000, allow_nan=False))
def test_coarse_distance_is_within_half_a_step(metres: float) -> None:
    coarse = coarse_distance_m(metres)
    assert coarse % 25 == 0
    assert abs(coarse - metres) <= 12.5 + 1e-9


@given(st.floats(min_value=0, max_value=360, exclude_max=True, allow_nan=False))
def test_coarse_bearing_is_within_half_a_step(degrees: float) -> None:
    coarse = coarse_bearing_deg(degrees)
    assert coarse % 10 == 0 and 0 <= coarse < 360
    off = abs(coarse - degrees) % 360
    assert min(off, 360 - off) <= 5 + 1e-9


# --- which clues ------------------------------------------------------------------------------


def test_a_clue_due_east_reads_ninety() -> None:
    compass = {
        azimuth: clue(i, destination(ORIGIN, azimuth, 800))
        for i, azimuth in enumerate((0, 90, 180, 270, 357), start=1)
    }
    hints, _ = nearest_hints(ask(), list(compass.values()), RULES)
    read = {h.clue.id: (h.coarse_bearing_deg, h.coarse_distance_m) for h in hints}
    assert read == {1: (0, 800), 2: (90, 800), 3: (180, 800), 4: (270, 800), 5: (0, 800)}


def test_kinds_windows_and_radius() -> None:
    later, earlier = NOW + timedelta(hours=1), NOW - timedelta(hours=1)
    clues = [
        clue(1, destination(ORIGIN, 10, 100)),
        clue(2, destination(ORIGIN, 20, 1000), ClueKind.DIGITAL),
        clue(3, destination(ORIGIN, 30, 140), ClueKind.AR),
        clue(4, ORIGIN, ClueKind.SOCIAL),
        clue(5, destination(ORIGIN, 40, 1500.5)),
        clue(6, destination(ORIGIN, 50, 300), active_from=later),
        clue(7, destination(ORIGIN, 60, 300), active_until=earlier),
        clue(8, destination(ORIGIN, 70, 300), active_from=earlier, active_until=later),
    ]
    hints, truncated = nearest_hints(ask(), clues, RULES)
    assert [h.clue.id for h in hints] == [1, 3, 8, 2] and not truncated
    assert {h.clue.id for h in hints if h.revealed} == {1, 3}
    vague, _ = nearest_hints(ask(accuracy_m=101), clues, RULES)
    assert [h.clue.id for h in vague] == [1, 3, 8, 2]
    assert not any(h.revealed for h in vague)


def test_radius_borders_are_decided_on_the_true_distance() -> None:
    clues = [
        clue(1, destination(ORIGIN, 33, 1500 - 0.004)),
        clue(3, destination(ORIGIN, 33, 1500 + 0.004)),
        clue(4, destination(ORIGIN, 200, 150 - 0.004)),
        clue(5, destination(ORIGIN, 200, 150 + 0.004)),
    ]
    hints, _ = nearest_hints(ask(), clues, RULES)
    assert {h.clue.id for h in hints} == {1, 4, 5}
    assert {h.clue.id for h in hints if h.revealed} == {4}


def test_found_marks_and_order() -> None:
    clues = [
        clue(9, destination(ORIGIN, 0, 510), collectible_id=1),
        clue(4, destination(ORIGIN, 90, 490), collectible_id=2),
        clue(6, destination(ORIGIN, 180, 200), collectible_id=1),
    ]
    hints, _ = nearest_hints(ask(found=frozenset({1})), clues, RULES)
    # 510 m and 490 m both read 500 m: then by id, which tells nothing of which is nearer.
    assert [(h.clue.id, h.coarse_distance_m) for h in hints] == [(6, 200), (4, 500), (9, 500)]
    assert [h.found for h in hints] == [True, False, True]


def test_limit_keeps_the_nearest() -> None:
    clues = [clue(i, destination(ORIGIN, 0, 100 * i)) for i in range(1, 9)]
    hints, truncated = nearest_hints(ask(limit=3), clues[::-1], RULES)
    assert [h.clue.id for h in hints] == [1, 2, 3] and truncated
    hints, truncated = nearest_hints(ask(limit=8), clues, RULES)
    assert len(hints) == 8 and not truncated
    assert nearest_hints(ask(), [], RULES) == ([], False)


def test_location_gap() -> None:
    assert location_gap_m(clue(1, ORIGIN)) == 0.0
    assert location_gap_m(clue(1, ORIGIN, ClueKind.SOCIAL)) == 0.0
    middle = destination(ORIGIN, 270, 800)
    square = PolygonFence([[destination(middle, a, 70) for a in (45, 135, 225, 315, 45)]])
    off = Clue(1, 1, 1, ClueKind.BILLBOARD, ORIGIN, square, True, None, None)
    assert 745 < location_gap_m(off) < 755  # 800 m less half the square's width
    on = Clue(1, 1, 1, ClueKind.BILLBOARD, middle, square, True, None, None)
    assert location_gap_m(on) == 0.0


# --- properties -------------------------------------------------------------------------------

spots = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=360, allow_nan=False),
        st.floats(min_value=0, max_value=3000, allow_nan=False),
        st.sampled_from([ClueKind.BILLBOARD, ClueKind.DIGITAL, ClueKind.AR, ClueKind.SOCIAL]),
    ),
    max_size=40,
)
origins = st.builds(
    LatLon,
    st.floats(min_value=-80, max_value=80, allow_nan=False),
    st.floats(min_value=-180, max_value=180, allow_nan=False),
)


@settings(max_examples=150, deadline=None)
@given(
    origins, spots, st.floats(min_value=1, max_value=3000), st.floats(min_value=0.5, max_value=1)
)
def test_hints_never_exceed_the_radius_and_miss_nothing_inside(
    origin: LatLon,
    placed: list[tuple[float, float, ClueKind]],
    hint_radius: float,
    reveal_share: float,
) -> None:
    rules = HuntRules(hint_radius_m=hint_radius, reveal_radius_m=hint_radius * reveal_share)
    clues = [
        clue(i, destination(origin, azimuth, metres), kind)
        for i, (azimuth, metres, kind) in enumerate(placed, start=1)
    ]
    hints, truncated = nearest_hints(ask(origin), clues, rules)
    assert not truncated
    true = {
        c.id: geodesic_m(origin, c.location)
        for c in clues
        if c.location is not None and c.kind is not ClueKind.SOCIAL
    }
    assert {h.clue.id for h in hints} == {i for i, d in true.items() if d <= hint_radius}
    for hint in hints:
        location = hint.clue.location
        assert location is not None
        assert true[hint.clue.id] <= rules.hint_radius_m
        assert hint.coarse_distance_m == coarse_distance_m(hint.distance_m)
        assert hint.coarse_bearing_deg == coarse_bearing_deg(hint.bearing_deg)
        assert abs(hint.coarse_distance_m - true[hint.clue.id]) <= 12.5 + 1e-6
        assert hint.revealed == (true[hint.clue.id] <= rules.reveal_radius_m)
        if true[hint.clue.id] > 1.0:
            off = abs(hint.coarse_bearing_deg - bearing_deg(origin, location)) % 360
            assert min(off, 360 - off) <= 5 + 1e-6


@settings(max_examples=60, deadline=None)
@given(origins, spots, st.floats(min_value=1, max_value=3000))
def test_index_candidates_hold_every_hinted_clue(
    origin: LatLon, placed: list[tuple[float, float, ClueKind]], radius: float
) -> None:
    """What the server does: candidates from the fence index, then the hints among them."""
    clues = {
        i: clue(i, destination(origin, azimuth, metres), kind)
        for i, (azimuth, metres, kind) in enumerate(placed, start=1)
    }
    index = FenceIndex.from_items((i, c.fence) for i, c in clues.items() if c.fence is not None)
    rules = HuntRules(hint_radius_m=radius, reveal_radius_m=min(radius, 150))
    everything, _ = nearest_hints(ask(origin), list(clues.values()), rules)
    found = [clues[k] for k in index.candidates(origin, radius)]
    from_index, _ = nearest_hints(ask(origin), found, rules)
    assert from_index == everything
