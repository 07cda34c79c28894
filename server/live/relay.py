"""The outbox relay: moves committed live events from PostgreSQL to the hunts' Redis streams.

Triggers (migrations/0004_live.sql) write an event in the same transaction as its find, alert
or mint, and NOTIFY `geohunt_live` on commit. Every server process runs a relay; one at a time
delivers, the holder of a session advisory lock (a process that dies frees it with its
connection, and another takes over within a poll).

Delivery, per batch: number the events not yet numbered (`seq`, in the holder's order, which is
the commit order it saw), then one Lua script applies them to Redis atomically: the find's
leaderboard entry (ZADD GT of the committed score: idempotent) and `XADD` with the explicit id
`{seq}-0` (a repeat is refused by the stream, so a batch re-sent after a crash between Redis and
the commit adds nothing twice), then the rows are marked delivered. While Redis is down events
wait in PostgreSQL and the relay retries at each poll.

The script first checks `{prefix}live:seq`, the highest seq Redis holds: missing (FLUSHALL, a
restart without persistence) or behind what PostgreSQL says was delivered (a restore of an older
snapshot), Redis has lost data, and the relay first refills the streams from the delivered events
it keeps (`RETENTION`) and rebuilds every leaderboard from `hunt_scores`, then goes on. The same
check runs at every poll, so a flush is repaired within about a second even with no traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from infra.listen import Notifications, connection_alive
from infra.locks import AdvisoryLock, release_session_lock, try_session_lock
from server.common.leaderboard import Leaderboard, sort_key
from server.live.queries import (
    CLEANUP_SQL,
    DELIVERED_SQL,
    HIGH_SQL,
    KEPT_SQL,
    NEXT_SQL,
)

log = logging.getLogger(__name__)

CHANNEL = "geohunt_live"
RELAY_LOCK = AdvisoryLock.LIVE_RELAY
BATCH = 500
STREAM_MAXLEN = 10_000  # per hunt: what an SSE client can resume from
RETENTION = timedelta(hours=1)  # delivered events kept in PostgreSQL, to refill streams
CLEANUP_EVERY_S = 60.0
REDIS_TIMEOUT_S = 10.0

# KEYS[1] the seq marker; then, per event, its stream and its leaderboard.
# ARGV[1] the seq Redis must hold already, ARGV[2] the batch's highest seq, ARGV[3] MAXLEN;
# then, per event: stream id, data, leaderboard member ('' when none), sort key.
_DELIVER = """
local have = redis.call('GET', KEYS[1])
if not have or tonumber(have) < tonumber(ARGV[1]) then
  return -1
