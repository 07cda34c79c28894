"""`geohunt worker`: moves mint jobs from the outbox onto the chain, exactly once.

One sender per signing key: a worker sends only while it holds a PostgreSQL advisory lock on
its key, so a second worker with the same key waits as a standby. The sender keeps the nonce
itself (read from the chain at start and after any surprise), signs each batch and stores it
before broadcasting, and settles batches from their receipts. Whatever stops it (a crash, a
node that goes away, a lost database connection) it starts over from what is stored: the
pending batches and their signed transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import AsyncIterator, Sequence

import asyncpg

from chain.mint_store import Batch, Job, MintStore, Settled, SignedTx, Signer
from chain.minter import ChainUnavailable, Minter, Receipt, Rejected
from infra.listen import Notifications
from infra.locks import AdvisoryLock, try_session_lock
from infra.settings import MintSettings

log = logging.getLogger("geohunt.worker")

MINT_CHANNEL = "geohunt_mint"
HEARTBEAT_S = 5.0
# A nonce the chain has used while none of our hashes has a receipt: give the node this long
# to index the receipt before deciding that another transaction took the nonce.
ORPHAN_GRACE_S = 10.0
MIN_BACKOFF_S = 0.5
MAX_BACKOFF_S = 10.0
HEALTHY_RUN_S = 30.0


class LostSenderLock(RuntimeError):
    """The connection holding the sender lock went away: stop sending at once."""


class NonceConflict(RuntimeError):
    """A transaction we did not expect holds our next nonce."""


class MintWorker:
    def __init__(
        self,
        settings: MintSettings,
        pool: asyncpg.Pool,
        database_url: str,
        minter: Minter,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.database_url = database_url
        self.minter = minter
        self.in_flight: list[Batch] = []
        self.next_nonce = 0
        self._orphans: dict[int, float] = {}
        self._sent: set[str] = set()  # hashes this process has broadcast
        self._backlog = False  # jobs were left queued because the window was full
        self._last_heartbeat = 0.0
        self._notifications = Notifications(MINT_CHANNEL)

    # -- the outer loop: hold the lock, serve, start over after any failure ----------------

    async def run(self, stop: asyncio.Event) -> None:
        backoff = MIN_BACKOFF_S
        while not stop.is_set():
            started = time.monotonic()
            try:
                async with self._sender_lock(stop) as lock_conn:
                    if lock_conn is None:
                        return  # asked to stop while waiting for the lock
                    await self._serve(lock_conn, stop)
            except ChainUnavailable as err:
                log.warning("chain unavailable, retrying in %.1f s: %s", backoff, err)
            except (NonceConflict, LostSenderLock) as err:
                log.warning("starting over: %s", err)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
                log.warning("database unavailable, retrying in %.1f s: %s", backoff, err)
            except RuntimeError as err:  # misconfiguration: say so, keep trying
                log.error("cannot mint: %s", err)
            except Exception:  # whatever else: everything needed to resume is stored
                log.exception("unexpected failure; starting over")
            if time.monotonic() - started > HEALTHY_RUN_S:
                backoff = MIN_BACKOFF_S  # a new outage, not the same one going on
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    @contextlib.asynccontextmanager
    async def _sender_lock(self, stop: asyncio.Event) -> AsyncIterator[asyncpg.Connection | None]:
        key = zlib.crc32(self.minter.address.lower().encode()) - 2**31
        conn = await asyncpg.connect(self.database_url)
        announced = False
        try:
            while not await try_session_lock(conn, AdvisoryLock.MINT_SENDER, key):
                if not announced:
                    log.info("another worker sends for %s; standing by", self.minter.address)
                    announced = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.poll_s)
                if stop.is_set():
                    yield None
                    return
            await self._notifications.attach(conn)
            log.info("sending for %s", self.minter.address)
            yield conn
        finally:
            # Closing the session releases the lock.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 5)

    async def _serve(self, lock_conn: asyncpg.Connection, stop: asyncio.Event) -> None:
        chain_id = await self.minter.connect()
        store = MintStore(self.pool, self.minter.address, chain_id, self.minter.contract_address)
        await self._recover(store)
        while not stop.is_set():
            if lock_conn.is_closed():
                raise LostSenderLock("the lock connection closed")
            await self.step(store)
            if self._backlog and len(self.in_flight) < self.settings.max_in_flight:
                continue  # jobs wait and the window has room again: no sleeping
            wait = self.settings.receipt_poll_s if self.in_flight else self.settings.poll_s
            # Woken by a NOTIFY (jobs queued), at the poll, or by `stop`.
            waiters = [
                asyncio.ensure_future(self._notifications.wait(wait)),
                asyncio.ensure_future(stop.wait()),
            ]
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    async def step(self, store: MintStore) -> None:
        # Settling mined batches and sending new ones wait on different things (receipts and
        # the database; signing and the node): overlapped, the chain sets the pace.
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._track(store))
                group.create_task(self._submit(store))
        except ExceptionGroup as failed:
            # The outer loop decides by the kind of failure: hand it the first one.
            raise failed.exceptions[0] from None
        await self._heartbeat(store)

    # -- recovery -----------------------------------------------------------------------------

    async def _recover(self, store: MintStore) -> None:
        """Settle or resend what an earlier run left pending, then take up the nonce."""
        self.in_flight = await store.pending()
        self._orphans.clear()
        self._sent.clear()
        if self.in_flight:
            log.info("recovering %d pending batches", len(self.in_flight))
        await self._track(store, resend=True)
        mined = await self.minter.nonce("latest")
        pending = await self.minter.nonce("pending")
        ours = max((b.nonce + 1 for b in self.in_flight), default=0)
        self.next_nonce = max(mined, pending, ours)
        log.info("next nonce %d (chain %d mined, %d pending)", self.next_nonce, mined, pending)

    # -- receipts, replacements -------------------------------------------------------------

    async def _track(self, store: MintStore, *, resend: bool = False) -> None:
        if not self.in_flight:
            return
        mined_count = await self.minter.nonce("latest")
        head = await self.minter.block_number() if self.settings.confirmations > 1 else None
        done: set[int] = set()
        replaced: dict[int, Batch] = {}
        # A snapshot: _submit may append new batches meanwhile; they are kept below.
        batches = list(self.in_flight)
        # The receipts of every mined nonce asked at once: one round trip's wait, not one each.
        receipts = await asyncio.gather(
            *(self._receipt(b) for b in batches if b.nonce < mined_count)
        )
        found = iter(receipts)
        for batch in batches:
            if batch.nonce >= mined_count:
                replaced[batch.id] = await self._nudge(store, batch, resend=resend)
                continue
            receipt = next(found)
            if receipt is None:
                if self._orphaned(batch):
                    log.warning("nonce %d went to a transaction not ours: requeued", batch.nonce)
                    await store.requeue(batch)
                    done.add(batch.id)
                continue
            if head is not None and head - receipt.block + 1 < self.settings.confirmations:
                continue
            await self._settle(store, batch, receipt)
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

    async def _settle(self, store: MintStore, batch: Batch, receipt: Receipt) -> None:
        if receipt.ok:
            await store.settle_mined(batch, receipt.tx_hash, receipt.block)
            return
        # A reverted batch minted nothing; tokens the wallet owns were minted by an earlier
        # transaction (a retry, a replacement), so the chain settles each one.
        outcomes: list[Settled] = []
        for job in batch.jobs:
            owner = await self.minter.owner_of(job.token_id)
            if owner == job.wallet:
                tx_hash = await self.minter.mint_tx_of(job.token_id)
                outcomes.append(Settled(job.token_id, minted=True, tx_hash=tx_hash))
            elif owner is None:
                outcomes.append(
                    Settled(job.token_id, minted=False, error=f"{receipt.tx_hash} reverted")
                )
            else:
                outcomes.append(
                    Settled(job.token_id, minted=False, error=f"token is owned by {owner}")
                )
        log.warning(
            "batch at nonce %d reverted (%s): %d already minted",
            batch.nonce,
            receipt.tx_hash,
            sum(o.minted for o in outcomes),
        )
        await store.settle_reverted(
            batch, receipt.tx_hash, receipt.block, outcomes, self.settings.max_attempts
        )

    async def _nudge(self, store: MintStore, batch: Batch, *, resend: bool) -> Batch:
        """A batch not mined yet: send it if it never left, replace it if it is stuck."""
        latest = batch.latest
        age = time.time() - latest.signed_at.timestamp()
        if age >= self.settings.replace_after_s:
            return await self._replace(store, batch)
        if resend or (latest.sent_at is None and latest.hash not in self._sent):
            await self._send(store, latest.hash, latest.raw)
        return batch

    async def _replace(self, store: MintStore, batch: Batch) -> Batch:
        latest = batch.latest
        bump = 100 + self.settings.fee_bump_percent
        priority = max(
            latest.max_priority_fee_per_gas * bump // 100 + 1, self.settings.priority_fee_wei
        )
        base_fee = await self.minter.base_fee()
        max_fee = max(latest.max_fee_per_gas * bump // 100 + 1, 2 * base_fee + priority)
        gas = await self.minter.gas_for(batch.jobs)
        signed = self.minter.sign(
            batch.jobs,
            nonce=batch.nonce,
            gas=gas,
            max_fee_per_gas=max_fee,
            max_priority_fee_per_gas=priority,
        )
        batch = await store.add_replacement(batch, signed)
        log.warning(
            "nonce %d not mined after %.0f s: replaced by %s at %d wei/gas",
            batch.nonce,
            self.settings.replace_after_s,
            signed.hash,
            max_fee,
        )
        await self._send(store, signed.hash, signed.raw)
        return batch

    async def _send(self, store: MintStore, tx_hash: str, raw: bytes) -> bool:
        try:
            await self.minter.send(raw)
        except Rejected as err:
            if err.nonce_too_low:
                return False  # mined already (ours or not): the receipt check settles it
            log.error("node refused %s: %s", tx_hash, err.message)
            return False
        await self._mark_sent(store, tx_hash)
        return True

    async def _mark_sent(self, store: MintStore, tx_hash: str) -> None:
        self._sent.add(tx_hash)
        await store.mark_sent(tx_hash)

    # -- new batches --------------------------------------------------------------------------

    async def _submit(self, store: MintStore) -> None:
        fees: tuple[int, int] | None = None
        self._backlog = True
        while len(self.in_flight) < self.settings.max_in_flight:
            if fees is None:
                priority = self.settings.priority_fee_wei
                fees = (2 * await self.minter.base_fee() + priority, priority)
            nonce = self.next_nonce
            batch = await store.claim(self.settings.batch_max, nonce, self._signer(nonce, *fees))
            if batch is None:
                self._backlog = False
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
            await self._mark_sent(store, batch.latest.hash)

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

    async def _heartbeat(self, store: MintStore) -> None:
        now = time.monotonic()
        if now - self._last_heartbeat < HEARTBEAT_S:
            return
        self._last_heartbeat = now
        chain_nonce = await self.minter.nonce("pending")
        balance = await self.minter.balance()
        await store.record_signer(self.next_nonce, chain_nonce, balance)
