"""Swap jobs in PostgreSQL, as the worker sees them: accepted swaps of the offer book
(migration 0012) claimed several at a time into the mint ledger (one batch, one nonce, one
transaction each), and settled from the chain.

The swaps' batches and signed transactions are stored in the transaction that makes the swaps
`submitted`, before anything is broadcast; the unique index on a batch's swap (the live ones)
means no second batch of it can ever be stored while one is live, whatever signs it. A swap
the node says would revert now is settled at once, with no transaction at all. A mined swap is
settled with the mined mints (MintStore.settle_mined); this settles the others.
"""

from __future__ import annotations

import asyncpg

from chain.jobs import Batch, Refused, SwapSigner, swap_job_of
from chain.mint_store import stored_tx
from chain.minting.queries import (
    BATCH_MINED_SQL,
    BATCH_NOT_MINED_SQL,
    DROP_BATCH_SQL,
)
from chain.queries import (
    CLAIM_SWAPS_SQL,
    EXPIRE_SWAPS_SQL,
    STORE_SWAP_BATCHES_SQL,
    SWAP_REQUEUED_SQL,
    SWAP_SETTLED_SQL,
    SWAPS_REFUSED_SQL,
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

    async def claim(self, count: int, nonce: int, sign: SwapSigner) -> list[Batch]:
        """Up to `count` of the oldest accepted swaps, checked and signed by `sign` at `nonce`,
        `nonce + 1`, ... and stored as batches with their transactions in one transaction, as
        mint batches are; none when none waits. Swaps `sign` refuses are settled in the same
        transaction (and, if it refused them all, the next ones taken). If signing raises,
        nothing changes."""
        while True:
            async with self.pool.acquire() as conn, conn.transaction():
                rows = await conn.fetch(
                    CLAIM_SWAPS_SQL, self.chain_id, self._swaps_contract, DEADLINE_MARGIN_S, count
                )
                if not rows:
                    return []
                jobs = [swap_job_of(row) for row in rows]
                outcomes = await sign(jobs, nonce)
                refused = [
                    (job, o)
                    for job, o in zip(jobs, outcomes, strict=True)
                    if isinstance(o, Refused)
                ]
                signed = [
                    (job, o)
                    for job, o in zip(jobs, outcomes, strict=True)
                    if not isinstance(o, Refused)
                ]
                if refused:
                    await conn.execute(
                        SWAPS_REFUSED_SQL,
                        [job.id for job, _ in refused],
                        [o.error[:MAX_ERROR] for _, o in refused],
                    )
                if signed:
                    stored = await conn.fetch(
                        STORE_SWAP_BATCHES_SQL,
                        self.signer,
                        self.chain_id,
                        self.contract,
                        [nonce + k for k in range(len(signed))],
                        [s.hash for _, s in signed],
                        [s.raw for _, s in signed],
                        [s.max_fee_per_gas for _, s in signed],
                        [s.max_priority_fee_per_gas for _, s in signed],
                        [job.id for job, _ in signed],
                        [job.offer.give_id for job, _ in signed],
                        [job.offer.want_id for job, _ in signed],
                    )
            if signed:
                return [
                    Batch(row["id"], nonce + k, (), (stored_tx(s, row["signed_at"]),), job)
                    for k, ((job, s), row) in enumerate(zip(signed, stored, strict=True))
                ]

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
