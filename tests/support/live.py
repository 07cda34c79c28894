"""Helpers of the live tests that drive a relay of their own (tests/server/live/)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
from redis.asyncio import Redis

from server.common.leaderboard import Leaderboard
from server.live.relay import Relay


def relay_on(pool: asyncpg.Pool, redis: Redis, prefix: str) -> Relay:
    return Relay(pool, redis, prefix, Leaderboard(redis, prefix, pool))


async def delivered_rows(
    db: asyncpg.Connection, sql: str, hunt_id: int, n: int
) -> list[dict[str, Any]]:
    """The rows `sql` selects of the hunt (with `$1` its id), once there are `n`, as the relay
    takes them: each a dict with its payload decoded. `sql` waits for the app's own relay by
    selecting delivered rows only."""
    rows = await db.fetch(sql, hunt_id)
    while len(rows) < n:  # until the app's own relay has numbered and delivered them
        await asyncio.sleep(0.02)
        rows = await db.fetch(sql, hunt_id)
    return [dict(r) | {"payload": json.loads(r["payload"])} for r in rows]
