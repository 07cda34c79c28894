"""The nonce discipline of one signing key: what the worker has in flight, and how each batch
gets onto the chain exactly once.

- A batch (a mint, or a swap) is signed at the next nonce and stored with its jobs' new status
  in one database transaction, before it is broadcast: a process killed at any moment finds
  on restart every transaction it may have sent, and sends the same bytes again.
- A batch not mined after `replace_after_s` is replaced at its nonce with higher fees; all its
  versions share the nonce, so at most one is ever mined.
- Receipts settle batches (settle.py); a nonce the chain used for a transaction not ours
  returns its jobs to the queue.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from chain.jobs import Batch, Job, Refused, SignedTx, Signer, SwapJob, SwapSigner
from chain.mint_store import MintStore
from chain.minter import Minter, Receipt, Rejected, data_of
from chain.settle import settle_orphan, settle_receipt
from chain.swap_calls import swap_call_data
from chain.swap_store import SwapStore
from infra.settings import MintSettings

log = logging.getLogger("geohunt.worker")

# A nonce the chain has used while none of our hashes has a receipt: give the node this long
# to index the receipt before deciding that another transaction took the nonce.
ORPHAN_GRACE_S = 10.0


class NonceConflict(RuntimeError):
    """A transaction we did not expect holds our next nonce."""


class Sender:
    def __init__(
        self, settings: MintSettings, minter: Minter, store: MintStore, swaps: SwapStore
    ) -> None:
        self.settings = settings
        self.minter = minter
        self.store = store
        self.swaps = swaps
        self.in_flight: list[Batch] = []
        self.next_nonce = 0
        self.backlog = False  # jobs were left queued because the window was full
        self._orphans: dict[int, float] = {}
        self._sent: set[str] = set()  # hashes this process has broadcast

    # -- recovery -----------------------------------------------------------------------------

    async def recover(self) -> None:
        """Settle or resend what an earlier run left pending, then take up the nonce."""
        self.in_flight = await self.store.pending()
        self._orphans.clear()
        self._sent.clear()
        if self.in_flight:
            log.info("recovering %d pending batches", len(self.in_flight))
        await self.track(resend=True)
        mined = await self.minter.nonce("latest")
        pending = await self.minter.nonce("pending")
        ours = max((b.nonce + 1 for b in self.in_flight), default=0)
        self.next_nonce = max(mined, pending, ours)
        log.info("next nonce %d (chain %d mined, %d pending)", self.next_nonce, mined, pending)

    # -- receipts, replacements -------------------------------------------------------------

    async def track(self, *, resend: bool = False) -> None:
        if not self.in_flight:
            return
        mined_count = await self.minter.nonce("latest")
        head = await self.minter.block_number() if self.settings.confirmations > 1 else None
        done: set[int] = set()
        replaced: dict[int, Batch] = {}
        # A snapshot: submit may append new batches meanwhile; they are kept below.
        batches = list(self.in_flight)
        # The receipts of every mined nonce asked at once: one round trip's wait, not one each.
        receipts = await asyncio.gather(
            *(self._receipt(b) for b in batches if b.nonce < mined_count)
        )
        found = iter(receipts)
        for batch in batches:
            if batch.nonce >= mined_count:
                replaced[batch.id] = await self._nudge(batch, resend=resend)
                continue
            receipt = next(found)
            if receipt is None:
                if self._orphaned(batch):
                    log.warning("nonce %d went to a transaction not ours", batch.nonce)
                    await settle_orphan(self.minter, self.store, self.swaps, batch)
                    done.add(batch.id)
                continue
            if head is not None and head - receipt.block + 1 < self.settings.confirmations:
                continue
            await settle_receipt(
                self.minter, self.store, self.swaps, batch, receipt, self.settings.max_attempts
            )
            done.add(batch.id)
        self.in_flight = [replaced.get(b.id, b) for b in self.in_flight if b.id not in done]

    def _orphaned(self, batch: Batch) -> bool:
        first = self._orphans.setdefault(batch.id, time.monotonic())
        if time.monotonic() - first < ORPHAN_GRACE_S:
            return False
        del self._orphans[batch.id]
        return True

    async def _receipt(self, batch: Batch) -> Receipt | None:
        for tx in reversed(batch.txs):  # the newest version is the likeliest to be mined
            receipt = await self.minter.receipt(tx.hash)
            if receipt is not None:
                return receipt
        return None

    async def _nudge(self, batch: Batch, *, resend: bool) -> Batch:
        """A batch not mined yet: send it if it never left, replace it if it is stuck."""
        latest = batch.latest
        age = time.time() - latest.signed_at.timestamp()
        if age >= self.settings.replace_after_s:
            return await self._replace(batch)
        if resend or (latest.sent_at is None and latest.hash not in self._sent):
            await self._send(latest.hash, latest.raw)
        return batch

    async def _replace(self, batch: Batch) -> Batch:
        latest = batch.latest
        bump = 100 + self.settings.fee_bump_percent
        priority = max(
            latest.max_priority_fee_per_gas * bump // 100 + 1, self.settings.priority_fee_wei
        )
        base_fee = await self.minter.base_fee()
        max_fee = max(latest.max_fee_per_gas * bump // 100 + 1, 2 * base_fee + priority)
        signed = self.minter.sign_data(
            data_of(batch),
            nonce=batch.nonce,
            gas=await self.minter.gas_of(batch),
            max_fee_per_gas=max_fee,
            max_priority_fee_per_gas=priority,
        )
        batch = await self.store.add_replacement(batch, signed)
        log.warning(
            "nonce %d not mined after %.0f s: replaced by %s at %d wei/gas",
            batch.nonce,
            self.settings.replace_after_s,
            signed.hash,
            max_fee,
        )
        await self._send(signed.hash, signed.raw)
        return batch

    async def _send(self, tx_hash: str, raw: bytes) -> bool:
        try:
            await self.minter.send(raw)
        except Rejected as err:
            if err.nonce_too_low:
                return False  # mined already (ours or not): the receipt check settles it
            log.error("node refused %s: %s", tx_hash, err.message)
            return False
        await self._mark_sent(tx_hash)
        return True

    async def _mark_sent(self, tx_hash: str) -> None:
        self._sent.add(tx_hash)
        await self.store.mark_sent(tx_hash)

    # -- new batches --------------------------------------------------------------------------

    async def submit(self) -> None:
        """Claim, sign, store and send new batches while the window has room: an accepted swap
        first (a fan is watching it), else up to `batch_max` mints."""
        fees: tuple[int, int] | None = None
        self.backlog = True
        while len(self.in_flight) < self.settings.max_in_flight:
            if fees is None:
                priority = self.settings.priority_fee_wei
                fees = (2 * await self.minter.base_fee() + priority, priority)
            nonce = self.next_nonce
            batch = await self.swaps.claim(nonce, self._swap_signer(nonce, *fees))
            if batch is None:
                batch = await self.store.claim(
                    self.settings.batch_max, nonce, self._signer(nonce, *fees)
                )
            if batch is None:
                self.backlog = False
                return
            self.next_nonce = nonce + 1
            self.in_flight.append(batch)
            try:
                await self.minter.send(batch.latest.raw)
            except Rejected as err:
                if err.nonce_too_low or err.underpriced:
                    raise NonceConflict(f"nonce {nonce}: {err.message}") from None
                # Kept pending: the next steps resend it, then replace it if it stays stuck.
                log.error("node refused %s: %s", batch.latest.hash, err.message)
                continue
            await self._mark_sent(batch.latest.hash)

    def _signer(self, nonce: int, max_fee: int, priority: int) -> Signer:
        async def sign(jobs: Sequence[Job]) -> SignedTx:
            gas = await self.minter.gas_for(jobs)
            return self.minter.sign(
                jobs,
                nonce=nonce,
                gas=gas,
                max_fee_per_gas=max_fee,
                max_priority_fee_per_gas=priority,
            )

        return sign

    def _swap_signer(self, nonce: int, max_fee: int, priority: int) -> SwapSigner:
        async def sign(job: SwapJob) -> SignedTx | Refused:
            gas = await self.minter.estimate_swap(job)
            if isinstance(gas, Refused):
                log.warning("swap %d not sent, the contract refuses it: %s", job.id, gas.error)
                return gas
            return self.minter.sign_data(
                swap_call_data(job),
                nonce=nonce,
                gas=gas,
                max_fee_per_gas=max_fee,
                max_priority_fee_per_gas=priority,
            )

        return sign
