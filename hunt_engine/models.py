"""The hunt's nouns as immutable values; adapters build them from rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from geo.coords import LatLon
from geo.fences import Geofence
from hunt_engine.rules import HuntRules


class ClueKind(StrEnum):
    BILLBOARD = "billboard"
    DIGITAL = "digital"
    SOCIAL = "social"
    AR = "ar"

    @property
    def located(self) -> bool:
        """Located clues need the hunter's position and a geofence."""
        return self is not ClueKind.SOCIAL

    @property
    def printed(self) -> bool:
        """Static codes that can be printed (and photographed)."""
        return self in (ClueKind.BILLBOARD, ClueKind.SOCIAL)


@dataclass(frozen=True, slots=True)
class Hunt:
    id: int
    slug: str
    starts_at: datetime
    ends_at: datetime
    rules: HuntRules

    def is_active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


@dataclass(frozen=True, slots=True)
class Collectible:
    id: int
    hunt_id: int
    key: str
    name: str
    episode: str | None


@dataclass(frozen=True, slots=True)
class Clue:
    id: int
    hunt_id: int
    collectible_id: int
    kind: ClueKind
    location: LatLon | None
    fence: Geofence | None
    active: bool
    active_from: datetime | None
    active_until: datetime | None

    def is_active(self, now: datetime) -> bool:
        if not self.active:
            return False
        if self.active_from is not None and now < self.active_from:
            return False
        return self.active_until is None or now < self.active_until


@dataclass(frozen=True, slots=True)
class Fix:
    """A reported position with its accuracy radius, in metres."""

    point: LatLon
    accuracy_m: float


@dataclass(frozen=True, slots=True)
class PriorFind:
    """The hunter's previous located find, the origin of the travel check."""

    point: LatLon
    found_at: datetime
