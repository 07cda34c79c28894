"""The hunt's nouns as immutable values; adapters build them from rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

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
class ArAnchor:
    """Where and how the companion app draws an `ar` clue's virtual object."""

    asset_url: str
    scale: float | None = None
    altitude_m: float | None = None
    heading_deg: float | None = None

    @classmethod
    def from_mapping(cls, raw: object) -> ArAnchor:
        """Build from stored JSON (validated on the way in), ignoring unknown keys;
        ValueError if it is not an anchor."""
        if not isinstance(raw, Mapping) or not isinstance(raw.get("asset_url"), str):
            raise ValueError("an ar anchor needs its asset_url")
        return cls(
            asset_url=raw["asset_url"],
            scale=_optional_float(raw.get("scale")),
            altitude_m=_optional_float(raw.get("altitude_m")),
            heading_deg=_optional_float(raw.get("heading_deg")),
        )

    def as_dict(self) -> dict[str, Any]:
        """The API's `ar` object: the fields that are set."""
        # Not dataclasses.asdict: it deep-copies, and hints draw many anchors per request.
        fields = {
            "asset_url": self.asset_url,
            "scale": self.scale,
            "altitude_m": self.altitude_m,
            "heading_deg": self.heading_deg,
        }
        return {k: v for k, v in fields.items() if v is not None}


def _optional_float(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("ar anchor numbers must be numbers")
    return float(value)


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
    ar: ArAnchor | None = None

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
