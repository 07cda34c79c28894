"""Hints for the companion app's camera view: which clues are near, roughly how far and which
way, and, close enough, exactly where.

A hint measures to the clue's `location` (the spot the camera view points at and where an AR
object stands), not to its geofence. A clue is hinted when that true geodesic distance is at
most the hunt's `hint_radius_m`, and revealed (exact location, AR anchor, ticket) when it is at
most `reveal_radius_m` and the hunter's fix is as accurate as a scan would need.

What the hunter sees is coarsened so that a hint guides without giving the spot away: the
distance to the nearest DISTANCE_STEP_M, the bearing to the nearest BEARING_STEP_DEG. The
coarse distance may therefore read up to half a step beyond the hint radius (1510 m for a clue
1499 m away with a radius of 1500 m); which clues are hinted is decided on the true distance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from operator import attrgetter
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from geo.bearing import distances_and_bearings
from geo.circle_fence import CircleFence
from geo.coords import LatLon
from geo.distance import geodesic_m
from geo.local_frame import FloatArray
from hunt_engine.models import Clue, ClueKind
from hunt_engine.rules import HuntRules

# A tuple: membership is an identity test, where a set would call Enum.__hash__ (Python code).
HINTED_KINDS = (ClueKind.BILLBOARD, ClueKind.DIGITAL, ClueKind.AR)
DISTANCE_STEP_M = 25
BEARING_STEP_DEG = 10
# The fast projection is exact to a millimetre; a clue this close to a radius is measured again
# with the exact solver, so that no clue lands on the wrong side of it.
_BORDER_M = 0.01
_LOCATION = attrgetter("location")


def coarse_distance_m(distance_m: float) -> int:
    """Metres to the nearest DISTANCE_STEP_M (halves up): off by at most half a step."""
    return int(math.floor(distance_m / DISTANCE_STEP_M + 0.5)) * DISTANCE_STEP_M


def coarse_bearing_deg(bearing_deg: float) -> int:
    """Degrees to the nearest BEARING_STEP_DEG (halves up), in [0, 360): 355 and up read 0."""
    return int(math.floor(bearing_deg / BEARING_STEP_DEG + 0.5)) * BEARING_STEP_DEG % 360


def location_gap_m(clue: Clue) -> float:
    """How far the clue's location lies outside its own geofence (0 inside, as usual).

    A fence index finds fences near a point; a hint measures to the location. Searching
    `hint_radius_m` plus the largest gap of a hunt's clues finds every location within the
    hint radius (triangle inequality).
    """
    fence, location = clue.fence, clue.location
    if fence is None or location is None:
        return 0.0
    if isinstance(fence, CircleFence) and fence.center == location:
        return 0.0
    return fence.distance_m(location)


class Hint(NamedTuple):
    """One clue as the hunter is told of it (a tuple: hundreds are made per request)."""

    clue: Clue
    distance_m: float  # true geodesic metres to the clue's location
    bearing_deg: float  # true initial azimuth, [0, 360)
    coarse_distance_m: int
    coarse_bearing_deg: int
    found: bool  # the hunter holds this clue's collectible
    revealed: bool


@dataclass(frozen=True, slots=True)
class HintRequest:
    """Where the hunter is, how well that is known, and what they hold."""

    point: LatLon
    accuracy_m: float
    now: datetime
    found_collectibles: Collection[int]
    limit: int


def nearest_hints(
    request: HintRequest, candidates: Iterable[Clue], rules: HuntRules
) -> tuple[list[Hint], bool]:
    """`hints_at_spots` for clues at hand, each measured to its location."""
    located = {c.id: c for c in candidates if c.location is not None}
    keys = np.fromiter(located, dtype=np.int64, count=len(located))
    flat = chain.from_iterable(map(_LOCATION, located.values()))
    spots = np.fromiter(flat, dtype=np.float64, count=2 * len(located)).reshape(-1, 2)
    return hints_at_spots(request, keys, spots, located.get, rules)


def hints_at_spots(
    request: HintRequest,
    keys: NDArray[np.int64],
    spots: FloatArray,
    clue_of: Callable[[int], Clue | None],
    rules: HuntRules,
) -> tuple[list[Hint], bool]:
    """(hints, truncated): the `limit` nearest hinted clues among the candidates, ordered by
    coarse distance then clue id (so the order tells nothing the coarse values do not);
    `truncated` when more were within the radius.

    The candidates are clue ids (`keys`) with their locations (`spots`, (n, 2) degrees), and
    must include every clue whose location may be within the hint radius; others are measured
    and dropped. They are all measured in one numpy pass; only the clues nearest the hunter
    are looked up (`clue_of`) and become Python objects.
    """
    if len(keys) == 0:
        return [], False
    distances, bearings = distances_and_bearings(request.point, spots[:, 0], spots[:, 1])
    near_border = np.abs(distances - rules.hint_radius_m) < _BORDER_M
    near_border |= np.abs(distances - rules.reveal_radius_m) < _BORDER_M
    for i in np.flatnonzero(near_border).tolist():
        distances[i] = geodesic_m(request.point, LatLon(*spots[i].tolist()))
    inside = np.flatnonzero(distances <= rules.hint_radius_m)
    # Nearest first, ties by id, so that which clues make the cut is deterministic.
    order = inside[np.lexsort((keys[inside], distances[inside]))]
    may_reveal = request.accuracy_m <= rules.max_accuracy_m
    found = request.found_collectibles
    hints: list[Hint] = []
    chunks = _in_order(order, keys, distances, bearings, request.limit + 1)
    for key, distance, bearing, shown_distance, shown_bearing in chunks:
        clue = clue_of(key)
        if (
            clue is None
            or clue.kind not in HINTED_KINDS
            or clue.location is None
            or not clue.is_active(request.now)
        ):
            continue
        if len(hints) == request.limit:
            return _ordered(hints), True
        hints.append(
            Hint(
                clue=clue,
                distance_m=distance,
                bearing_deg=bearing,
                coarse_distance_m=shown_distance,
                coarse_bearing_deg=shown_bearing,
                found=clue.collectible_id in found,
                revealed=may_reveal and distance <= rules.reveal_radius_m,
            )
        )
    return _ordered(hints), False


def _in_order(
    order: NDArray[np.intp],
    keys: NDArray[np.int64],
    distances: FloatArray,
    bearings: FloatArray,
    chunk: int,
) -> Iterator[tuple[int, float, float, int, int]]:
    """(key, distance, bearing, coarse distance, coarse bearing) in `order`, as Python numbers,
    a chunk at a time: the caller usually stops within the first."""
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        d, b = distances[part], bearings[part]
        shown_d = np.floor(d / DISTANCE_STEP_M + 0.5).astype(np.int64) * DISTANCE_STEP_M
        shown_b = np.floor(b / BEARING_STEP_DEG + 0.5).astype(np.int64) * BEARING_STEP_DEG % 360
        yield from zip(
            keys[part].tolist(),
            d.tolist(),
            b.tolist(),
            shown_d.tolist(),
            shown_b.tolist(),
            strict=True,
        )


def _ordered(hints: list[Hint]) -> list[Hint]:
    hints.sort(key=lambda h: (h.coarse_distance_m, h.clue.id))
    return hints
