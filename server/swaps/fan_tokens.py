"""The tokens another fan holds now: what a fan may ask for in a swap, read by the other fan's
hunter id as the twins list and the leaderboard show it.

Only for a fan listed where the caller can look anyway (a discoverable fan, to a discoverable
caller, as twins are; any fan among a hunt's leaderboard's first entries), and only what a
token's public page shows: its id, episode, art and a moment's title, never a wallet. A fan
listed nowhere answers as an unknown one does, so the answer tells nobody who exists."""

from __future__ import annotations

from typing import Any

import asyncpg

from hunt_engine.errors import NotFound
from server.common.leaderboard import LIMIT_MAX
from server.swaps.queries import FAN_TOKENS_SQL, LISTED_FAN_SQL


async def fan_tokens(
    pool: asyncpg.Pool, hunter_id: int, caller_id: int, limit: int
) -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        fan = await conn.fetchrow(LISTED_FAN_SQL, hunter_id, caller_id, LIMIT_MAX)
        if fan is None:
            raise NotFound(f"no fan {hunter_id} listed in your twins or on a leaderboard")
        rows = await conn.fetch(FAN_TOKENS_SQL, hunter_id, limit + 1)
    return {
        "hunter_id": fan["id"],
        "handle": fan["handle"],
        "tokens": [_token(r) for r in rows[:limit]],
        "more": len(rows) > limit,
    }


def _token(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "token_id": str(row["token_id"]),
        "collectible": {
            "hunt": row["hunt"],
            "key": row["key"],
            "name": row["name"],
            "episode": row["episode"],
            "image_url": row["image_url"],
        },
        "title": row["title"],
    }
