"""Swap jobs in PostgreSQL, as the worker sees them: accepted swaps of the offer book
(migration 0012) claimed one at a time into the mint ledger, and settled from the chain.

A swap's batch and its signed transaction are stored in the transaction that makes the swap
`submitted`, before anything is broadcast; the unique index on a batch's swap (the live ones)
means no second batch of it can ever be stored while one is live, whatever signs it. A swap
the node says would revert now is settled at once, with no transaction at all.
"""

from __future__ import annotations

import asyncpg

from chain.jobs import Batch, Refused, SwapSigner, swap_job_of
from chain.mint_store import MintStore
from chain.queries import (
    BATCH_MINED_SQL,
    BATCH_NOT_MINED_SQL,
    CLAIM_SWAP_SQL,
    DROP_BATCH_SQL,
    EXPIRE_SWAPS_SQL,
    INSERT_SWAP_BATCH_SQL,
    SWAP_REQUEUED_SQL,
    SWAP_SETTLED_SQL,
    SWAP_SUBMITTED_SQL,
)
from hunt_engine.swaps import Status

# How close to its deadline a swap is still sent: later, it would be mined past it.
DEADLINE_MARGIN_S = 2
MAX_ERROR = 500


class SwapStore:
    def __init__(self, pool: asyncpg.Pool, signer: str, chain_id: int, contract: str) -> None:
        self.pool = pool
        self.signer = signer.lower()
        self.chain_id = chain_id
        self.contract = contract  # as the ledger writes it (the mint store's)
        self._swaps_contract = contract.lower()  # as the offer book writes it

    async def claim(self, nonce: int, sign: SwapSigner) -> Batch | None:
        """The oldest accepted swap, signed at `nonce` and stored as a batch with its
        transaction; None when none waits. A swap `sign` refuses is settled and the next one
        taken. If signing raises, nothing changes."""
        while True:
            async with self.pool.acquire() as conn, conn.transaction():
                row = await conn.fetchrow(
                    CLAIM_SWAP_SQL, self.chain_id, self._swaps_contract, DEADLINE_MARGIN_S
                )
                if row is None:
                    return None
                job = swap_job_of(row)
                signed = await sign(job)
                if isinstance(signed, Refused):
                    await conn.execute(
                        SWAP_SETTLED_SQL,
                        job.id,
                        Status.FAILED.value,
                        signed.error[:MAX_ERROR],
                        None,
                        [Status.ACCEPTED.value],
                    )
                    continue
                batch_id = await conn.fetchval(
                    INSERT_SWAP_BATCH_SQL,
                    self.signer,
                    self.chain_id,
                    self.contract,
                    nonce,
                    [job.offer.give_id, job.offer.want_id],
                    job.id,
                )
                stored = await MintStore.insert_tx(conn, batch_id, signed)
                await conn.execute(SWAP_SUBMITTED_SQL, job.id, signed.hash)
            return Batch(batch_id, nonce, (), (stored,), job)

    async def settle(
        self,
        batch: Batch,
        status: Status,
        error: str | None,
        tx_hash: str | None,
        block: int | None,
        mined: bool,
    ) -> None:
        """Close a swap batch: `mined` when its transaction succeeded (the swap `completed`),
        else `reverted` (a receipt) or `dropped` (its nonce went elsewhere); the swap takes
        `status` and `error`, and names `tx_hash`."""
        assert batch.swap is not None
        async with self.pool.acquire() as conn, conn.transaction():
            if mined:
                await conn.execute(BATCH_MINED_SQL, batch.id, tx_hash, block)
            else:
                state = "reverted" if block is not None else "dropped"
                await conn.execute(BATCH_NOT_MINED_SQL, batch.id, state, tx_hash, block)
            await conn.execute(
                SWAP_SETTLED_SQL,
                batch.swap.id,
                status.value,
                None if error is None else error[:MAX_ERROR],
                tx_hash,
                [Status.SUBMITTED.value],
            )

    async def requeue(self, batch: Batch) -> None:
        """Accept a swap again: its batch's nonce went to a transaction not ours and the chain
        shows its offer unused, so none of its transactions can ever be mined."""
        assert batch.swap is not None
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(DROP_BATCH_SQL, batch.id)
            await conn.execute(SWAP_REQUEUED_SQL, batch.swap.id)

    async def expire_due(self) -> int:
        """Close this contract's unsent swaps past their deadline; how many."""
        return int(await self.pool.fetchval(EXPIRE_SWAPS_SQL, self.chain_id, self._swaps_contract))
