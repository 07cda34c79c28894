"""A Python load generator: an open loop on a fixed timetable, and a closed-loop fallback.

A bare HTTP/1.1 keep-alive client on asyncio streams (requests are prebuilt bytes; only the
status line and Content-Length are read back), so the generator costs far less CPU than the
server it drives: on two cores that matters.

The open loop is free of coordinated omission: request n is due at t0 + n / rate whatever
happened before it, and its latency runs from that due time, so a stalled server is charged
for every request that waited behind it (a connection is opened whenever none is idle).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.report import percentiles

REQUEST_TIMEOUT_S = 10.0


@dataclass
class LoadResult:
    generator: str  # "wrk" or "python"
    mode: str  # "closed" or "open"
    duration_s: float
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    latencies_ms: dict[str, float] = field(default_factory=dict)  # p50, p90, p99, max
    rate_target: float | None = None
    used: int = 0  # pair indices consumed (scan load)

    @property
    def completed(self) -> int:
        return sum(self.statuses.values())

    def rate(self, status: int | None = None) -> float:
        done = self.completed if status is None else self.statuses.get(status, 0)
        return done / self.duration_s if self.duration_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator,
            "mode": self.mode,
            "duration_s": round(self.duration_s, 3),
            "sent": self.sent,
            "completed": self.completed,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": self.errors,
            "latency_ms": self.latencies_ms,
            "rate_target": self.rate_target,
            "rate": round(self.rate(), 1),
        }


def http_request(method: str, path: str, port: int, headers: str = "", body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}"
    if body or method == "POST":
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def exchange(self, data: bytes) -> int:
        """Send one request, read its whole answer; the status."""
        return (await self.answer(data))[0]

    async def answer(self, data: bytes) -> tuple[int, bytes]:
        """Send one request, read its whole answer; the status and the body."""
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        at = head.lower().find(b"\r\ncontent-length:")
        if at < 0:
            raise ConnectionError("answer without Content-Length")
        end = head.index(b"\r\n", at + 2)
        return status, await self.reader.readexactly(int(head[at + 17 : end]))

    def close(self) -> None:
        self.writer.close()


async def get_status(port: int, path: str) -> int:
    conn = await Connection.open(port)
    try:
        return await conn.exchange(http_request("GET", path, port))
    finally:
        conn.close()


async def open_loop(
    port: int,
    build: Callable[[int], bytes],
    rate: float,
    duration_s: float,
    warm_connections: int = 16,
    max_connections: int = 1000,
) -> LoadResult:
    """Send request n at t0 + n / rate; latencies measured from those due times."""
    loop = asyncio.get_running_loop()
    total = max(1, int(rate * duration_s))
    result = LoadResult("python", "open", total / rate, sent=total, rate_target=rate, used=total)
    # Taken oldest first: a connection left unused for 10 s after it opened is closed by the
    # server (the first request's header deadline), and one taken newest first may never be.
    idle = deque([await Connection.open(port) for _ in range(warm_connections)])
    opened = len(idle)
    waiting: deque[asyncio.Future[Connection]] = deque()
    latencies: list[float] = []

    async def connection() -> Connection:
        nonlocal opened
        if idle:
            return idle.popleft()
        if opened < max_connections:
            opened += 1
            return await Connection.open(port)
        future: asyncio.Future[Connection] = loop.create_future()
        waiting.append(future)
        return await future

    async def one(n: int, due: float) -> None:
        nonlocal opened
        conn = None
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                conn = await connection()
                status = await conn.exchange(build(n))
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
            result.errors += 1
            latencies.append((loop.time() - due) * 1000)
            if conn is not None:
                conn.close()
                opened -= 1
            return
        latencies.append((loop.time() - due) * 1000)
        result.statuses[status] += 1
        if waiting:
            waiting.popleft().set_result(conn)
        else:
            idle.append(conn)

    t0 = loop.time() + 0.05
    tasks = []
    for n in range(total):
        due = t0 + n / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    for conn in idle:
        conn.close()
    result.latencies_ms = percentiles(latencies)
    return result


async def closed_loop(
    port: int, build: Callable[[int], bytes], connections: int, duration_s: float
) -> LoadResult:
    """Each connection sends its next request as soon as the last one is answered."""
    loop = asyncio.get_running_loop()
    result = LoadResult("python", "closed", duration_s)
    latencies: list[float] = []
    counter = 0
    conns = [await Connection.open(port) for _ in range(connections)]
    started = loop.time()
    deadline = started + duration_s

    async def worker(conn: Connection) -> None:
        nonlocal counter
        while loop.time() < deadline:
            n, counter = counter, counter + 1
            sent = loop.time()
            try:
                status = await asyncio.wait_for(conn.exchange(build(n)), REQUEST_TIMEOUT_S)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
                result.errors += 1
                conn.close()
                conn = await Connection.open(port)
                continue
            latencies.append((loop.time() - sent) * 1000)
            result.statuses[status] += 1

    await asyncio.gather(*(worker(c) for c in conns))
    result.duration_s = loop.time() - started
    for conn in conns:
        with contextlib.suppress(Exception):
            conn.close()
    result.sent = result.used = counter
    result.latencies_ms = percentiles(latencies)
    return result
