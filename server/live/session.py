"""What a live client is sent before it follows the hub: a snapshot, or what it missed.

A snapshot is taken after the client joined the hub, at stream position `upto` (read first):
it reflects every event up to `upto` (the leaderboard entry is written before its stream entry,
the counters commit before their event exists), and the hub delivers every event after it.
Find messages carry absolute values (score, a collectible's `found`), so one that is both in the
snapshot and delivered afterwards changes nothing on a screen.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
from redis.exceptions import ResponseError

from hunt_engine.errors import HuntError
from infra.redis_client import RedisClient, stream_entries
from server.common.leaderboard import Leaderboard
from server.live.frames import Message, parse_event_id
from server.live.hub import TOP, Hub
from server.live.queries import COLLECTIBLES_SQL, HUNT_NAME_SQL
from server.live.relay import stream_key

RECENT = 10
REPLAY_PAGE = 1000


class LiveUnavailable(HuntError):
    """Live updates are unavailable"""

    status, code = 503, "unavailable"
    # Redis is usually back within seconds (a restart, a failover): like any 503 here, say when.
    RETRY_AFTER_S = 2

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, retry_after_s=self.RETRY_AFTER_S)


async def snapshot(
    pool: asyncpg.Pool,
    redis: RedisClient,
    prefix: str,
    leaderboard: Leaderboard,
    hunt_id: int,
    upto: str,
) -> dict[str, Any]:
    async with pool.acquire() as conn:
        name = await conn.fetchval(HUNT_NAME_SQL, hunt_id)
        rows = await conn.fetch(COLLECTIBLES_SQL, hunt_id)
    entries = await leaderboard.top(hunt_id, TOP)
    newest = stream_entries(
        await redis.xrevrange(stream_key(prefix, hunt_id), max=upto, count=RECENT * 3)
    )
    recent = []
    for raw_id, fields in newest:
        message = Message.from_stream(raw_id.decode(), fields[b"data"])
        if message.kind == "find":
            recent.append(message)
    return {
        "type": "snapshot",
        "hunt": {"id": hunt_id, "name": name},
        "leaderboard": [e.as_json() for e in entries],
        "collectibles": {
            r["key"]: {
                "name": r["name"],
                "episode": r["episode"],
                "found": r["found"],
                "supply": r["supply"],
            }
            for r in rows
        },
        # Oldest first, as they happened; the raw messages, as a client would have had them.
        "recent": [_body(m) for m in reversed(recent[:RECENT])],
    }


def _body(message: Message) -> Any:
    return json.loads(message.text)


async def replay(
    redis: RedisClient, prefix: str, hunt_id: int, after: tuple[int, int]
) -> tuple[list[Message], tuple[int, int]] | None:
    """The stream's messages after `after`, and the position reached; None when some of them
    are no longer kept (trimmed, or lost with Redis), and a snapshot must be sent instead."""
    key = stream_key(prefix, hunt_id)
    try:
        first = stream_entries(await redis.xrange(key, count=1))
    except ResponseError:
        first = []
    if not first:
        return ([], after) if after == (0, 0) else None
    oldest = parse_event_id(first[0][0].decode()) or (0, 0)
    if after != (0, 0) and oldest > after:
        return None  # the entry the client saw last is gone, and maybe others after it
    messages: list[Message] = []
    position = after
    while True:
        page = stream_entries(
            await redis.xrange(key, min=f"({position[0]}-{position[1]}", count=REPLAY_PAGE)
        )
        for raw_id, fields in page:
            message = Message.from_stream(raw_id.decode(), fields[b"data"])
            messages.append(message)
            position = message.position
        if len(page) < REPLAY_PAGE:
            return messages, position
        await asyncio.sleep(0)


async def catch_up(
    hub: Hub,
    pool: asyncpg.Pool,
    redis: RedisClient,
    prefix: str,
    leaderboard: Leaderboard,
    hunt_id: int,
    resume: tuple[int, int] | None,
) -> tuple[list[Message], tuple[int, int]]:
    """Messages to send first, and the stream position they bring the client to."""
    if resume is not None:
        replayed = await replay(redis, prefix, hunt_id, resume)
        if replayed is not None:
            messages, position = replayed
            return [*messages, await hub.leaderboard_message(hunt_id)], position
    upto = await hub.top_id(hunt_id)
    body = await snapshot(pool, redis, prefix, leaderboard, hunt_id, upto)
    return [Message.of(body, upto)], parse_event_id(upto) or (0, 0)
