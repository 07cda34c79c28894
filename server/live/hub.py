"""One subscriber per process: reads the streams of the hunts that have clients here (XREAD
BLOCK on all of them at once) and fans every message out to this process's WebSocket and SSE
clients. On a Redis Cluster one XREAD may only name streams of one hash slot: the hunts are
read in groups of a slot, each group by a reader of its own on the node that holds it, all at
once (a quiet group's blocking read never holds up a busy one).

A client joins before it is sent its snapshot (or its replay), and buffers what arrives
meanwhile; once caught up it goes live and skips what its catch-up already covered (stream ids
up to its position). Whatever the hub reads after the join is either covered by the catch-up or
delivered: nothing falls between. A client whose socket does not drain, or whose catch-up
buffer overflows, is dropped without delaying anyone else.

Messages of a hunt go out together when they come less than `FLUSH_EVERY_S` apart: one write
per client per interval, which is what lets a process feed hundreds of screens with a hundred
finds a second (see BENCHMARKS.md, "Live pushes").

After the finds of a read the hub sends a `leaderboard` message (the top ten), at most one per
hunt every `LEADERBOARD_EVERY_S`: a burst of finds costs one read of the ranking.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from infra.redis_client import (
    REDIS_FAILURES,
    RedisClient,
    StreamEntries,
    guarded,
    is_cluster,
    slot_of,
    stream_entries,
    stream_reads,
)
from server.common.leaderboard import Leaderboard
from server.live.frames import Batch, Message, Sink, parse_event_id
from server.live.relay import stream_key

log = logging.getLogger(__name__)

BLOCK_MS = 250  # how late a hunt that just got its first client here starts being read
READ_COUNT = 1000
PENDING_MAX = 5000  # messages a client may miss while it catches up
LEADERBOARD_EVERY_S = 0.2
# A hunt's messages go out at once, unless its last send was less than this ago: then they wait
# and go together. A message waits that long at most, and a busy hunt costs each client one
# write per interval instead of one per message (system calls are most of a send's cost).
FLUSH_EVERY_S = 0.02
TOP = 10


class Client:
    def __init__(self, hub: Hub, hunt_id: int, sink: Sink) -> None:
        self.hub = hub
        self.hunt_id = hunt_id
        self.sink = sink
        self.live = False
        self.after: tuple[int, int] = (0, 0)
        self.pending: list[Message] = []
        self.closed = asyncio.Event()
        self.dropped = False
        self.on_close: Callable[[], Awaitable[Any]] | None = None

    def offer_batch(self, batch: Batch) -> None:
        if self.closed.is_set():
            return
        if not self.live or (batch.first is not None and batch.first <= self.after):
            for message in batch.messages:  # buffering, or some were in the catch-up
                self.offer(message)
            return
        if not self.sink.write(batch.frames(self.sink)):
            self.drop("slow or gone")

    def offer(self, message: Message) -> None:
        if self.closed.is_set():
            return
        if not self.live:
            self.pending.append(message)
            if len(self.pending) > PENDING_MAX:
                self.drop("fell behind while catching up")
            return
        if message.numbered and message.position <= self.after:
            return
        if not self.sink.send(message):
            self.drop("slow or gone")

    def go_live(self, after: tuple[int, int]) -> None:
        """Caught up to stream position `after`: send what waited, then follow."""
        self.after = after
        self.live = True
        pending, self.pending = self.pending, []
        for message in pending:
            self.offer(message)

    def drop(self, why: str) -> None:
        if self.closed.is_set():
            return
        self.dropped = True
        log.info("live client of hunt %s dropped: %s", self.hunt_id, why)
        self.sink.abort()
        self.close()

    def close(self) -> None:
        self.closed.set()
        self.hub.leave(self)


class Hub:
    def __init__(self, redis: RedisClient, prefix: str, leaderboard: Leaderboard) -> None:
        self._redis = redis
        self._prefix = prefix
        self._leaderboard = leaderboard
        self._clients: dict[int, set[Client]] = {}
        self._positions: dict[int, str] = {}
        self._wake = asyncio.Event()
        self._boards: dict[int, asyncio.Task[None]] = {}
        self._boards_due: set[int] = set()
        self._slugs: dict[int, str] = {}
        self._queued: dict[int, list[Message]] = {}
        self._next_flush: dict[int, float] = {}
        self._scheduled: set[int] = set()
        self.delivered = 0

    def clients(self, hunt_id: int | None = None) -> int:
        if hunt_id is not None:
            return len(self._clients.get(hunt_id, ()))
        return sum(len(c) for c in self._clients.values())

    # --- clients --------------------------------------------------------------------------

    async def top_id(self, hunt_id: int) -> str:
        """The id of the stream's newest entry ("0-0" for none)."""
        newest = stream_entries(
            await self._redis.xrevrange(stream_key(self._prefix, hunt_id), count=1)
        )
        return newest[0][0].decode() if newest else "0-0"

    async def join(self, hunt_id: int, slug: str, sink: Sink) -> Client:
        """Register a client (buffering); raises RedisError when Redis cannot be read."""
        self._slugs[hunt_id] = slug
        if hunt_id not in self._positions:
            top = await self.top_id(hunt_id)
            self._positions.setdefault(hunt_id, top)
        client = Client(self, hunt_id, sink)
        self._clients.setdefault(hunt_id, set()).add(client)
        self._wake.set()
        return client

    def leave(self, client: Client) -> None:
        group = self._clients.get(client.hunt_id)
        if group is None:
            return
        group.discard(client)
        if not group:
            del self._clients[client.hunt_id]
            self._positions.pop(client.hunt_id, None)
            self._queued.pop(client.hunt_id, None)
            self._next_flush.pop(client.hunt_id, None)

    async def close_all(self) -> None:
        closing = []
        for group in list(self._clients.values()):
            for client in list(group):
                if client.on_close is not None:
                    closing.append(client.on_close())
                client.close()
        if closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await asyncio.gather(*closing, return_exceptions=True)

    # --- reading --------------------------------------------------------------------------

    async def run(self) -> None:
        """Keeps a reader running for every group of hunts that have clients here."""
        readers: dict[int, asyncio.Task[None]] = {}
        try:
            while True:
                self._wake.clear()
                for group in {self._group_of(h) for h in self._positions}:
                    reader = readers.get(group)
                    if reader is None or reader.done():
                        readers[group] = asyncio.create_task(self._read(group))
                for group in [g for g, reader in readers.items() if reader.done()]:
                    del readers[group]
                await self._wake.wait()
        finally:
            for reader in readers.values():
                reader.cancel()
            for reader in readers.values():
                with contextlib.suppress(asyncio.CancelledError):
                    await reader

    def _group_of(self, hunt_id: int) -> int:
        """The hunts read by one XREAD: all on a single Redis, those of a slot on a cluster."""
        return slot_of(stream_key(self._prefix, hunt_id)) if is_cluster(self._redis) else 0

    async def _read(self, group: int) -> None:
        """Until no hunt of the group has a client here: read its streams, fan out."""
        failures = 0
        while True:
            hunts = {
                stream_key(self._prefix, h): h
                for h in self._positions
                if self._group_of(h) == group
            }
            if not hunts:
                return
            streams = {key: self._positions[h] for key, h in hunts.items()}
            try:
                async with asyncio.timeout(BLOCK_MS / 1000 + 5):
                    answer = await guarded(
                        self._redis.xread(
                            streams,  # type: ignore[arg-type]  # redis-py types str keys narrowly
                            count=READ_COUNT,
                            block=BLOCK_MS,
                        )
                    )
                failures = 0
            except REDIS_FAILURES as err:
                failures += 1
                if failures == 1:
                    log.warning("live hub: cannot read Redis (%s); retrying", err)
                await asyncio.sleep(min(2.0, 0.1 * 2**failures))
                continue
            for key, entries in stream_reads(answer):
                try:
                    self._fan_out(hunts[key.decode()], entries)
                except Exception:
                    # A bug must not end the hub: every client here would stop hearing.
                    log.exception("live hub: could not fan out %s", key)

    def _fan_out(self, hunt_id: int, entries: StreamEntries) -> None:
        if hunt_id not in self._positions:
            return  # its last client left during the read
        found = False
        messages = []
        for raw_id, fields in entries:
            event_id = raw_id.decode()
            position = parse_event_id(event_id) or (0, 0)
            if position > (parse_event_id(self._positions[hunt_id]) or (0, 0)):
                self._positions[hunt_id] = event_id
            try:
                message = Message.from_stream(event_id, fields[b"data"])
            except (KeyError, ValueError):
                log.warning("live hub: unreadable stream entry %s of hunt %s", event_id, hunt_id)
                continue
            found = found or message.kind == "find"
            messages.append(message)
        self.broadcast(hunt_id, *messages)
        if found:
            self.leaderboard_soon(hunt_id)

    def broadcast(self, hunt_id: int, *messages: Message) -> None:
        if hunt_id not in self._clients or not messages:
            return
        self._queued.setdefault(hunt_id, []).extend(messages)
        if hunt_id in self._scheduled:
            return
        loop = asyncio.get_running_loop()
        due = self._next_flush.get(hunt_id, 0.0)
        if loop.time() >= due:
            self._flush(hunt_id)
        else:
            self._scheduled.add(hunt_id)
            loop.call_at(due, self._flush, hunt_id)

    def _flush(self, hunt_id: int) -> None:
        self._scheduled.discard(hunt_id)
        messages = self._queued.pop(hunt_id, [])
        group = self._clients.get(hunt_id)
        if not messages or not group:
            return
        self._next_flush[hunt_id] = asyncio.get_running_loop().time() + FLUSH_EVERY_S
        batch = Batch(messages)
        for client in list(group):
            client.offer_batch(batch)
        self.delivered += len(group) * len(messages)

    # --- leaderboard messages -------------------------------------------------------------

    def leaderboard_soon(self, hunt_id: int) -> None:
        if hunt_id in self._boards:
            self._boards_due.add(hunt_id)
            return
        self._boards[hunt_id] = asyncio.create_task(self._send_boards(hunt_id))

    async def _send_boards(self, hunt_id: int) -> None:
        try:
            while hunt_id in self._clients:
                self._boards_due.discard(hunt_id)
                message = await self.leaderboard_message(hunt_id)
                self.broadcast(hunt_id, message)
                await asyncio.sleep(LEADERBOARD_EVERY_S)
                if hunt_id not in self._boards_due:
                    break
        except Exception:
            log.warning("live hub: leaderboard of hunt %s not sent", hunt_id, exc_info=True)
        finally:
            self._boards.pop(hunt_id, None)

    async def leaderboard_message(self, hunt_id: int) -> Message:
        entries = await self._leaderboard.top(hunt_id, TOP)
        return Message.of(
            {
                "type": "leaderboard",
                "hunt": self._slugs.get(hunt_id),
                "entries": [e.as_json() for e in entries],
            }
        )

    async def stop(self) -> None:
        await self.close_all()
        tasks = list(self._boards.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


@contextlib.asynccontextmanager
async def running(hub: Hub) -> AsyncIterator[Hub]:
    task = asyncio.create_task(hub.run(), name="live-hub")
    try:
        yield hub
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await hub.stop()
