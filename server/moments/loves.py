"""Loves, and the lists they sort.

A love is one row per hunter and moment (`moment_loves`), inserted with a +1 in
`moment_love_deltas`, and nothing else: no love updates a row, so a burst of loves on one moment
runs as fast as loves spread over many (each insert takes its own index entry; nothing queues
on the moment's row). A moment's exact count is `count(*)` over the primary key's index; the
sort key of `?sort=loved` is `moments.loves`, to which a list first adds its hunt's pending
deltas (`fold`): one fold per hunt at a time, and a list that finds one running does not wait.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from hunt_engine.errors import NotFound
from server.moments.queries import (
    COLLECTIBLE_ID_SQL,
    FOLD_LOVES_SQL,
    LIST_LOVED_SQL,
    LIST_RECENT_SQL,
    LOVE_SQL,
    LOVES_SQL,
    UNLOVE_SQL,
)
from server.moments.schemas import MomentsQuery


async def love(pool: asyncpg.Pool, moment_id: int, hunter_id: int) -> dict[str, Any]:
    """One love per hunter and moment: loving again changes nothing."""
    row = await pool.fetchrow(LOVE_SQL, moment_id, hunter_id)
    if not row["found"]:
        raise NotFound(f"no moment {moment_id} to love (an approved one)")
    return await _loves(pool, moment_id, hunter_id)


async def unlove(pool: asyncpg.Pool, moment_id: int, hunter_id: int) -> dict[str, Any]:
    """Taking a love back; taking back what was never given changes nothing."""
    row = await pool.fetchrow(UNLOVE_SQL, moment_id, hunter_id)
    if not row["found"]:
        raise NotFound(f"no moment {moment_id}")
    return await _loves(pool, moment_id, hunter_id)


async def _loves(pool: asyncpg.Pool, moment_id: int, hunter_id: int) -> dict[str, Any]:
    # A statement of its own: its snapshot sees every love committed before it, this one too.
    row = await pool.fetchrow(LOVES_SQL, moment_id, hunter_id)
    return {"moment_id": moment_id, "loves": int(row["loves"]), "loved": bool(row["loved"])}


async def fold(pool: asyncpg.Pool, hunt_id: int) -> None:
    """Add the hunt's pending love deltas to its moments' sort keys."""
    await pool.execute(FOLD_LOVES_SQL, hunt_id)


async def listed(
    primary: asyncpg.Pool,
    pool: asyncpg.Pool,
    hunt_id: int,
    slug: str,
    status: str,
    query: MomentsQuery,
    hunter_id: int | None,
) -> list[Any]:
    """A page of the hunt's moments in `status`, sorted as asked, loves folded first (a write:
    on the primary); read from `pool`, the primary or, for a public list, a replica a moment
    behind (which then may not have the latest fold yet either)."""
    await fold(primary, hunt_id)
    collectible_id = None
    if query.collectible is not None:
        collectible_id = await pool.fetchval(COLLECTIBLE_ID_SQL, hunt_id, query.collectible)
        if collectible_id is None:
            raise NotFound(f"no collectible {query.collectible!r} in hunt {slug!r}")
    sql = LIST_LOVED_SQL if query.sort == "loved" else LIST_RECENT_SQL
    return list(
        await pool.fetch(sql, hunt_id, status, collectible_id, hunter_id, query.limit, query.offset)
    )
