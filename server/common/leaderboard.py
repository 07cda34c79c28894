"""A hunt's ranking in a Redis sorted set (`board_key`, in the hunt's hash slot), member the
hunter's id.

PostgreSQL (`hunt_scores`) holds the truth. Every write to the set is the hunter's committed
(score, reached_at) packed into one number and stored with `ZADD ... GT`: a repeated or late
write changes nothing, so the scan path and the relay (which replays every find from the
outbox) may both write, in any order, any number of times. The whole set can be rebuilt from
the table at any moment, concurrently with scans, and comes out the same.

When Redis is unreachable or has lost the hunt's data (the relay's marker of the hunt, in the
hunt's slot, is gone) ranks and lists are read from PostgreSQL instead, in the same order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from infra.redis_client import REDIS_FAILURES, RedisClient, grouped, guarded
from infra.redis_health import CALL_TIMEOUT_S, RedisHealth
from infra.redis_scripts import ScriptCall, register_script, run_script_or_raise
from infra.replica import ReadRouter
from server.common.coalescer import Coalescer
from server.common.queries import (
    HUNT_SCORES_SQL,
    HUNTER_NAMES_SQL,
    RANK_SQL,
    SCORED_HUNTS_SQL,
    TOP_SQL,
)
from server.common.redis_keys import board_key, board_pattern, hunt_of_board, marker_key

log = logging.getLogger(__name__)

# One exact double (below 2**53): the score in the high 12 bits, then the milliseconds since
# 2020 that the score was reached, inverted so that the earlier the higher. 41 bits of
# milliseconds last until 2089; 12 bits hold scores up to 4,095 collectibles.
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
TIME_BITS = 41
TIME_SLOTS = 1 << TIME_BITS
MAX_SCORE = (1 << (53 - TIME_BITS)) - 1
_MS = timedelta(milliseconds=1)

LIMIT_MAX = 100
_REBUILD_CHUNK = 5000
# At most this many scans' scores in one call.
_MAX_GROUP = 64
# One scan's committed score: (hunt id, the hunter's id as the set's member, its sort key).
ScoreWrite = tuple[int, str, int]

# The scores of one hunt's scans that finish at the same moment: KEYS[1] the relay's marker of
# the hunt, KEYS[2] its set (one slot), ARGV[2i - 1], ARGV[2i] the i-th member and sort key.
# Answers whether the marker is set, then for each score how many members are ahead of it.
# Scores of several hunts go as one call per hunt, in one pipeline.
_RECORD = """
local answer = {redis.call('EXISTS', KEYS[1])}
for i = 1, #ARGV / 2 do
  local member, value = ARGV[2 * i - 1], ARGV[2 * i]
  redis.call('ZADD', KEYS[2], 'GT', value, member)
  answer[i + 1] = redis.call('ZCOUNT', KEYS[2], '(' .. value, '+inf')
end
return answer
"""


def reached_ms(reached_at: datetime) -> int:
    """Whole milliseconds since EPOCH, computed on integers (a float timestamp can round)."""
    return min(max((reached_at - EPOCH) // _MS, 0), TIME_SLOTS - 1)


def sort_key(score: int, reached_at: datetime) -> int:
    """Higher score first; at equal scores, who reached it first."""
    score = min(max(score, 0), MAX_SCORE)
    return score * TIME_SLOTS + (TIME_SLOTS - 1 - reached_ms(reached_at))


def unpack(value: float | int) -> tuple[int, datetime]:
    """(score, reached_at at millisecond precision) of a sort key."""
    key = int(value)
    score, rest = divmod(key, TIME_SLOTS)
    return score, EPOCH + (TIME_SLOTS - 1 - rest) * _MS


@dataclass(frozen=True, slots=True)
class Entry:
    rank: int
    hunter_id: int
    name: str
    score: int
    last_find_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "hunter_id": self.hunter_id,
            "name": self.name,
            "score": self.score,
            "last_find_at": self.last_find_at.isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"
            ),
        }


async def _scored_hunts(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return list(await pool.fetch(SCORED_HUNTS_SQL))


def ranked(rows: Iterable[tuple[int, int, str]]) -> list[Entry]:
    """Competition ranks ("1, 2, 2, 4") of (hunter_id, sort key, name) rows, best first."""
    entries: list[Entry] = []
    previous: int | None = None
    rank = 0
    for position, (hunter_id, key, name) in enumerate(rows, start=1):
        if key != previous:
            rank, previous = position, key
        score, reached = unpack(key)
        entries.append(Entry(rank, hunter_id, name, score, reached))
    return entries


class HunterNames:
    """Hunters' display names, which do not change once a hunter has a handle or a wallet."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._names: OrderedDict[int, str] = OrderedDict()
        self._capacity = capacity

    def remember(self, hunter_id: int, name: str) -> None:
        self._names[hunter_id] = name
        self._names.move_to_end(hunter_id)
        while len(self._names) > self._capacity:
            self._names.popitem(last=False)

    async def of(self, pool: asyncpg.Pool, ids: list[int]) -> dict[int, str]:
        found = {i: self._names[i] for i in ids if i in self._names}
        missing = [i for i in ids if i not in found]
        if missing:
            for row in await pool.fetch(HUNTER_NAMES_SQL, missing):
                found[row["id"]] = row["name"]
                self.remember(row["id"], row["name"])
        return found


