"""Reads that may be a moment behind, served by a streaming replica while it is close enough.

`DATABASE_READ_URL` names a hot standby of `DATABASE_URL`. `ReadRouter.read(work)` runs
`work(pool)` on the replica while it holds everything the primary had at most
`DATABASE_READ_MAX_LAG_S` ago, and on the primary otherwise: no replica configured, or it is
unreachable, promoted, or further behind. A read whose query fails on the replica, or that the
replica has not answered within `DATABASE_READ_TIMEOUT_S`, runs again on the primary (the caller
sees no error), and the replica is left alone until the next measurement finds it well. `work`
must therefore be safe to run twice, and must only read.

Why a read is bounded from outside. A replica that stops answering (its processes stopped, the
network dropping its packets) closes nothing and refuses nothing: a query simply waits. Past
the bound the read's own task is cancelled and left behind, not awaited: asyncpg cleans up a
cancelled query by sending the server a cancel request and waiting for it, which a stopped
server never answers; the replica's pool bounds that wait too (infra/db.py), after which the
connection is terminated, so the abandoned read ends on its own and its connection does not
stay in the pool.

How the lag is measured, and why so. A background task, every `interval_s` (a few times per
bound), reads the primary's WAL write position P_i, with the monotonic time t_i taken just
before asking, then the replica's replay position R. Whenever R >= P_i the replica holds every
change the primary had written by t_i; the latest such t_i is how fresh the replica is, and
`now - t_i` bounds how far behind it is. The alternatives each miss a case:
- `now() - pg_last_xact_replay_timestamp()` on the replica grows for as long as nobody commits:
  an idle primary would make a perfect copy look stale;
- the replica's `pg_last_wal_receive_lsn()` against its `pg_last_wal_replay_lsn()` sees only
  what reached it: a replica cut off from the primary (its WAL receiver down, the network
  split) has replayed all it received and looks current while it falls further behind;
- the primary's `pg_stat_replication.replay_lag` is refreshed by the standby's replies: while
  replay is paused it keeps showing the last small lag, and it turns NULL when the primary idles;
- a heartbeat table costs a commit every interval from every process, and compares the
  primary's clock with the replica's.
Positions compared across the two servers cost two trivial statements per interval and process
and no write; an idle primary's P stands still, so its replica is 0 s behind; and every time
is this process's own monotonic clock. The lag is rounded up to a sample (at most `interval_s`
too high, never too low), and between measurements the freshness ages with the clock: the
bound holds at the moment of each read, not only at the measurement.

Leaderboard rebuilds need more than "a moment behind": they remove the members the table does
not hold, so they must see every commit that wrote to Redis before they started.
`read(work, current=True)` asks the primary for its position now and uses the replica only once
it has replayed that far (waiting a second at most).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import asyncpg

from infra.db import create_read_pool
from infra.queries import PRIMARY_WAL_SQL, REPLICA_REPLAY_SQL
from infra.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[asyncpg.Pool], Awaitable[T]]

PROBE_INTERVAL_S = 0.5  # at most; a small bound is measured more often (a quarter of it)
PROBE_TIMEOUT_S = 1.0  # a server that takes longer to say where it is counts as away
READ_TIMEOUT_S = 5.0  # DATABASE_READ_TIMEOUT_S's default
CATCH_UP_POLL_S = 0.02
CATCH_UP_WAIT_S = 1.0
# What a replica answers when it is away, restarting, full, or cancels a query that conflicts
# with replay (a serialization failure): the read goes to the primary.
FAILURES = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
REPLICA, PRIMARY = "replica", "primary"


class ReadRouter:
    """Which pool a read that may be a moment behind may use now (see the module's docstring).
    Without a replica every read is the primary's."""

    def __init__(
        self,
        primary: asyncpg.Pool,
        replica: asyncpg.Pool | None = None,
        max_lag_s: float = 5.0,
        on_read: Callable[[str], None] | None = None,
        timeout_s: float = READ_TIMEOUT_S,
    ) -> None:
        self.primary = primary
        self.replica = replica
        self.max_lag_s = max_lag_s
        self.timeout_s = timeout_s
        # Replica reads given up on, kept until they end (a task nobody holds may be collected).
        self._abandoned: set[asyncio.Future[Any]] = set()
        self.interval_s = min(PROBE_INTERVAL_S, max_lag_s / 4)
        self._on_read = on_read or (lambda _served_by: None)
        # (t_i, P_i): the primary's WAL position and the monotonic time just before asking.
        self._samples: deque[tuple[float, int]] = deque()
        # The replica held everything the primary had at this monotonic time; None: unusable.
        self._fresh_as_of: float | None = None
        # The monotonic time the lag counts from: `_fresh_as_of`, or, when the replica is
        # beyond every sample kept, the oldest one (a lower bound); None before the first
        # measurement and while the replica is away.
        self._behind_since: float | None = None
        self._state = "unknown"

    @property
    def lag_s(self) -> float | None:
        """How far behind the replica is now, in seconds: it ages with the clock between
        measurements, as `usable()` does, so the two never disagree."""
        since = self._behind_since
        return None if since is None else time.monotonic() - since

    def usable(self) -> bool:
        fresh = self._fresh_as_of
        return (
            self.replica is not None
            and fresh is not None
            and time.monotonic() - fresh <= self.max_lag_s
        )

    async def read(self, work: Work[T], *, again_on: tuple[type[Exception], ...] = (),
                   current: bool = False) -> T:  # fmt: skip
        """`work(pool)` on the replica while it may serve, on the primary otherwise or when the
        replica fails it. `again_on`: errors that on a replica may only mean it is behind (a
        hunt created a moment ago is not there yet), so the primary is asked. `current`: the
        replica only once it holds every commit the primary had when this was called."""
        replica = self.replica
        if replica is None or not self.usable() or (current and not await self._caught_up()):
            return await self._on_primary(work)
        try:
            result = await self._within(work(replica), self.timeout_s)
        except again_on:
            return await self._on_primary(work)
        except FAILURES as err:
            self._lost(f"a read failed on it: {type(err).__name__}: {err}")
            return await self._on_primary(work)
        except Exception:
            self._on_read(REPLICA)  # the replica's answer is an error for the caller (404...)
            raise
        self._on_read(REPLICA)
        return result

    async def _on_primary(self, work: Work[T]) -> T:
        self._on_read(PRIMARY)
        return await work(self.primary)

    async def _within(self, replica_work: Awaitable[T], timeout_s: float) -> T:
        """`replica_work`'s result, or TimeoutError once `timeout_s` has passed without one. The
        work runs as a task of its own so that giving up on it never waits for its clean-up
        (see the module's docstring): it is cancelled and finishes in the background."""
        task = asyncio.ensure_future(replica_work)
        try:
            done, _ = await asyncio.wait((task,), timeout=timeout_s)
        finally:
            if not task.done():  # the bound passed, or the caller itself was cancelled
                task.cancel()
                self._abandoned.add(task)
                task.add_done_callback(self._forget)
        if not done:
            raise TimeoutError(f"the replica did not answer within {timeout_s:g} s")
        return task.result()

    def _forget(self, task: asyncio.Future[Any]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: an abandoned read's error is no news

    async def _caught_up(self) -> bool:
        """Whether the replica replays what the primary has written now, within a short wait
        (a rebuild asks once per hunt: a replica that keeps it waiting is not worth it)."""
        assert self.replica is not None
        deadline = time.monotonic() + min(self.max_lag_s, CATCH_UP_WAIT_S)
        try:
            target = int(await self.primary.fetchval(PRIMARY_WAL_SQL))
            while True:
                row = await self._within(self.replica.fetchrow(REPLICA_REPLAY_SQL), self.timeout_s)
                if row["standby"] and row["replayed"] >= target:
                    return True
                if not row["standby"] or time.monotonic() >= deadline:
                    return False
                await asyncio.sleep(CATCH_UP_POLL_S)
        except FAILURES as err:
            self._lost(f"{type(err).__name__}: {err}")
            return False

    async def measure(self) -> None:
        """One measurement: the primary's position, then the replica's."""
        if self.replica is None:
            return
        asked = time.monotonic()
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                position = int(await self.primary.fetchval(PRIMARY_WAL_SQL))
        except FAILURES as err:
            # Nothing to compare with: the last freshness stays and ages past the bound.
            log.debug("replica lag not measured, the primary did not answer: %s", err)
            return
        self._samples.append((asked, position))
        # Older samples only tell that the lag is beyond twice the bound.
        horizon = asked - 2 * self.max_lag_s - self.interval_s
        while self._samples[0][0] < horizon:
            self._samples.popleft()
        try:
            row = await self._within(self.replica.fetchrow(REPLICA_REPLAY_SQL), PROBE_TIMEOUT_S)
        except FAILURES as err:
            self._lost(f"{type(err).__name__}: {err}")
            return
        if not row["standby"]:
            self._lost("it is not a standby (promoted?): it is no copy of the primary")
            return
        replayed = int(row["replayed"])
        held = [t for t, p in self._samples if p <= replayed]
        if held:
            self._fresh_as_of = held[-1]
            while self._samples[0][0] < held[-1]:
                self._samples.popleft()  # it holds them all: never needed again
        else:
            self._fresh_as_of = None
        self._behind_since = held[-1] if held else self._samples[0][0]
        if self.usable():
            self._report("replica", "reads that may be a moment behind go to the replica")
        else:
            self._report("behind", f"the replica is at least {self.lag_s:.1f} s behind")

    def _lost(self, why: str) -> None:
        self._fresh_as_of = None
        self._behind_since = None
        self._report("away", f"the replica is not used: {why}")

    def _report(self, state: str, message: str) -> None:
        if state != self._state:
            self._state = state
            log.log(logging.INFO if state == "replica" else logging.WARNING, "%s", message)

    async def run(self) -> None:
        while True:
            try:
                await self.measure()
            except Exception:  # a bug here must not stop the measuring: the state ages
                log.exception("replica lag measurement failed")
            await asyncio.sleep(self.interval_s)


@contextlib.asynccontextmanager
async def read_router(
    primary: asyncpg.Pool, settings: Settings, on_read: Callable[[str], None] | None = None
) -> AsyncIterator[ReadRouter]:
    """The process's router: with DATABASE_READ_URL, the replica's pool and the task that
    measures its lag, both closed on exit; without it, the primary for every read."""
    if settings.database_read_url is None:
        yield ReadRouter(primary, on_read=on_read)
        return
    replica = await create_read_pool(settings)
    router = ReadRouter(
        primary,
        replica,
        settings.database_read_max_lag_s,
        on_read,
        settings.database_read_timeout_s,
    )
    task = asyncio.create_task(router.run(), name="replica-lag")
    try:
        yield router
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await replica.close()
