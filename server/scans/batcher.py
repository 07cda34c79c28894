"""Group commit for scans: the claims waiting at the same moment go to the database together.

The classic group-commit loop. A claim that finds no batch in flight is sent at once (a lone
scan never waits); claims that arrive while a batch is in flight gather and go together, in
arrival order and at most `max_batch` at a time, as one `claim_finds` call: one round trip and
one commit for all of them. Each claim is decided by `claim_find` exactly as if it were sent
alone, one after another in that order, and each caller gets its own row.

When the batch's call fails as a whole (a deadlock with another process's claims, any error one
claim raised) its transaction is rolled back, so nothing of it happened: its claims are then
sent one at a time, and each caller gets its own claim's answer or error (a lone claim that
lost a deadlock is sent once more). An error of the
connection itself (the database gone) reaches every caller of the batch, as it would alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Sequence
from typing import Any

import asyncpg

from server.scans.queries import CLAIM_SQL, CLAIMS_SQL

# The claim_find arguments, in its order.
Claim = tuple[Any, ...]
_ARITY = 12


class ClaimBatcher:
    def __init__(self, pool: asyncpg.Pool, max_batch: int = 64) -> None:
        self._pool = pool
        self._max_batch = max_batch
        self._waiting: list[tuple[Claim, asyncio.Future[asyncpg.Record]]] = []
        self._task: asyncio.Task[None] | None = None
        # How many claims each batch sent held (the last few thousand; for tests and metrics).
        self.sizes: deque[int] = deque(maxlen=4096)

    async def claim(self, args: Claim) -> asyncpg.Record:
        assert len(args) == _ARITY
        future: asyncio.Future[asyncpg.Record] = asyncio.get_running_loop().create_future()
        self._waiting.append((args, future))
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        # A caller that goes away does not take its claim with it: it may be in the batch.
        return await asyncio.shield(future)

    async def _run(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                self.sizes.append(len(batch))
                await self._send(batch)
        finally:
            self._task = None
            # Cancelled (the loop is closing): nobody is left waiting forever.
            for _, future in self._waiting:
                future.cancel()
            self._waiting.clear()

    async def _send(self, batch: list[tuple[Claim, asyncio.Future[asyncpg.Record]]]) -> None:
        try:
            if len(batch) == 1:
                rows = [await self._pool.fetchrow(CLAIM_SQL, *batch[0][0])]
            else:
                columns = _columns([args for args, _ in batch])
                rows = _in_order(await self._pool.fetch(CLAIMS_SQL, *columns), len(batch))
        except asyncpg.PostgresError as err:
            if len(batch) > 1 or isinstance(err, asyncpg.TransactionRollbackError):
                # Rolled back as a whole (a deadlock with another process's claims, or one
                # claim's error): each claim again on its own, with its own answer.
                await self._one_at_a_time(batch)
                return
            _settle(batch[0][1], error=err)
            return
        except BaseException as err:
            for _, future in batch:
                _settle(future, error=err)
            if isinstance(err, asyncio.CancelledError):
                raise
            return
        for (_, future), row in zip(batch, rows, strict=True):
            _settle(future, row=row)

    async def _one_at_a_time(
        self, batch: list[tuple[Claim, asyncio.Future[asyncpg.Record]]]
    ) -> None:
        for args, future in batch:
            try:
                row = await self._pool.fetchrow(CLAIM_SQL, *args)
            except BaseException as err:
                _settle(future, error=err)
                if isinstance(err, asyncio.CancelledError):
                    raise
                continue
            _settle(future, row=row)


def _in_order(rows: Sequence[asyncpg.Record], n: int) -> list[asyncpg.Record]:
    ordered = sorted(rows, key=lambda r: r["idx"])
    assert [r["idx"] for r in ordered] == list(range(1, n + 1)), "a claim went unanswered"
    return ordered


def _columns(claims: list[Claim]) -> list[list[Any]]:
    """The claims as claim_finds takes them: one array per argument."""
    return [list(column) for column in zip(*claims, strict=True)]


def _settle(
    future: asyncio.Future[asyncpg.Record],
    *,
    row: asyncpg.Record | None = None,
    error: BaseException | None = None,
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(row)
    with contextlib.suppress(BaseException):
        # Retrieved here so that a caller that went away leaves no "never retrieved" warning.
        if future.done() and not future.cancelled():
            future.exception()
