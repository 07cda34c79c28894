"""The rows behind the organisers' figures for one hunt, read from the rollups that triggers
keep current (migration 0005) and from the catalog's own counters, so that a hunt of a million
scans is answered from a few thousand rows; `hunt_engine.ratings` aggregates them.

- scans: every recorded attempt at one of the collectible's clues, whatever its verdict;
- finds: verified finds; unique hunters: hunters who ever scanned one of its clues;
- mints: finds whose token is minted; transfers: Transfer events between two holders (not the
  mint), as `geohunt follow` read them from the chain;
- on site: finds at billboards, digital screens and AR spots; online: finds of social drops.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from hunt_engine.ratings import (
    ClueRow,
    CollectibleRow,
    HourCount,
    HuntFacts,
    ScanCount,
    TransferCount,
    hunt_figures,
)

COLLECTIBLES_SQL = """
SELECT c.id, c.key, c.name, c.episode, c.supply, c.found,
       COALESCE(cc.scanners, 0) AS scanners, COALESCE(cc.minted, 0) AS minted,
       (SELECT min(f.found_at) FROM finds f WHERE f.collectible_id = c.id) AS first_find_at
FROM collectibles c LEFT JOIN collectible_counts cc ON cc.collectible_id = c.id
WHERE c.hunt_id = $1
ORDER BY c.id
"""

CLUES_SQL = """
SELECT id, collectible_id, kind, label, city, finds, active FROM clues
WHERE hunt_id = $1 ORDER BY id
"""

SCANS_BY_CLUE_SQL = """
SELECT clue_id, verdict, sum(n)::bigint AS n FROM scan_counts WHERE hunt_id = $1 GROUP BY 1, 2
"""

SCANS_BY_HOUR_SQL = """
SELECT hour, sum(n)::bigint AS scans, (sum(n) FILTER (WHERE verdict = 'accepted'))::bigint AS finds
FROM scan_counts WHERE hunt_id = $1 GROUP BY hour ORDER BY hour
"""

# Transfers of the tokens minted for this hunt's finds, on the contract each was minted on.
TRANSFERS_SQL = """
SELECT f.collectible_id, count(*) AS transfers, count(DISTINCT t.token_id) AS tokens
FROM token_transfers t
JOIN finds f ON f.id = t.token_id
JOIN mint_jobs j ON j.find_id = f.id AND lower(j.contract) = t.contract
WHERE t.secondary AND f.hunt_id = $1
GROUP BY 1
"""


async def hunt_stats(conn: asyncpg.Connection, hunt: asyncpg.Record) -> dict[str, Any]:
    """Every figure of `GET /v1/hunts/{slug}/stats` for `hunt` (a row with id, slug, name,
    starts_at, ends_at): the rows read here, aggregated by `hunt_engine.ratings`."""
    hunt_id = hunt["id"]
    collectibles = await conn.fetch(COLLECTIBLES_SQL, hunt_id)
    clues = await conn.fetch(CLUES_SQL, hunt_id)
    scans = await conn.fetch(SCANS_BY_CLUE_SQL, hunt_id)
    hours = await conn.fetch(SCANS_BY_HOUR_SQL, hunt_id)
    transfers = await conn.fetch(TRANSFERS_SQL, hunt_id)
    return hunt_figures(
        HuntFacts(
            slug=hunt["slug"],
            name=hunt["name"],
            starts_at=hunt["starts_at"],
            ends_at=hunt["ends_at"],
        ),
        [CollectibleRow(**dict(r)) for r in collectibles],
        [ClueRow(**dict(r)) for r in clues],
        [ScanCount(**dict(r)) for r in scans],
        [HourCount(**dict(r)) for r in hours],
        [TransferCount(**dict(r)) for r in transfers],
    )
