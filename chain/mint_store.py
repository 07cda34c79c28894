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
from datetime import datetime

import asyncpg

from chain.jobs import Batch, Job, Settled, SignedTx, Signer, StoredTx, swap_job_of
from chain.minting.queries import (
    BATCH_NOT_MINED_SQL,
    BATCHES_MINED_SQL,
    CLAIM_FRESH_SQL,
    CLAIM_RETRIED_SQL,
    DROP_BATCH_SQL,
    INSERT_TX_SQL,
    JOB_MINTED_SQL,
    JOB_NOT_MINTED_SQL,
    MARK_SENT_SQL,
    PENDING_BATCHES_SQL,
    PENDING_JOBS_SQL,
    PENDING_TXS_SQL,
    RECORD_SIGNER_SQL,
    REQUEUE_JOBS_SQL,
    RETRY_FAILED_SQL,
    STORE_BATCHES_SQL,
)
from chain.queries import PENDING_SWAPS_SQL, SWAP_TX_SQL

__all__ = ["Batch", "Job", "MintStore", "Settled", "SignedTx", "Signer", "StoredTx", "retry_failed"]


class MintStore:
    def __init__(self, pool: asyncpg.Pool, signer: str, chain_id: int, contract: str) -> None:
        self.pool = pool
        self.signer = signer.lower()
        self.chain_id = chain_id
        self.contract = contract

    async def claim(self, limit: int, count: int, nonce: int, sign: Signer) -> list[Batch]:
        """Take queued jobs for up to `count` batches of up to `limit` (a retried job alone),
        sign their transactions at `nonce`, `nonce + 1`, ... and store them all in one
        transaction; none when nothing waits. If signing raises, nothing changes."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(CLAIM_RETRIED_SQL, count)
            groups = [[r] for r in rows]
            if len(groups) < count:
                fresh = await conn.fetch(CLAIM_FRESH_SQL, limit * (count - len(groups)))
                groups += [fresh[i : i + limit] for i in range(0, len(fresh), limit)]
            if not groups:
                return []
            jobs = [
                tuple(Job(r["token_id"], r["wallet"], r["attempts"]) for r in g) for g in groups
            ]
            signed = [await sign(part, nonce + k) for k, part in enumerate(jobs)]
            stored = await conn.fetch(
                STORE_BATCHES_SQL,
                self.signer,
                self.chain_id,
                self.contract,
                [nonce + k for k in range(len(jobs))],
                [s.hash for s in signed],
                [s.raw for s in signed],
                [s.max_fee_per_gas for s in signed],
                [s.max_priority_fee_per_gas for s in signed],
                [j.token_id for part in jobs for j in part],
                [k for k, part in enumerate(jobs, 1) for _ in part],
            )
        return [
            Batch(row["id"], nonce + k, part, (stored_tx(s, row["signed_at"]),))
            for k, (part, s, row) in enumerate(zip(jobs, signed, stored, strict=True))
        ]

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
        return stored_tx(signed, row["signed_at"])

    async def mark_sent(self, tx_hashes: Sequence[str]) -> None:
        await self.pool.execute(MARK_SENT_SQL, list(tx_hashes))

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

    async def settle_mined(self, mined: Sequence[tuple[Batch, str, int]]) -> None:
        """Batches whose transactions succeeded, each with its (hash, block), mints and swaps
        alike: settled in one statement (the mints `minted`, the swaps `completed`)."""
        await self.pool.execute(
            BATCHES_MINED_SQL,
            [batch.id for batch, _, _ in mined],
            [tx_hash for _, tx_hash, _ in mined],
            [block for _, _, block in mined],
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


def stored_tx(signed: SignedTx, signed_at: datetime) -> StoredTx:
    """A transaction as stored, not yet sent."""
    return StoredTx(
        signed.hash,
        signed.raw,
        signed.max_fee_per_gas,
        signed.max_priority_fee_per_gas,
        signed_at,
        None,
    )


async def retry_failed(pool: asyncpg.Pool, token_ids: Sequence[int] | None = None) -> int:
    """Requeue failed jobs (all, or those of the given token ids: finds' ids, moments' token
    ids) with a fresh attempt count."""
    requeued = await pool.fetchval(
        RETRY_FAILED_SQL,
        list(token_ids) if token_ids is not None else None,
    )
    return int(requeued)
