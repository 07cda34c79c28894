"""A refused scan's record, and the leaked-code alert it may raise.

Every refusal is stored (`record_rejection` in the migrations), with where the scan was made:
a static code's photo circulating online shows as several hunters, far from its clue, within a
few minutes, and the same call that stores the refusal raises the alert then.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import asyncpg

from hunt_engine.models import Clue, Hunt
from server.http.metrics import ALERTS
from server.scans.queries import REJECT_SQL
from server.scans.schemas import ScanIn

log = logging.getLogger(__name__)

# A photo of a static code circulating online: this many hunters, this far, this recently.
LEAK_HUNTERS = 5
LEAK_DISTANCE_M = 1000.0
LEAK_WINDOW = timedelta(minutes=10)


async def record_refusal(
    db: asyncpg.Pool | asyncpg.Connection,
    hunter_id: int,
    scan: ScanIn,
    hunt: Hunt | None,
    clue: Clue | None,
    verdict: str,
    distance_m: float | None,
    address: str | None,
) -> None:
    """Store the refusal (on `db`: the pool, or the connection of a transaction in progress)."""
    alert = await db.fetchval(
        REJECT_SQL,
        hunter_id,
        hunt.id if hunt else None,
        clue.id if clue else None,
        verdict,
        scan.lat,
        scan.lon,
        scan.accuracy_m,
        distance_m,
        scan.scanned_at,
        scan.device_id,
        address,
        bool(clue and clue.kind.printed and clue.kind.located),
        LEAK_DISTANCE_M,
        LEAK_HUNTERS,
        LEAK_WINDOW,
    )
    if alert is not None:
        ALERTS.labels("leaked_code").inc()
        log.warning("leaked_code alert %s raised for clue %s", alert, clue.id if clue else None)
