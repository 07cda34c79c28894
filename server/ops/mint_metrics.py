"""Mint queue gauges, read from PostgreSQL when /metrics is scraped.

The worker may run anywhere; the queue and the signer's last report (mint_signers) are in the
database, so any server process can show them.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg
from prometheus_client import Gauge

from server.ops.queries import AGE_SQL, COUNTS_SQL, SIGNERS_SQL

log = logging.getLogger(__name__)

STATUSES = ("awaiting_wallet", "queued", "submitted", "minted", "failed")
JOBS = Gauge("geohunt_mint_jobs", "Finds by mint status", ["status"])
QUEUE_AGE = Gauge(
    "geohunt_mint_queue_age_seconds", "Age of the oldest find waiting to be sent (0: none)"
)
BALANCE = Gauge(
    "geohunt_mint_signer_balance_wei", "The minting key's balance", ["signer", "chain_id"]
)
NONCE_DRIFT = Gauge(
    "geohunt_mint_nonce_drift",
    "The worker's next nonce minus the chain's pending transaction count",
    ["signer", "chain_id"],
)
WORKER_SEEN = Gauge(
    "geohunt_mint_worker_seen_seconds",
    "Seconds since the worker last reported on its key",
    ["signer", "chain_id"],
)
SCRAPE_TIMEOUT_S = 2.0


async def refresh_mint_metrics(pool: asyncpg.Pool) -> None:
    """Best effort: a scrape still answers when the database is slow or away."""
    try:
        await asyncio.wait_for(_refresh(pool), SCRAPE_TIMEOUT_S)
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
        log.warning("mint metrics not refreshed: %s", err)


async def _refresh(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        counts = {r["status"]: r["n"] for r in await conn.fetch(COUNTS_SQL)}
        age = await conn.fetchval(AGE_SQL)
        signers = await conn.fetch(SIGNERS_SQL)
    for status in STATUSES:
        JOBS.labels(status).set(counts.get(status, 0))
    QUEUE_AGE.set(float(age))
    for row in signers:
        labels = (row["signer"], str(row["chain_id"]))
        if row["balance_wei"] is not None:
            BALANCE.labels(*labels).set(float(row["balance_wei"]))
        if row["local_nonce"] is not None and row["chain_nonce"] is not None:
            NONCE_DRIFT.labels(*labels).set(row["local_nonce"] - row["chain_nonce"])
        WORKER_SEEN.labels(*labels).set(float(row["seen_s"]))
