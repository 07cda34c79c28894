"""What a run of the AR hints benchmark is asked to do."""

from __future__ import annotations

from dataclasses import dataclass

FULL_LIMIT = 1000  # `limit` of the n_all load: every hint within the radius
QUICK = {
    "duration": 2,
    "rounds": 1,
    "open_duration": 3.0,
    "warmup": 1,
    "clues": 10_000,
    "rate": 100.0,
}


@dataclass
class NearbyOptions:
    duration: int = 7
    rounds: int = 3
    open_duration: float = 30.0
    rate: float = 300.0
    warmup: int = 3
    connections: int = 32
    collectibles: int = 100  # billboards in the cluster, each its own collectible
    ar_clues: int = 20  # AR clues among them: a few within any reveal radius
    clues: int = 100_000  # in the whole hunt
    hunters: int = 2000
    pool_max: int = 10
    loadgen: str = "auto"
    install: bool = True
    keep_db: bool = False
    quiet_wait_s: float = 120.0
