"""Per-hunt tunables (`rules` in the API) with the contract's defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from hunt_engine.errors import InvalidRequest


@dataclass(frozen=True, slots=True)
class HuntRules:
    max_accuracy_m: float = 100.0
    fence_tolerance_m: float = 30.0
    max_speed_kmh: float = 900.0
    travel_floor_m: float = 2000.0
    rotate_s: int = 30
    max_clock_skew_s: int = 300
    scans_per_minute: int = 30
    hint_radius_m: float = 1500.0
    reveal_radius_m: float = 150.0
    # Fans' moments: how many one hunter may make per hunt, and how many distinct hunters'
    # reports hide an approved one until it is reviewed again.
    moments_per_hunter: int = 3
    moment_report_threshold: int = 5

    @classmethod
    def from_mapping(cls, raw: dict[str, Any] | None) -> HuntRules:
        """Build from stored JSON, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (raw or {}).items() if k in known})

    def merged(self, changes: dict[str, Any]) -> HuntRules:
        """These rules with an organiser's changes; InvalidRequest if they contradict."""
        rules = replace(self, **changes)
        if rules.reveal_radius_m > rules.hint_radius_m:
            raise InvalidRequest(
                f"reveal_radius_m ({rules.reveal_radius_m:g}) must not exceed "
                f"hint_radius_m ({rules.hint_radius_m:g})"
            )
        return rules

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
