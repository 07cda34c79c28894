"""The outbox relay: moves committed live events from PostgreSQL to the hunts' Redis streams.

Triggers (migrations/0004_live.sql) write an event in the same transaction as its find, alert
or mint, and NOTIFY `geohunt_live` on commit. Every server process runs a relay; one at a time
delivers, the holder of a session advisory lock (a process that dies frees it with its
connection, and another takes over within a poll).

Delivery, per batch: number the events not yet numbered (`seq`, in the holder's order, which is
the commit order it saw), then a Lua script per hunt applies the hunt's events to Redis
atomically: the find's leaderboard entry (ZADD GT of the committed score: idempotent) and
`XADD` with the explicit id `{seq}-0` (a repeat is refused by the stream, so a batch re-sent
after a crash between Redis and the commit adds nothing twice), then the rows are marked
delivered. A batch row (`finds` or `mints`) becomes one entry per event it holds, `{seq}-0`,
`{seq}-1`, ... (entries.py). The hunts' calls go in one pipeline. While Redis is down events
wait in PostgreSQL and the relay retries at each poll.

Each hunt has a marker, `marker_key`, the highest seq of the hunt that Redis holds. It lives in
the hunt's hash slot with the hunt's stream and leaderboard, so on a Redis Cluster it is lost
exactly when they are: a FLUSHALL, a node restarted without persistence, a replica promoted
before it had the last writes. The delivery script first checks it: missing, or behind what
PostgreSQL says was delivered of the hunt (a restore of an older snapshot, a promoted replica
that lagged), Redis has lost some of the hunt's data, and the relay first refills the hunt's
stream from the delivered events it keeps (`RETENTION`) and rebuilds its leaderboard from
`hunt_scores`, then goes on (a hunt's first event finds no marker either: the same repair,
of nothing). The markers of the hunts with kept events or scores are also read once a poll
(not at every delivery), so a flush is repaired within about a second even with no traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
from redis.exceptions import RedisClusterException, RedisError

from infra.json_text import dumps_bytes
from infra.listen import Notifications, connection_alive
from infra.locks import AdvisoryLock, release_session_lock, try_session_lock
from infra.redis_client import RedisClient, grouped
from infra.redis_scripts import ScriptCall, register_script, run_script_or_raise
from server.common.leaderboard import Leaderboard
from server.common.redis_keys import stream_key as _stream_key
from server.live.entries import score_entry, stream_events
from server.live.queries import (
    CLEANUP_SQL,
    DELIVERED_SQL,
    HIGH_SQL,
    KEPT_SQL,
    NEXT_SQL,
    WATCHED_HUNTS_SQL,
)

log = logging.getLogger(__name__)

CHANNEL = "geohunt_live"
RELAY_LOCK = AdvisoryLock.LIVE_RELAY
BATCH = 500
STREAM_MAXLEN = 10_000  # per hunt: what an SSE client can resume from
RETENTION = timedelta(hours=1)  # delivered events kept in PostgreSQL, to refill streams
CLEANUP_EVERY_S = 60.0
REDIS_TIMEOUT_S = 10.0
_CHECK_CHUNK = 1000  # markers read in one pipeline
_CALL_ENTRIES = 1000  # stream entries in one delivery script call (about) or refill pipeline

# One hunt's events of a batch. KEYS[1] the hunt's marker, KEYS[2] its stream, KEYS[3] its
# leaderboard (one slot). ARGV[1] the seq the marker must hold already, ARGV[2] the hunt's
# highest seq in the batch, ARGV[3] MAXLEN; then, per event: stream id, data, leaderboard
# member ('' when none), sort key.
_DELIVER = """
local have = redis.call('GET', KEYS[1])
if not have or tonumber(have) < tonumber(ARGV[1]) then
  return -1
end
local added = 0
for i = 1, (#ARGV - 3) / 4 do
  local a = 3 + (i - 1) * 4
  if ARGV[a + 3] ~= '' then
    redis.call('ZADD', KEYS[3], 'GT', ARGV[a + 4], ARGV[a + 3])
  end
  local ok = redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], ARGV[a + 1],
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
    return _stream_key(prefix, hunt_id)


