"""The organisers' figures for one hunt: the rows behind them, read by the statements of
`queries.py` from the rollups that triggers keep current (migration 0005) and from the
catalog's own counters, so that a hunt of a million scans is answered from a few thousand rows;
`hunt_engine.ratings` aggregates them.

- scans: every recorded attempt at one of the collectible's clues, whatever its verdict;
- finds: verified finds; unique hunters: hunters who ever scanned one of its clues;
- mints: finds whose token is minted; transfers: Transfer events between two holders (not the
  mint), as `geohunt follow` read them from the chain;
- on site: finds at billboards, digital screens and AR spots; online: finds of social drops;
- scenes: loves of fans' approved moments per minute of the episode;
- swaps_in / swaps_out: completed swaps between fans that wanted / gave one of its tokens.
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
    SceneCount,
    SwapCount,
    TransferCount,
    hunt_figures,
)
from server.ratings.queries import (
    CLUES_SQL,
    COLLECTIBLES_SQL,
    SCANS_BY_CLUE_SQL,
    SCANS_BY_HOUR_SQL,
    SCENES_SQL,
    SWAPS_SQL,
    TRANSFERS_SQL,
)


async def hunt_stats(conn: asyncpg.Connection, hunt: asyncpg.Record) -> dict[str, Any]:
    """Every figure of `GET /v1/hunts/{slug}/stats` for `hunt` (a row with id, slug, name,
    starts_at, ends_at): the rows read here, aggregated by `hunt_engine.ratings`."""
    hunt_id = hunt["id"]
    collectibles = await conn.fetch(COLLECTIBLES_SQL, hunt_id)
    clues = await conn.fetch(CLUES_SQL, hunt_id)
    scans = await conn.fetch(SCANS_BY_CLUE_SQL, hunt_id)
    hours = await conn.fetch(SCANS_BY_HOUR_SQL, hunt_id)
    transfers = await conn.fetch(TRANSFERS_SQL, hunt_id)
    scenes = await conn.fetch(SCENES_SQL, hunt_id)
    swaps = await conn.fetch(SWAPS_SQL, hunt_id)
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
        [SceneCount(**dict(r)) for r in scenes],
        [SwapCount(**dict(r)) for r in swaps],
    )