end
local added = 0
for i = 1, (#KEYS - 1) / 2 do
  local a = 3 + (i - 1) * 4
  if ARGV[a + 3] ~= '' then
    redis.call('ZADD', KEYS[2 * i + 1], 'GT', ARGV[a + 4], ARGV[a + 3])
  end
  local ok = redis.pcall('XADD', KEYS[2 * i], 'MAXLEN', '~', ARGV[3], ARGV[a + 1],
                         'data', ARGV[a + 2])
  if type(ok) ~= 'table' or not ok['err'] then
    added = added + 1
  end
end
if tonumber(ARGV[2]) > tonumber(have) then
  redis.call('SET', KEYS[1], ARGV[2])
end
return added
"""


class RedisLostData(Exception):
    """Redis no longer holds what was delivered to it."""


def stream_key(prefix: str, hunt_id: int) -> str:
    return f"{prefix}live:{hunt_id}"


def stream_id(seq: int) -> str:
    return f"{seq}-0"


def score_entry(payload: dict[str, Any]) -> tuple[str, int] | None:
    """The leaderboard entry a find event carries: (member, sort key)."""
    hunter = payload.get("hunter") or {}
    score, reached = hunter.get("score"), hunter.get("last_find_at")
    if payload.get("type") != "find" or score is None or reached is None:
        return None
    return str(hunter["hunter_id"]), sort_key(int(score), datetime.fromisoformat(reached))


class Relay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        redis: Redis,
        prefix: str,
        leaderboard: Leaderboard,
        poll_s: float = 1.0,
    ) -> None:
        self._pool = pool
        self._redis = redis
        self._prefix = prefix
        self._leaderboard = leaderboard
        self._poll_s = poll_s
        self._script = redis.register_script(_DELIVER)
        self._notifications = Notifications(CHANNEL)
        self._high = 0  # the highest seq PostgreSQL says was delivered
        self._last_cleanup = 0.0
        self.leader = False
        self.redis_down = False
        self.recoveries = 0

    @property
    def marker(self) -> str:
        return self._leaderboard.marker

    async def run(self) -> None:
        """Until cancelled: try to lead; while leading, deliver on every NOTIFY and poll."""
        conn: asyncpg.Connection | None = None
        try:
            while True:
                try:
                    if not connection_alive(conn):
                        conn = await self._connect(conn)
                    if not self.leader:
                        await self._try_lead(conn)
                    if self.leader:
                        await self.check(conn)
                        await self.deliver(conn)
                        await self._cleanup(conn)
                except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as err:
                    log.warning("live relay: database error (%s); retrying", err)
                    await self._drop(conn)
                    conn = None
                except (RedisError, TimeoutError) as err:
                    if not self.redis_down:
                        log.warning(
                            "live relay: Redis unavailable (%s); events wait in PostgreSQL", err
                        )
                    self.redis_down = True
                except Exception:
                    # A bug must not end the relay for good: events would wait forever.
                    log.exception("live relay: unexpected error; retrying")
                    await self._drop(conn)
                    conn = None
                else:
                    if self.redis_down and self.leader:
                        log.warning("live relay: Redis reachable again; delivering")
                    self.redis_down = False
                # Woken by a NOTIFY (events committed), or at the poll: either way deliver
                # whatever waits, so the payloads themselves do not matter.
                await self._notifications.wait(self._poll_s)
        finally:
            await self._drop(conn)

    async def _connect(self, old: asyncpg.Connection | None) -> asyncpg.Connection:
        await self._drop(old)
        return await self._pool.acquire()

    async def _drop(self, conn: asyncpg.Connection | None) -> None:
        was_leader, self.leader = self.leader, False
        if conn is None:
            return None
        await self._notifications.detach(conn)
        if was_leader and connection_alive(conn):
            unlocked = False
            with contextlib.suppress(Exception):
                unlocked = await release_session_lock(conn, RELAY_LOCK)
            if not unlocked:
                with contextlib.suppress(Exception):
                    conn.terminate()  # never pool a connection that may still hold the lock
        with contextlib.suppress(Exception):
            await self._pool.release(conn)
        return None

    async def _try_lead(self, conn: asyncpg.Connection) -> None:
        if not await try_session_lock(conn, RELAY_LOCK):
            return
        try:
            self._high = int(await conn.fetchval(HIGH_SQL))
            await self._notifications.attach(conn)
        except BaseException:
            with contextlib.suppress(Exception):
                await release_session_lock(conn, RELAY_LOCK)
            raise
        self.leader = True
        log.info("live relay: this process delivers live events")

    async def check(self, conn: asyncpg.Connection) -> None:
        """Repair Redis if it lost what was delivered to it."""
        async with asyncio.timeout(REDIS_TIMEOUT_S):
            have = await self._redis.get(self.marker)
        if have is None or int(have) < self._high:
            await self.recover(conn)

    async def deliver(self, conn: asyncpg.Connection) -> int:
        """Deliver everything waiting; the number of events delivered."""
        total = 0
        while True:
            rows = await conn.fetch(NEXT_SQL, BATCH)
            if not rows:
                return total
            try:
                await self._apply(rows)
            except RedisLostData:
                await self.recover(conn)
                await self._apply(rows)
            await conn.execute(DELIVERED_SQL, [r["id"] for r in rows])
            self._high = max(self._high, rows[-1]["seq"])
            total += len(rows)
            if len(rows) < BATCH:
                return total

    async def _apply(self, rows: list[asyncpg.Record]) -> None:
        keys = [self.marker]
        args: list[Any] = [self._high, rows[-1]["seq"], STREAM_MAXLEN]
        for row in rows:
            payload = row["payload"]
            entry = score_entry(payload)
            keys += [
                stream_key(self._prefix, row["hunt_id"]),
                self._leaderboard.key(row["hunt_id"]),
            ]
            args += [stream_id(row["seq"]), json.dumps(payload, ensure_ascii=False)]
            args += list(entry) if entry else ["", 0]
            if entry:
                self._leaderboard.names.remember(int(entry[0]), payload["hunter"]["name"])
        async with asyncio.timeout(REDIS_TIMEOUT_S):
            added = await self._script(keys=keys, args=args)
        if added == -1:
            raise RedisLostData()

    async def recover(self, conn: asyncpg.Connection) -> None:
        """Refill the streams from the kept events and rebuild the leaderboards, then mark
        Redis as holding everything up to `_high`."""
        started = time.perf_counter()
        self._high = int(await conn.fetchval(HIGH_SQL))
        kept = await conn.fetch(KEPT_SQL, STREAM_MAXLEN)
        async with asyncio.timeout(REDIS_TIMEOUT_S * 6):
            for start in range(0, len(kept), 1000):
                async with self._redis.pipeline(transaction=False) as pipe:
                    for row in kept[start : start + 1000]:
                        pipe.xadd(
                            stream_key(self._prefix, row["hunt_id"]),
                            {"data": json.dumps(row["payload"], ensure_ascii=False)},
                            id=stream_id(row["seq"]),
                            maxlen=STREAM_MAXLEN,
                            approximate=True,
                        )
                    # A stream that still holds an event refuses it again: that is fine.
                    await pipe.execute(raise_on_error=False)
            boards = await self._leaderboard.rebuild()
            await self._redis.set(self.marker, self._high)
        self.recoveries += 1
        # At a first start there is nothing to refill; otherwise Redis lost data: say so.
        level = logging.WARNING if kept or boards else logging.INFO
        log.log(
            level,
            "live relay: Redis held no live data (new, flushed or restarted); refilled %d"
            " events and rebuilt %d leaderboards from PostgreSQL in %.1f s",
            len(kept),
            len(boards),
            time.perf_counter() - started,
        )

    async def _cleanup(self, conn: asyncpg.Connection) -> None:
        now = time.monotonic()
        if now - self._last_cleanup < CLEANUP_EVERY_S:
            return
        self._last_cleanup = now
        await conn.execute(CLEANUP_SQL, RETENTION)


@contextlib.asynccontextmanager
async def relaying(relay: Relay) -> AsyncIterator[Relay]:
    task = asyncio.create_task(relay.run(), name="live-relay")
    try:
        yield relay
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