class Leaderboard:
    def __init__(
        self,
        redis: RedisClient,
        prefix: str,
        pool: asyncpg.Pool,
        health: RedisHealth | None = None,
        reads: ReadRouter | None = None,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._pool = pool
        # Rebuilds read `hunt_scores` from a replica that has caught up, when there is one.
        self._reads = reads or ReadRouter(pool)
        self._health = health or RedisHealth()
        self.names = HunterNames()
        self._script = register_script(redis, _RECORD)
        # One scan's score is written with the others that wait at the same moment.
        self._writes: Coalescer[ScoreWrite, int | None] = Coalescer(
            self._write, _MAX_GROUP, CALL_TIMEOUT_S
        )

    @property
    def sizes(self) -> deque[int]:
        """How many scans each write held (the last few thousand; for tests and metrics)."""
        return self._writes.sizes

    def key(self, hunt_id: int) -> str:
        return board_key(self._prefix, hunt_id)

    def marker(self, hunt_id: int) -> str:
        """Set by the relay once Redis holds everything of the hunt PostgreSQL does (see
        live/relay.py); in the hunt's slot, so the set and its marker are read in one call."""
        return marker_key(self._prefix, hunt_id)

    async def record(self, hunt_id: int, hunter_id: int, score: int, reached_at: datetime) -> int:
        """Store the hunter's committed score; return their competition rank."""
        value = sort_key(score, reached_at)
        if self._health.usable():
            try:
                # How many hunters are ahead, or None while Redis does not hold everything yet.
                better = await self._writes.call((hunt_id, str(hunter_id), value))
                self._health.ok()
                if better is not None:
                    return better + 1
            except REDIS_FAILURES as err:
                self._health.failed(err)
        return await self.rank_from_db(hunt_id, score, reached_at)

    async def _write(self, group: list[ScoreWrite]) -> list[int | None]:
        """One script call per hunt (its marker and set share a slot), pipelined; for each
        write in order, how many are ahead, or None while the hunt's marker is missing."""
        hunts = grouped(range(len(group)), lambda i: group[i][0])
        calls = []
        for positions in hunts:
            hunt_id = group[positions[0]][0]
            args = [a for i in positions for a in group[i][1:]]
            calls.append(ScriptCall([self.marker(hunt_id), self.key(hunt_id)], args))
        answers: list[int | None] = [None] * len(group)
        for positions, (ready, *ahead) in zip(
            hunts, await run_script_or_raise(self._redis, self._script, calls), strict=True
        ):
            for i, better in zip(positions, ahead, strict=True):
                answers[i] = int(better) if ready else None
        return answers

    async def rank_from_db(self, hunt_id: int, score: int, reached_at: datetime) -> int:
        # Ties at the millisecond, as in the sorted set.
        floor = EPOCH + reached_ms(reached_at) * _MS
        return int(await self._pool.fetchval(RANK_SQL, hunt_id, score, floor))

    async def top(self, hunt_id: int, limit: int = 10) -> list[Entry]:
        limit = min(max(limit, 1), LIMIT_MAX)
        if self._health.usable():
            try:
                async with asyncio.timeout(CALL_TIMEOUT_S):
                    async with self._redis.pipeline(transaction=False) as pipe:
                        pipe.exists(self.marker(hunt_id))
                        pipe.zrevrange(self.key(hunt_id), 0, limit - 1, withscores=True)
                        ready, rows = await guarded(pipe.execute())
                self._health.ok()
                if ready:
                    pairs = [(int(member), int(value)) for member, value in rows]
                    names = await self.names.of(self._pool, [h for h, _ in pairs])
                    return ranked((h, v, names.get(h, f"hunter {h}")) for h, v in pairs)
            except REDIS_FAILURES as err:
                self._health.failed(err)
        return await self.top_from_db(hunt_id, limit)

    async def top_from_db(self, hunt_id: int, limit: int) -> list[Entry]:
        rows = await self._pool.fetch(TOP_SQL, hunt_id, limit)
        for row in rows:
            self.names.remember(row["hunter_id"], row["name"])
        return ranked(
            (r["hunter_id"], sort_key(r["score"], r["reached_at"]), r["name"]) for r in rows
        )

    async def rebuild(self, hunt_ids: list[int] | None = None) -> dict[int, int]:
        """Make the sets equal to `hunt_scores` (all hunts by default); entries per hunt.

        Safe while scans go on: the truth is added with GT (never lowering what a newer find
        wrote), and only members that have no row in the table are removed. The table may be
        read on a replica, but only one that has replayed every commit the primary had once
        the Redis side was read (`current=True`): a member written to Redis after a commit
        the read would not see must never be taken for stale.
        """
        if hunt_ids is None:
            # Keys listed before the table is read: a key written after a commit that the
            # read does not see cannot be among them. On a cluster the scan visits every primary.
            pattern = board_pattern(self._prefix)
            keys = [k async for k in self._redis.scan_iter(match=pattern, count=1000)]
            rows = await self._reads.read(_scored_hunts, current=True)
            hunt_ids = [r["hunt_id"] for r in rows]
            await self._drop_orphans(keys, set(hunt_ids))
        counts = {}
        for hunt_id in hunt_ids:
            counts[hunt_id] = await self._rebuild_one(hunt_id)
        return counts

    async def _rebuild_one(self, hunt_id: int) -> int:
        key = self.key(hunt_id)
        # Members present before the truth is read: any of them without a row is stale.
        before = {m async for m, _ in self._redis.zscan_iter(key, count=5000)}

        async def truth(pool: asyncpg.Pool) -> set[bytes]:
            # Run again on the primary if a replica fails mid-way: every write is a ZADD GT.
            return await self._write_truth(pool, key, hunt_id)

        seen = await self._reads.read(truth, current=True)
        stale = list(before - seen)
        for start in range(0, len(stale), _REBUILD_CHUNK):
            await self._redis.zrem(key, *stale[start : start + _REBUILD_CHUNK])
        return len(seen)

    async def _write_truth(self, pool: asyncpg.Pool, key: str, hunt_id: int) -> set[bytes]:
        """The hunt's scores from `pool` into its set (ZADD GT); the members written."""
        seen: set[bytes] = set()
        async with pool.acquire() as conn, conn.transaction(readonly=True):
            cursor = conn.cursor(HUNT_SCORES_SQL, hunt_id, prefetch=_REBUILD_CHUNK)
            batch: dict[str, int] = {}
            async for row in cursor:
                member = str(row["hunter_id"])
                batch[member] = sort_key(row["score"], row["reached_at"])
                seen.add(member.encode())
                if len(batch) >= _REBUILD_CHUNK:
                    await self._redis.zadd(key, batch, gt=True)
                    batch = {}
            if batch:
                await self._redis.zadd(key, batch, gt=True)
        return seen

    async def _drop_orphans(self, keys: list[bytes], live: set[int]) -> None:
        """Sets of hunts that have no scores any more (a deleted hunt)."""
        for key in keys:
            hunt_id = hunt_of_board(self._prefix, key.decode())
            if hunt_id is not None and hunt_id not in live:
                await self._redis.delete(key)
