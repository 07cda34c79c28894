"""The pure scan rules: each verdict alone, and the contract's precedence when several apply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geo.coords import LatLon
from geo.distance import destination, geodesic_m
from geo.fences import CircleFence
from hunt_engine.codes import ScannedCode, step_at
from hunt_engine.errors import VERDICT_ORDER, ImpossibleTravel, InvalidCode, ScanRejected
from hunt_engine.models import Clue, ClueKind, Fix, Hunt, PriorFind
from hunt_engine.rules import HuntRules
from hunt_engine.scan_rules import ScanFacts, admit, check_travel

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SITE = LatLon(51.5101, -0.1340)  # Piccadilly Circus
RULES = HuntRules()
ORDER = [cls.code for cls in VERDICT_ORDER]

# Each flag breaks exactly one rule; the scenario is otherwise a valid digital-clue scan.
FLAGS = (
    "clock_skew",
    "hunt_not_active",
    "clue_not_active",
    "code_expired",
    "location_required",
    "low_accuracy",
    "outside_geofence",
    "impossible_travel",
)


def scenario(broken: frozenset[str]) -> tuple[ScannedCode, Hunt, Clue, ScanFacts, PriorFind | None]:
    hunt_start = NOW + timedelta(days=1) if "hunt_not_active" in broken else NOW - timedelta(days=1)
    hunt = Hunt(1, "h", hunt_start, hunt_start + timedelta(days=10), RULES)
    clue = Clue(
        id=7,
        hunt_id=1,
        collectible_id=3,
        kind=ClueKind.DIGITAL,
        location=SITE,
        fence=CircleFence(SITE, 100),
        active="clue_not_active" not in broken,
        active_from=None,
        active_until=None,
    )
    step = step_at(NOW.timestamp(), RULES.rotate_s) - (5 if "code_expired" in broken else 0)
    code = ScannedCode("rotating", 7, step, "1")
    where = destination(SITE, 90, 3000) if "outside_geofence" in broken else SITE
    accuracy = 500.0 if "low_accuracy" in broken else 10.0
    skewed = NOW - timedelta(hours=1) if "clock_skew" in broken else None
    if "location_required" in broken:
        facts = ScanFacts(None, None, None, skewed)
    else:
        facts = ScanFacts(where.lat, where.lon, accuracy, skewed)
    prior = None
    if "impossible_travel" in broken:
        prior = PriorFind(destination(SITE, 0, 200_000), NOW - timedelta(minutes=1))
    return code, hunt, clue, facts, prior


def test_a_clean_scan_is_admitted() -> None:
    admitted = admit(*scenario(frozenset()), NOW)
    assert admitted.fix is not None and admitted.distance_m == 0.0


@pytest.mark.parametrize("flag", FLAGS)
def test_each_rule_alone_gives_its_verdict(flag: str) -> None:
    with pytest.raises(ScanRejected) as caught:
        admit(*scenario(frozenset({flag})), NOW)
    assert caught.value.code == flag


@settings(max_examples=200, deadline=None)
@given(st.sets(st.sampled_from(FLAGS), min_size=1))
def test_several_broken_rules_answer_the_first_in_contract_order(broken: set[str]) -> None:
    with pytest.raises(ScanRejected) as caught:
        admit(*scenario(frozenset(broken)), NOW)
    expected = min(broken, key=ORDER.index)
    assert caught.value.code == expected


def test_a_static_code_of_a_screen_is_invalid() -> None:
    code, hunt, clue, facts, prior = scenario(frozenset())
    with pytest.raises(InvalidCode):
        admit(ScannedCode("static", 7, None, "1"), hunt, clue, facts, prior, NOW)


@settings(max_examples=200, deadline=None)
@given(
    distance_m=st.floats(0, 3_000_000),
    minutes=st.floats(0, 24 * 60),
    bearing=st.floats(0, 360),
)
def test_travel_is_refused_only_when_both_too_far_and_too_fast(
    distance_m: float, minutes: float, bearing: float
) -> None:
    here = destination(SITE, bearing, distance_m)
    prior = PriorFind(SITE, NOW - timedelta(minutes=minutes))
    fix = Fix(here, 10.0)
    hours = minutes / 60
    # Leave a sliver around both thresholds to the implementation's rounding.
    too_far = distance_m > RULES.travel_floor_m * 1.001
    too_fast = hours == 0 or distance_m / 1000 / hours > RULES.max_speed_kmh * 1.001
    slow_enough = hours > 0 and distance_m / 1000 / hours < RULES.max_speed_kmh * 0.999
    try:
        check_travel(prior, fix, NOW, RULES)
        refused = False
    except ImpossibleTravel:
        refused = True
    if too_far and too_fast:
        assert refused
    if distance_m < RULES.travel_floor_m * 0.999 or slow_enough:
        assert not refused


def exact_travel_verdict(prior: PriorFind, fix: Fix, now: datetime, rules: HuntRules) -> bool:
    """The rule as written before the quick bound: refused exactly when this is True."""
    distance = geodesic_m(prior.point, fix.point)
    if distance <= rules.travel_floor_m:
        return False
    hours = max((now - prior.found_at).total_seconds(), 0.0) / 3600
    return hours == 0 or distance / 1000 / hours > rules.max_speed_kmh


@settings(max_examples=400, deadline=None)
@given(
    start=st.builds(LatLon, st.floats(-90, 90), st.floats(-180, 180, exclude_max=True)),
    distance_m=st.one_of(st.floats(0, 5_000), st.floats(0, 20_000_000)),
    seconds=st.one_of(st.floats(0, 60), st.floats(0, 7 * 24 * 3600)),
    bearing=st.floats(0, 360),
    floor_m=st.floats(0, 10_000),
    max_kmh=st.floats(1, 5_000),
)
# Found by hypothesis: an ulp apart in latitude, the two points convert to the same radians and
# the great circle says 0 m; the geodesic 0.35 nanometres, which at once is impossible travel.
@example(
    start=LatLon(61.2325604016519, 0.0),
    distance_m=0.0,
    seconds=0.0,
    bearing=0.0,
    floor_m=0.0,
    max_kmh=1.0,
)
def test_the_quick_bound_never_changes_a_travel_verdict(
    start: LatLon,
    distance_m: float,
    seconds: float,
    bearing: float,
    floor_m: float,
    max_kmh: float,
) -> None:
    rules = HuntRules(travel_floor_m=floor_m, max_speed_kmh=max_kmh)
    prior = PriorFind(start, NOW - timedelta(seconds=seconds))
    fix = Fix(destination(start, bearing, distance_m), 10.0)
    try:
        check_travel(prior, fix, NOW, rules)
        refused = False
    except ImpossibleTravel:
        refused = True
    assert refused == exact_travel_verdict(prior, fix, NOW, rules)
