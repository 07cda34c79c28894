"""The mint outbox and transaction ledger in PostgreSQL, as the worker sees them.

A job is a token to mint to a wallet: a find's (its token id is the find's id) or a fans'
moment's (2^62 + the moment's id); the worker handles both alike, by token id. The ledger
(batches and their signed transactions) also carries swaps (swap_store.py): `pending` gives
back every unsettled batch of this signer, mint or swap.

Every state change is one short transaction. A batch's signed transaction is stored in the same
transaction that marks its jobs `submitted`, before anything is broadcast, so a worker killed
at any moment finds on restart every hash it may have sent.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from chain.jobs import Batch, Job, Settled, SignedTx, Signer, StoredTx, swap_job_of
from chain.queries import (
    BATCH_JOBS_MINTED_SQL,
    BATCH_MINED_SQL,
    BATCH_NOT_MINED_SQL,
    CLAIM_FRESH_SQL,
    CLAIM_RETRIED_SQL,
    DROP_BATCH_SQL,
    INSERT_BATCH_SQL,
    INSERT_TX_SQL,
    JOB_MINTED_SQL,
    JOB_NOT_MINTED_SQL,
    MARK_SENT_SQL,
    PENDING_BATCHES_SQL,
    PENDING_JOBS_SQL,
    PENDING_SWAPS_SQL,
    PENDING_TXS_SQL,
    RECORD_SIGNER_SQL,
    REQUEUE_JOBS_SQL,
    RETRY_FAILED_SQL,
    SUBMIT_JOBS_SQL,
    SWAP_TX_SQL,
)

__all__ = ["Batch", "Job", "MintStore", "Settled", "SignedTx", "Signer", "StoredTx", "retry_failed"]


class MintStore:
    def __init__(self, pool: asyncpg.Pool, signer: str, chain_id: int, contract: str) -> None:
        self.pool = pool
        self.signer = signer.lower()
        self.chain_id = chain_id
        self.contract = contract

    async def claim(self, limit: int, nonce: int, sign: Signer) -> Batch | None:
        """Take up to `limit` queued jobs, sign their transaction at `nonce` and store both;
        None when nothing waits. If signing raises, nothing changes."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(CLAIM_RETRIED_SQL)
            if not rows:
                rows = await conn.fetch(CLAIM_FRESH_SQL, limit)
            if not rows:
                return None
            jobs = tuple(Job(r["token_id"], r["wallet"], r["attempts"]) for r in rows)
            signed = await sign(jobs)
            batch_id = await conn.fetchval(
                INSERT_BATCH_SQL,
                self.signer,
                self.chain_id,
                self.contract,
                nonce,
                [j.token_id for j in jobs],
            )
            stored = await self.insert_tx(conn, batch_id, signed)
            await conn.execute(
                SUBMIT_JOBS_SQL,
                [j.token_id for j in jobs],
                batch_id,
            )
        return Batch(batch_id, nonce, jobs, (stored,))

    async def add_replacement(self, batch: Batch, signed: SignedTx) -> Batch:
        async with self.pool.acquire() as conn, conn.transaction():
            stored = await self.insert_tx(conn, batch.id, signed)
            if batch.swap is not None:
                await conn.execute(SWAP_TX_SQL, batch.swap.id, signed.hash)
        return Batch(batch.id, batch.nonce, batch.jobs, (*batch.txs, stored), batch.swap)

    @staticmethod
    async def insert_tx(conn: asyncpg.Connection, batch_id: int, signed: SignedTx) -> StoredTx:
        row = await conn.fetchrow(
            INSERT_TX_SQL,
            signed.hash,
            batch_id,
            signed.raw,
            signed.max_fee_per_gas,
            signed.max_priority_fee_per_gas,
        )
        return StoredTx(
            signed.hash,
            signed.raw,
            signed.max_fee_per_gas,
            signed.max_priority_fee_per_gas,
            row["signed_at"],
            None,
        )

    async def mark_sent(self, tx_hash: str) -> None:
        await self.pool.execute(MARK_SENT_SQL, tx_hash)

    async def pending(self) -> list[Batch]:
        """This signer's unsettled batches on this chain, in nonce order."""
        async with self.pool.acquire() as conn:
            batches = await conn.fetch(
                PENDING_BATCHES_SQL,
                self.signer,
                self.chain_id,
            )
            if not batches:
                return []
            ids = [b["id"] for b in batches]
            jobs = await conn.fetch(
                PENDING_JOBS_SQL,
                ids,
            )
            txs = await conn.fetch(
                PENDING_TXS_SQL,
                ids,
            )
            swap_ids = [b["swap_id"] for b in batches if b["swap_id"] is not None]
            swaps = await conn.fetch(PENDING_SWAPS_SQL, swap_ids) if swap_ids else []
        jobs_of: dict[int, list[Job]] = {i: [] for i in ids}
        for r in jobs:
            jobs_of[r["batch_id"]].append(Job(r["token_id"], r["wallet"], r["attempts"]))
        txs_of: dict[int, list[StoredTx]] = {i: [] for i in ids}
        for r in txs:
            txs_of[r["batch_id"]].append(
                StoredTx(
                    r["hash"],
                    bytes(r["raw"]),
                    int(r["max_fee_per_gas"]),
                    int(r["max_priority_fee_per_gas"]),
                    r["signed_at"],
                    r["sent_at"],
                )
            )
        swap_of = {r["id"]: swap_job_of(r) for r in swaps}
        return [
            Batch(
                b["id"],
                b["nonce"],
                tuple(jobs_of[b["id"]]),
                tuple(txs_of[b["id"]]),
                swap_of.get(b["swap_id"]),
            )
            for b in batches
        ]

    async def settle_mined(self, batch: Batch, tx_hash: str, block: int) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                BATCH_MINED_SQL,
                batch.id,
                tx_hash,
                block,
            )
            await conn.execute(
                BATCH_JOBS_MINTED_SQL,
                batch.id,
                tx_hash,
                self.contract,
                self.chain_id,
            )

    async def settle_reverted(
        self,
        batch: Batch,
        tx_hash: str | None,
        block: int | None,
        outcomes: Sequence[Settled],
        max_attempts: int,
    ) -> None:
        """Close a batch that did not mint (a revert, or its nonce taken by another
        transaction): tokens the chain shows as the wallet's are minted, the rest go back to
        the queue, or fail once they have been tried `max_attempts` times."""
        status = "reverted" if tx_hash is not None else "dropped"
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                BATCH_NOT_MINED_SQL,
                batch.id,
                status,
                tx_hash,
                block,
            )
            for outcome in outcomes:
                if outcome.minted:
                    await conn.execute(
                        JOB_MINTED_SQL,
                        outcome.token_id,
                        outcome.tx_hash,
                        self.contract,
                        self.chain_id,
                        batch.id,
                    )
                else:
                    await conn.execute(
                        JOB_NOT_MINTED_SQL,
                        outcome.token_id,
                        outcome.error,
                        max_attempts,
                        batch.id,
                    )

    async def requeue(self, batch: Batch) -> None:
        """Give a batch's jobs back to the queue without counting an attempt: its nonce was
        used by another transaction, so it never reached the chain."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(DROP_BATCH_SQL, batch.id)
            await conn.execute(REQUEUE_JOBS_SQL, batch.id)

    async def record_signer(
        self, local_nonce: int | None, chain_nonce: int | None, balance_wei: int | None
    ) -> None:
        await self.pool.execute(
            RECORD_SIGNER_SQL,
            self.signer,
            self.chain_id,
            self.contract,
            local_nonce,
            chain_nonce,
            balance_wei,
        )


async def retry_failed(pool: asyncpg.Pool, token_ids: Sequence[int] | None = None) -> int:
    """Requeue failed jobs (all, or those of the given token ids: finds' ids, moments' token
    ids) with a fresh attempt count."""
    requeued = await pool.fetchval(
        RETRY_FAILED_SQL,
        list(token_ids) if token_ids is not None else None,
    )
    return int(requeued)