class Relay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        redis: RedisClient,
        prefix: str,
        leaderboard: Leaderboard,
        poll_s: float = 1.0,
    ) -> None:
        self._pool = pool
        self._redis = redis
        self._prefix = prefix
        self._leaderboard = leaderboard
        self._poll_s = poll_s
        self._script = register_script(redis, _DELIVER)
        self._notifications = Notifications(CHANNEL)
        # Per hunt, the highest seq PostgreSQL says was delivered; every hunt whose marker is
        # read at each poll (0: none kept, but the hunt has scores).
        self._high: dict[int, int] = {}
        self._last_cleanup = 0.0
        self._last_check = -math.inf
        self.leader = False
        self.redis_down = False
        self.recoveries = 0

    def marker(self, hunt_id: int) -> str:
        return self._leaderboard.marker(hunt_id)

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
                        now = time.monotonic()
                        if self.redis_down or now - self._last_check >= self._poll_s:
                            await self.check(conn)
                            self._last_check = now
                        await self.deliver(conn)
                        await self._cleanup(conn)
                except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as err:
                    log.warning("live relay: database error (%s); retrying", err)
                    await self._drop(conn)
                    conn = None
                except (RedisError, RedisClusterException, TimeoutError) as err:
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
            self._high = {r["hunt_id"]: 0 for r in await conn.fetch(WATCHED_HUNTS_SQL)}
            self._high.update(await _delivered_high(conn, None))
            await self._notifications.attach(conn)
        except BaseException:
            with contextlib.suppress(Exception):
                await release_session_lock(conn, RELAY_LOCK)
            raise
        self.leader = True
        self._last_check = -math.inf  # a new leader reads every marker first
        log.info("live relay: this process delivers live events")

    async def check(self, conn: asyncpg.Connection) -> None:
        """Repair what Redis lost of the hunts it should hold."""
        hunts = list(self._high)
        async with asyncio.timeout(REDIS_TIMEOUT_S):
            have = []
            for start in range(0, len(hunts), _CHECK_CHUNK):
                async with self._redis.pipeline(transaction=False) as pipe:
                    for hunt_id in hunts[start : start + _CHECK_CHUNK]:
                        pipe.get(self.marker(hunt_id))
                    have += await pipe.execute()
        lost = [
            h for h, seq in zip(hunts, have, strict=True) if seq is None or int(seq) < self._high[h]
        ]
        if lost:
            await self.recover(conn, lost)

    async def deliver(self, conn: asyncpg.Connection) -> int:
        """Deliver everything waiting; the number of events delivered."""
        total = 0
        while True:
            rows = await conn.fetch(NEXT_SQL, BATCH)
            if not rows:
                return total
            hunts = grouped(rows, lambda r: int(r["hunt_id"]))
            lost = await self._apply(hunts)
            if lost:
                await self.recover(conn, [int(h[0]["hunt_id"]) for h in lost])
                if await self._apply(lost):
                    raise RedisLostData()
            await conn.execute(DELIVERED_SQL, [r["id"] for r in rows])
            for events in hunts:
                hunt_id = int(events[0]["hunt_id"])
                self._high[hunt_id] = max(self._high.get(hunt_id, 0), events[-1]["seq"])
            total += len(rows)
            if len(rows) < BATCH:
                return total

    async def _apply(self, hunts: list[list[asyncpg.Record]]) -> list[list[asyncpg.Record]]:
        """Each hunt's events (in seq order) in one script call, the calls in one pipeline; the
        hunts whose marker says Redis lost some of their data (nothing of theirs applied)."""
        calls, owners = [], []
        for events in hunts:
            hunt_id = int(events[0]["hunt_id"])
            keys = [self.marker(hunt_id), stream_key(self._prefix, hunt_id)]
            keys.append(self._leaderboard.key(hunt_id))
            # A hunt's rows may stand for many entries (batch rows): sent in calls of about
            # _CALL_ENTRIES entries, in order, each raising the marker to its own last row (a
            # call checks only the marker the batch started from, which never goes down).
            args: list[Any] = []
            for i, row in enumerate(events):
                for event_id, payload in stream_events(row["seq"], row["kind"], row["payload"]):
                    entry = score_entry(payload)
                    args += [event_id, dumps_bytes(payload)]
                    args += list(entry) if entry else ["", 0]
                    if entry:
                        self._leaderboard.names.remember(int(entry[0]), payload["hunter"]["name"])
                if len(args) >= 4 * _CALL_ENTRIES or i == len(events) - 1:
                    head = [self._high.get(hunt_id, 0), row["seq"], STREAM_MAXLEN]
                    calls.append(ScriptCall(keys, head + args))
                    owners.append(hunt_id)
                    args = []
        async with asyncio.timeout(REDIS_TIMEOUT_S):
            added = await run_script_or_raise(self._redis, self._script, calls)
        lost = {hunt_id for hunt_id, n in zip(owners, added, strict=True) if n == -1}
        return [events for events in hunts if int(events[0]["hunt_id"]) in lost]

    async def recover(self, conn: asyncpg.Connection, hunt_ids: list[int]) -> None:
        """Refill the hunts' streams from the kept events and rebuild their leaderboards,
        then mark Redis as holding everything of them up to what was delivered."""
        started = time.perf_counter()
        # A hunt watched already had data in Redis; any other is new (its first event).
        lost = sum(1 for h in hunt_ids if h in self._high)
        high = await _delivered_high(conn, hunt_ids)
        kept = await conn.fetch(KEPT_SQL, hunt_ids, STREAM_MAXLEN)
        entries = [
            (row["hunt_id"], event_id, payload)
            for row in kept
            for event_id, payload in stream_events(row["seq"], row["kind"], row["payload"])
        ]
        async with asyncio.timeout(REDIS_TIMEOUT_S * 6):
            for start in range(0, len(entries), _CALL_ENTRIES):
                async with self._redis.pipeline(transaction=False) as pipe:
                    for hunt_id, event_id, payload in entries[start : start + _CALL_ENTRIES]:
                        pipe.xadd(
                            stream_key(self._prefix, hunt_id),
                            {"data": dumps_bytes(payload)},
                            id=event_id,
                            maxlen=STREAM_MAXLEN,
                            approximate=True,
                        )
                    # A stream that still holds an event refuses it again: that is fine.
                    await pipe.execute(raise_on_error=False)
            boards = await self._leaderboard.rebuild(hunt_ids)
            async with self._redis.pipeline(transaction=False) as pipe:
                for hunt_id in hunt_ids:
                    self._high[hunt_id] = high.get(hunt_id, 0)
                    pipe.set(self.marker(hunt_id), self._high[hunt_id])
                await pipe.execute()
        self.recoveries += 1
        # New hunts are no news; Redis losing data (flushed, restarted, failed over) is.
        level = logging.WARNING if lost and (kept or any(boards.values())) else logging.INFO
        log.log(
            level,
            "live relay: Redis held no live data of %d hunts (%d new, the others flushed,"
            " restarted or failed over); refilled %d events and rebuilt %d leaderboards from"
            " PostgreSQL in %.1f s",
            len(hunt_ids),
            len(hunt_ids) - lost,
            len(entries),
            len(boards),
            time.perf_counter() - started,
        )

    async def _cleanup(self, conn: asyncpg.Connection) -> None:
        now = time.monotonic()
        if now - self._last_cleanup < CLEANUP_EVERY_S:
            return
        self._last_cleanup = now
        await conn.execute(CLEANUP_SQL, RETENTION)


async def _delivered_high(conn: asyncpg.Connection, hunt_ids: list[int] | None) -> dict[int, int]:
    return {r["hunt_id"]: int(r["seq"]) for r in await conn.fetch(HIGH_SQL, hunt_ids)}


@contextlib.asynccontextmanager
async def relaying(relay: Relay) -> AsyncIterator[Relay]:
    task = asyncio.create_task(relay.run(), name="live-relay")
    try:
        yield relay
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
