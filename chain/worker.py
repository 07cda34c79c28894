"""`geohunt worker`: moves mint jobs and accepted swaps from the outbox onto the chain, exactly
once.

One sender per signing key: a worker sends only while it holds a PostgreSQL advisory lock on
its key, so a second worker with the same key waits as a standby. A worker given several keys
(MINTER_PRIVATE_KEYS) runs one `MintWorker` per key (`run_senders`): it sends with the keys
whose locks it gets and keeps trying the others, so it takes over a key whose worker died.
The keys' senders share the outbox: each claims its jobs with SKIP LOCKED, so a job goes to
one key's batch, and each key's batches are stored under its own address, which is how only
the holder of a key's lock ever resumes them. The sender (sender.py) keeps
the nonce itself (read from the chain at start and after any surprise), signs each batch and
stores it before broadcasting, and settles batches from their receipts (settle.py). Whatever
stops it (a crash, a node that goes away, a lost database connection) it starts over from what
is stored: the pending batches and their signed transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Sequence
from typing import Any

import asyncpg

from chain.client import ChainUnavailable
from chain.mint_store import MintStore
from chain.minter import Minter
from chain.sender import NonceConflict, Sender
from chain.swap_store import SwapStore
from infra.listen import Notifications
from infra.locks import AdvisoryLock, try_session_lock
from infra.settings import MintSettings, SettingsError

log = logging.getLogger("geohunt.worker")

MINT_CHANNEL = "geohunt_mint"
HEARTBEAT_S = 5.0
MIN_BACKOFF_S = 0.5
MAX_BACKOFF_S = 10.0
HEALTHY_RUN_S = 30.0
# After a broadcast the receipts are looked for again at these delays (then every
# receipt_poll_s): a node that mines on receipt may answer the send before its block is in.
QUICK_LOOKS_S = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)


class LostSenderLock(RuntimeError):
    """The connection holding the sender lock went away: stop sending at once."""


def sender_lock_key(address: str) -> int:
    """The key's lock in the MINT_SENDER space (a signed 32-bit int, from the address)."""
    return zlib.crc32(address.lower().encode()) - 2**31


class Every:
    """Work that a process does at most once every `seconds`, whichever of its senders gets
    to it first (closing swaps past their deadline concerns the outbox, not a key)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last = 0.0

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.seconds:
            return False
        self._last = now
        return True


async def run_senders(
    settings: MintSettings,
    pool: asyncpg.Pool,
    database_url: str,
    minters: Sequence[Minter],
    stop: asyncio.Event,
) -> None:
    """One sender loop per key, all at once, until `stop`: each sends while it holds its key's
    lock and stands by while another worker does."""
    locks = [sender_lock_key(m.address) for m in minters]
    if len(set(locks)) != len(locks):
        # Two keys on one lock would make each the other's standby for ever.
        raise SettingsError("two minting keys share a sender lock id: use another key")
    expiry = Every(HEARTBEAT_S)
    async with asyncio.TaskGroup() as group:
        for minter in minters:
            worker = MintWorker(settings, pool, database_url, minter, expiry)
            group.create_task(worker.run(stop))


class MintWorker:
    def __init__(
        self,
        settings: MintSettings,
        pool: asyncpg.Pool,
        database_url: str,
        minter: Minter,
        expiry: Every | None = None,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.database_url = database_url
        self.minter = minter
        self._expiry = expiry or Every(HEARTBEAT_S)
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
        key = sender_lock_key(self.minter.address)
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
        address, contract = self.minter.address, self.minter.contract_address
        sender = Sender(
            self.settings,
            self.minter,
            MintStore(self.pool, address, chain_id, contract),
            SwapStore(self.pool, address, chain_id, contract),
        )
        await sender.recover()
        # Three loops: claiming and storing new batches, sending them, and settling them from
        # their receipts. Each waits on something else (the database and signing, the node,
        # the receipts), so the node always has the next batches while the worker settles
        # the last ones and stores the next ones.
        try:
            async with asyncio.TaskGroup() as group:
                broadcast = group.create_task(sender.broadcast())
                loops = [
                    group.create_task(self._feed(sender, stop)),
                    group.create_task(self._follow(sender, lock_conn, stop)),
                ]
                await asyncio.wait(loops)
                broadcast.cancel()  # what it had not sent yet is stored, sent on restart
        except ExceptionGroup as failed:
            # The outer loop decides by the kind of failure: hand it the first one.
            raise failed.exceptions[0] from None

    async def _feed(self, sender: Sender, stop: asyncio.Event) -> None:
        """Claim new batches while the window has room; then wait for room (jobs wait), or
        for a NOTIFY (jobs queued, a swap accepted) or the poll."""
        while not stop.is_set():
            await sender.submit()
            if sender.backlog:
                await until(stop, sender.room.wait(), self.settings.poll_s)
            else:
                await until(stop, self._notifications.wait(self.settings.poll_s), None)

    async def _follow(
        self, sender: Sender, lock_conn: asyncpg.Connection, stop: asyncio.Event
    ) -> None:
        """Settle what the chain mined (and replace what is stuck) every `receipt_poll_s`
        while batches are in flight, and as soon as the node took a broadcast: a node that
        mines on receipt (anvil, a dev chain) has its receipts then, and a window slot waits a
        poll for nothing. Such a node may answer the send a moment before its block is in, so
        a broadcast is followed by a few quick looks (QUICK_LOOKS_S) before the poll resumes;
        elsewhere they cost a few nonce reads a broadcast. Report on the key every few
        seconds."""
        looks: list[float] = []  # the quick looks left since the last broadcast
        while not stop.is_set():
            if lock_conn.is_closed():
                raise LostSenderLock("the lock connection closed")
            sender.busy.clear()
            sender.sent.clear()
            await sender.track()
            await self._heartbeat(sender)
            if not sender.in_flight:
                looks.clear()
                await until(stop, sender.busy.wait(), self.settings.poll_s)
                continue
            wait_s = self.settings.receipt_poll_s
            if looks:
                wait_s = min(wait_s, looks.pop(0))
            await until(stop, sender.sent.wait(), wait_s)
            if sender.sent.is_set():
                looks = list(QUICK_LOOKS_S)

    async def _heartbeat(self, sender: Sender) -> None:
        now = time.monotonic()
        if now - self._last_heartbeat < HEARTBEAT_S:
            return
        self._last_heartbeat = now
        chain_nonce = await self.minter.nonce("pending")
        balance = await self.minter.balance()
        await sender.store.record_signer(sender.next_nonce, chain_nonce, balance)
        if not self._expiry.due():
            return
        expired = await sender.swaps.expire_due()
        if expired:
            log.info("%d swaps closed at their deadline", expired)


async def until(stop: asyncio.Event, event: Awaitable[Any], timeout_s: float | None) -> None:
    """Wait for `event`, `stop` or `timeout_s`, whichever comes first."""
    waiters = [asyncio.ensure_future(event), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
