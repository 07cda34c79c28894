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

from chain.client import Rejected
from chain.jobs import Batch, Job, Refused, SignedTx, Signer, SwapJob, SwapSigner
from chain.mint_store import MintStore
from chain.minter import Minter, data_of
from chain.settle import settle_orphan, settle_receipt
from chain.swap_calls import SWAP_GAS_ALLOWANCE, swap_call_data
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
        self.room = asyncio.Event()  # set when settled batches leave the window
        self.busy = asyncio.Event()  # set when new batches enter it
        self.sent = asyncio.Event()  # set when the node took batches
        self._orphans: dict[int, float] = {}
        # Hashes this process has broadcast, or queued for `broadcast` to send.
        self._sent: set[str] = set()
        self._outbox: asyncio.Queue[Batch] = asyncio.Queue()
        self._fees_read: tuple[float, tuple[int, int]] | None = None  # (when, fees)

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
        # A snapshot: submit may append new batches meanwhile; they are kept below.
        batches = list(self.in_flight)
        mined_count = await self.minter.nonce("latest")
        hashes = [tx.hash for batch in batches if batch.nonce < mined_count for tx in batch.txs]
        # Every version's receipt of every mined nonce, asked at once (not in one JSON-RPC
        # batch: anvil answers a batch's parts one after another, separate requests together).
        receipts = await asyncio.gather(*(self.minter.receipt(h) for h in hashes))
        by_hash = dict(zip(hashes, receipts, strict=True))
        head = await self.minter.block_number() if self.settings.confirmations > 1 else None
        done: set[int] = set()
        replaced: dict[int, Batch] = {}
        # The common case, mints and swaps alike, settled all at once.
        mined: list[tuple[Batch, str, int]] = []
        for batch in batches:
            if batch.nonce >= mined_count:
                replaced[batch.id] = await self._nudge(batch, resend=resend)
                continue
            # The newest version is the likeliest to be mined.
            receipt = next(
                (r for tx in reversed(batch.txs) if (r := by_hash.get(tx.hash)) is not None), None
            )
            if receipt is None:
                if self._orphaned(batch):
                    log.warning("nonce %d went to a transaction not ours", batch.nonce)
                    await settle_orphan(self.minter, self.store, self.swaps, batch)
                    done.add(batch.id)
                continue
            if head is not None and head - receipt.block + 1 < self.settings.confirmations:
                continue
            if receipt.ok:
                mined.append((batch, receipt.tx_hash, receipt.block))
                continue
            await settle_receipt(
                self.minter, self.store, self.swaps, batch, receipt, self.settings.max_attempts
            )
            done.add(batch.id)
        # A mined batch leaves the window before it is settled, so the next claim overlaps
        # the settling: the node has nothing of it left to do. Should settling fail, the
        # worker starts over, and recovery settles it from its stored transaction.
        done.update(batch.id for batch, _, _ in mined)
        self.in_flight = [replaced.get(b.id, b) for b in self.in_flight if b.id not in done]
        if done:
            self.room.set()
        if mined:
            await self.store.settle_mined(mined)

    def _orphaned(self, batch: Batch) -> bool:
        first = self._orphans.setdefault(batch.id, time.monotonic())
        if time.monotonic() - first < ORPHAN_GRACE_S:
            return False
        del self._orphans[batch.id]
        return True

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
        await self._mark_sent([tx_hash])
        return True

    async def _mark_sent(self, tx_hashes: list[str]) -> None:
        self._sent.update(tx_hashes)
        await self.store.mark_sent(tx_hashes)

    # -- new batches --------------------------------------------------------------------------

    async def submit(self) -> None:
        """Claim, sign and store new batches while the window has room, and queue them for
        `broadcast`: accepted swaps first (fans are watching them), one batch each, else
        batches of up to `batch_max` mints; as many as the window has room for, claimed and
        stored in one transaction. The node mines what was sent meanwhile."""
        self.backlog = True
        self.room.clear()
        while len(self.in_flight) < self.settings.max_in_flight:
            # Read at most once a poll: the chain is asked even when nothing waits, so an
            # idle worker still notices a node gone away.
            fees = await self._fees()
            nonce = self.next_nonce
            room = self.settings.max_in_flight - len(self.in_flight)
            batches = await self.swaps.claim(room, nonce, self._swap_signer(fees))
            swaps = bool(batches)
            if not swaps:
                batches = await self.store.claim(
                    self.settings.batch_max, room, nonce, self._signer(fees)
                )
            if not batches:
                self.backlog = False
                return
            self.next_nonce = nonce + len(batches)
            self.in_flight.extend(batches)
            for batch in batches:
                self._sent.add(batch.latest.hash)  # `track` leaves it to the broadcast
                self._outbox.put_nowait(batch)
            self.busy.set()
            if not swaps and len(batches) < room:
                # The queue gave less than the window could take: nothing else waits.
                self.backlog = False
                return

    async def broadcast(self) -> None:
        """Send the batches `submit` stored, in nonce order, as they come (those queued
        meanwhile together); runs until cancelled. Each send waits for the node, so signing
        and storing the next batches overlaps with the node's work on these."""
        while True:
            group = [await self._outbox.get()]
            while not self._outbox.empty():
                group.append(self._outbox.get_nowait())
            await self._broadcast(group)

    async def _broadcast(self, batches: list[Batch]) -> None:
        sent: list[str] = []
        # All at once, in nonce order: one round trip for the batches one claim stored.
        refusals = await self.minter.send_all([batch.latest.raw for batch in batches])
        for batch, err in zip(batches, refusals, strict=True):
            if err is not None:
                if err.nonce_too_low or err.underpriced:
                    raise NonceConflict(f"nonce {batch.nonce}: {err.message}")
                # Kept pending: the next steps resend it, then replace it if it stays stuck.
                log.error("node refused %s: %s", batch.latest.hash, err.message)
                self._sent.discard(batch.latest.hash)
                continue
            sent.append(batch.latest.hash)
        # (A failure above leaves some unmarked: the next run's recovery sends them all again.)
        if sent:
            await self._mark_sent(sent)
            self.sent.set()

    async def _fees(self) -> tuple[int, int]:
        """(max fee, priority fee) for new transactions: twice the base fee plus the
        priority fee, read from the chain again once it is `poll_s` old."""
        now = time.monotonic()
        if self._fees_read is None or now - self._fees_read[0] >= self.settings.poll_s:
            priority = self.settings.priority_fee_wei
            self._fees_read = (now, (2 * await self.minter.base_fee() + priority, priority))
        return self._fees_read[1]

    def _signer(self, fees: tuple[int, int]) -> Signer:
        max_fee, priority = fees

        async def sign(jobs: Sequence[Job], nonce: int) -> SignedTx:
            gas = await self.minter.gas_for(jobs)
            return self.minter.sign(
                jobs,
                nonce=nonce,
                gas=gas,
                max_fee_per_gas=max_fee,
                max_priority_fee_per_gas=priority,
            )

        return sign

    def _swap_signer(self, fees: tuple[int, int]) -> SwapSigner:
        max_fee, priority = fees

        async def sign(jobs: Sequence[SwapJob], nonce: int) -> list[SignedTx | Refused]:
            # One simulation per swap, all at once: a round trip's wait, not one each (a
            # JSON-RPC batch would be one request, but anvil answers its parts one by one).
            refusals = await asyncio.gather(*(self.minter.simulate_swap(job) for job in jobs))
            signed: list[SignedTx | Refused] = []
            for job, refused in zip(jobs, refusals, strict=True):
                if refused is not None:
                    log.warning(
                        "swap %d not sent, the contract refuses it: %s", job.id, refused.error
                    )
                    signed.append(refused)
                    continue
                signed.append(
                    self.minter.sign_data(
                        swap_call_data(job),
                        nonce=nonce,
                        gas=SWAP_GAS_ALLOWANCE,
                        max_fee_per_gas=max_fee,
                        max_priority_fee_per_gas=priority,
                    )
                )
                nonce += 1
            return signed

        return sign
