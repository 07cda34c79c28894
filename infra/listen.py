"""LISTEN/NOTIFY with its polling fallback, written once for every process that follows the
database: the catalog (hunts and clues in memory), the live relay and the minting worker.

A notification is only a hint that something committed: it is lost with the connection that
listened, and a busy listener may fall behind. So every follower also polls, and `wait` returns
at the latest when the poll is due: with the notifications that arrived (a burst comes back as
one batch, so a bulk write costs a few queries), or with none, when the follower polls.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

# Payloads handed back by one `wait`: a bulk import's thousands of notifications become a few
# batches, not one round trip each.
BATCH = 5000


class Notifications:
    """The notifications of one channel, on a connection the caller holds (and may lose)."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._queue: asyncio.Queue[str] = asyncio.Queue()

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self._queue.put_nowait(payload)

    async def attach(self, conn: asyncpg.Connection) -> None:
        """LISTEN on `conn`: its notifications are queued for `wait` from now on."""
        await conn.add_listener(self.channel, self._on_notify)

    async def detach(self, conn: asyncpg.Connection | None) -> None:
        """Stop listening on `conn`; quietly, since it may be gone already.

        A connection that died under us keeps its listener in asyncpg (removing one needs the
        connection), and giving it back to the pool then warns, and under a warnings-as-errors
        filter stops the release half way, so that pool.close() waits for it for ever. Such a
        connection is terminated instead: asyncpg's cleanup drops its listeners and hands its
        slot back to the pool, and a later `pool.release` of it does nothing."""
        if conn is None:
            return
        if not connection_alive(conn):
            with contextlib.suppress(Exception):
                conn.terminate()
            return
        with contextlib.suppress(Exception):
            await conn.remove_listener(self.channel, self._on_notify)

    async def wait(self, timeout_s: float) -> list[str]:
        """The payloads that arrived, at least one, as soon as one does; or [] once `timeout_s`
        passed with none (then poll)."""
        # Not asyncio.wait_for: on 3.11 it swallows a cancellation that lands as a notification
        # arrives, and shutdown would then wait for the follower forever.
        try:
            async with asyncio.timeout(max(0.0, timeout_s)):
                first = await self._queue.get()
        except TimeoutError:
            return []
        payloads = [first]
        while len(payloads) < BATCH and not self._queue.empty():
            payloads.append(self._queue.get_nowait())
        return payloads


def connection_alive(conn: asyncpg.Connection | None) -> bool:
    if conn is None:
        return False
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:
        # The pool noticed the loss first and took the connection back.
        return False
