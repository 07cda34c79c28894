"""Group commit for scans: the claims waiting at the same moment go to the database together.

The classic group-commit loop (server/common/coalescer.py). A claim that finds no batch in
flight is sent at once (a lone scan never waits); claims that arrive while a batch is in flight
gather and go together, in arrival order and at most `max_batch` at a time, as one `claim_finds`
call: one round trip and one commit for all of them. Each claim is decided by `claim_find`
exactly as if it were sent alone, one after another in that order, and each caller gets its own
row.

When the batch's call fails as a whole (a deadlock with another process's claims, any error one
claim raised) its transaction is rolled back, so nothing of it happened: its claims are then
sent one at a time, and each caller gets its own claim's answer or error (a lone claim that
lost a deadlock is sent once more). An error of the connection itself (the database gone)
reaches every caller of the batch, as it would alone.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import asyncpg

from server.common.coalescer import Coalescer
from server.scans.queries import CLAIM_SQL, CLAIMS_SQL

# The claim_find arguments, in its order.
Claim = tuple[Any, ...]
_ARITY = 12


class ClaimBatcher:
    def __init__(self, pool: asyncpg.Pool, max_batch: int = 64) -> None:
        self._pool = pool
        self._claims: Coalescer[Claim, asyncpg.Record] = Coalescer(self._send, max_batch)

    @property
    def sizes(self) -> deque[int]:
        """How many claims each batch sent held (the last few thousand; for tests and metrics)."""
        return self._claims.sizes

    async def claim(self, args: Claim) -> asyncpg.Record:
        assert len(args) == _ARITY
        return await self._claims.call(args)

    async def _send(self, batch: list[Claim]) -> list[asyncpg.Record | BaseException]:
        try:
            if len(batch) == 1:
                return [await self._pool.fetchrow(CLAIM_SQL, *batch[0])]
            rows = await self._pool.fetch(CLAIMS_SQL, *_columns(batch))
            return _in_order(rows, len(batch))
        except asyncpg.PostgresError as err:
            if len(batch) > 1 or isinstance(err, asyncpg.TransactionRollbackError):
                # Rolled back as a whole (a deadlock with another process's claims, or one
                # claim's error): each claim again on its own, with its own answer.
                return await self._one_at_a_time(batch)
            return [err]

    async def _one_at_a_time(self, batch: list[Claim]) -> list[asyncpg.Record | BaseException]:
        answers: list[asyncpg.Record | BaseException] = []
        for args in batch:
            try:
                answers.append(await self._pool.fetchrow(CLAIM_SQL, *args))
            except Exception as err:  # noqa: BLE001 - this claim's own answer
                answers.append(err)
        return answers


def _in_order(rows: Sequence[asyncpg.Record], n: int) -> list[asyncpg.Record]:
    ordered = sorted(rows, key=lambda r: r["idx"])
    assert [r["idx"] for r in ordered] == list(range(1, n + 1)), "a claim went unanswered"
    return ordered


def _columns(claims: list[Claim]) -> list[list[Any]]:
    """The claims as claim_finds takes them: one array per argument."""
    return [list(column) for column in zip(*claims, strict=True)]
