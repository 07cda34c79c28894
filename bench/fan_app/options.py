"""What a run of the fan app benchmark is asked to do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.scratch import PATIENT_QUEUE_TARGET_MS

# A quick run tests the harness, beside a test suite that keeps the machine busy: its server
# waits up to a second in its admission queue (bench.scratch.PATIENT_QUEUE_TARGET_MS).
QUICK = {
    "lighthouse_runs": 1,
    "fans": 3,
    "warmup": 1,
    "quiet_wait_s": 0.0,
    "queue_target_ms": PATIENT_QUEUE_TARGET_MS,
}


@dataclass
class FanAppOptions:
    lighthouse_runs: int = 3  # Lighthouse runs of each page; the median is reported
    fans: int = 40  # distinct fans whose claims are measured (one claim each)
    warmup: int = 2  # fans who claim first, not measured
    billboards: int = 10  # in the seeded hunt; every fan claims the first one
    accuracy_m: float = 8.0  # of every fan's position, at the billboard
    quiet_wait_s: float = 120.0  # wait this long at most for other jobs on the machine to stop
    queue_target_ms: float | None = None  # the server's GEOHUNT_QUEUE_TARGET_MS (None: its own)
    keep_db: bool = False
    reports: Path | None = None  # keep Lighthouse's JSON reports here
    screenshot: Path | None = None  # keep the last measured fan's screen here
