"""The scan rules of the contract, one pure function each, applied in the contract's order.

Each rule takes what it needs and either returns quietly or raises the `ScanRejected` whose
`code` is the verdict. The rate limit, `already_found` and `sold_out` need shared state and
are settled by the adapters, at the first and last places of the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from geo.coords import LatLon
from geo.distance import geodesic_at_most_m, geodesic_m
from geo.fences import within_fence
from hunt_engine.codes import (
    ScannedCode,
    check_code_version,
    check_step,
    check_ticket_holder,
    check_ticket_time,
    step_at,
)
from hunt_engine.errors import (
    ClockSkew,
    ClueNotActive,
    HuntNotActive,
    ImpossibleTravel,
    InvalidCode,
    LocationRequired,
    LowAccuracy,
    OutsideGeofence,
)
from hunt_engine.models import Clue, ClueKind, Fix, Hunt, PriorFind
from hunt_engine.rules import HuntRules


@dataclass(frozen=True, slots=True)
class ScanFacts:
    """Everything the hunter sent, already typed and bounded by the edge."""

    lat: float | None
    lon: float | None
    accuracy_m: float | None
    scanned_at: datetime | None


def check_code_kind(code: ScannedCode, clue: Clue) -> None:
    """Only printed clues have static codes, only screens rotating ones and only AR clues
    tickets; any other pairing was never published by us."""
    if code.kind == "rotating":
        published = clue.kind is ClueKind.DIGITAL
    elif code.kind == "ticket":
        published = clue.kind is ClueKind.AR
    else:
        published = clue.kind.printed
    if not published:
        raise InvalidCode("this code does not belong to a clue of its kind")


def check_clock(scanned_at: datetime | None, now: datetime, rules: HuntRules) -> None:
    if scanned_at is None:
        return
    skew = abs((scanned_at - now).total_seconds())
    if skew > rules.max_clock_skew_s:
        raise ClockSkew(f"device clock is {skew:.0f} s from server time", skew_s=round(skew))


def check_hunt_active(hunt: Hunt, now: datetime) -> None:
    if not hunt.is_active(now):
        raise HuntNotActive(
            f"the hunt runs from {hunt.starts_at.isoformat()} to {hunt.ends_at.isoformat()}"
        )


def check_clue_active(clue: Clue, now: datetime) -> None:
    if not clue.is_active(now):
        raise ClueNotActive()


def check_code_fresh(code: ScannedCode, now: datetime, rules: HuntRules) -> None:
    if code.kind == "rotating":
        check_step(code, step_at(now.timestamp(), rules.rotate_s))
    elif code.kind == "ticket":
        check_ticket_time(code, now.timestamp())


def require_fix(clue: Clue, facts: ScanFacts) -> Fix | None:
    """Located clues need a full fix; an online drop takes none (any sent is kept, not used)."""
    if not clue.kind.located:
        return None
    if facts.lat is None or facts.lon is None or facts.accuracy_m is None:
        raise LocationRequired("send lat, lon and accuracy_m with this scan")
    return Fix(LatLon(facts.lat, facts.lon), facts.accuracy_m)


def check_accuracy(fix: Fix, rules: HuntRules) -> None:
    if fix.accuracy_m > rules.max_accuracy_m:
        raise LowAccuracy(
            f"accuracy {fix.accuracy_m:.0f} m is worse than the {rules.max_accuracy_m:.0f} m needed"
        )


def check_geofence(clue: Clue, fix: Fix, rules: HuntRules) -> float:
    """Return the distance to the fence in metres (0 inside); refuse beyond the allowance."""
    assert clue.fence is not None, "located clues always carry a fence"
    accepted, distance = within_fence(
        clue.fence, fix.point, fix.accuracy_m, rules.fence_tolerance_m
    )
    if not accepted:
        raise OutsideGeofence(
            f"you are {distance:.0f} m from where this code is", distance_m=round(distance)
        )
    return distance


def check_travel(prior: PriorFind | None, fix: Fix, now: datetime, rules: HuntRules) -> None:
    if prior is None:
        return
    hours = max((now - prior.found_at).total_seconds(), 0.0) / 3600
    # Most scans pass on a bound: the exact geodesic (~30 µs, a tenth of a scan's own CPU)
    # is measured only when the verdict could depend on it.
    at_most = geodesic_at_most_m(prior.point, fix.point)
    if at_most <= rules.travel_floor_m or (
        hours > 0 and at_most / 1000 / hours <= rules.max_speed_kmh
    ):
        return
    distance = geodesic_m(prior.point, fix.point)
    if distance <= rules.travel_floor_m:
        return
    speed = distance / 1000 / hours if hours > 0 else float("inf")
    if speed > rules.max_speed_kmh:
        raise ImpossibleTravel(
            f"{distance / 1000:.1f} km from your previous find implies {min(speed, 1e9):.0f} km/h"
        )


@dataclass(frozen=True, slots=True)
class Admitted:
    """A scan that passed every in-memory rule; the database settles the rest."""

    fix: Fix | None
    distance_m: float | None


def admit(
    code: ScannedCode,
    hunt: Hunt,
    clue: Clue,
    facts: ScanFacts,
    prior: PriorFind | None,
    now: datetime,
    hunter_id: int | None = None,
    code_version: int = 0,
) -> Admitted:
    """Apply the in-memory rules from `invalid_code` to `impossible_travel`, in the contract
    order. `hunter_id` is the scanning hunter: a ticket is `invalid_code` for anyone else;
    `code_version` is the clue's current code version: an older printed code is
    `code_revoked`."""
    rules = hunt.rules
    check_code_kind(code, clue)
    check_ticket_holder(code, hunter_id)
    check_code_version(code, code_version)
    check_clock(facts.scanned_at, now, rules)
    check_hunt_active(hunt, now)
    check_clue_active(clue, now)
    check_code_fresh(code, now, rules)
    fix = require_fix(clue, facts)
    if fix is None:
        return Admitted(None, None)
    check_accuracy(fix, rules)
    distance = check_geofence(clue, fix, rules)
    check_travel(prior, fix, now, rules)
    return Admitted(fix, distance)
