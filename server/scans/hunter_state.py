"""What the travel rule needs about a hunter, cached per process and confirmed by the database.

The cache may be stale when another process took the hunter's last find: `claim_find` compares
versions and answers `stale` with the truth, so a stale entry costs a retry, never a wrong find.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from geo.coords import LatLon
from hunt_engine.models import PriorFind


@dataclass(frozen=True, slots=True)
class HunterState:
    version: int
    prior: PriorFind | None

    @classmethod
    def from_columns(
        cls, version: int, lat: float | None, lon: float | None, found_at: datetime | None
    ) -> HunterState:
        if lat is None or lon is None or found_at is None:
            return cls(version, None)
        return cls(version, PriorFind(LatLon(lat, lon), found_at))


# A hunter this process has not seen is most likely new (version 0, no finds): a guess the
# database confirms, or corrects with a `stale` answer.
UNKNOWN = HunterState(version=0, prior=None)


class HunterStateCache:
    def __init__(self, capacity: int = 100_000) -> None:
        self._entries: OrderedDict[int, HunterState] = OrderedDict()
        self._capacity = capacity

    def get(self, hunter_id: int) -> HunterState | None:
        state = self._entries.get(hunter_id)
        if state is not None:
            self._entries.move_to_end(hunter_id)
        return state

    def put(self, hunter_id: int, state: HunterState) -> None:
        current = self._entries.get(hunter_id)
        if current is not None and current.version > state.version:
            return
        self._entries[hunter_id] = state
        self._entries.move_to_end(hunter_id)
        if len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
