"""The moments benchmark's loads: bursts of loves over many keep-alive connections at once
(the bare client of `bench.loadgen`), and list requests one after another or a few at once."""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import Counter
from typing import Any

import aiohttp

from bench import loadgen
from bench.report import percentiles

OPEN_BATCH = 100  # connections opened at a time, within the server's listen backlog
# A shed love (503) is sent again after its Retry-After, give or take 30% at random, as the fan
# app does (web/fan/verdicts.js): hunters told the same Retry-After do not all come back at once.
JITTER = 0.3
LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)")
RETRY_AFTER = re.compile(rb"\r\nretry-after:[ \t]*(\d+)")


def love_request(port: int, moment_id: int, token: str) -> bytes:
    headers = f"Authorization: Bearer {token}\r\nContent-Length: 0\r\n"
    return loadgen.http_request("PUT", f"/v1/moments/{moment_id}/love", port, headers)


async def exchange(conn: loadgen.Connection, data: bytes) -> tuple[int, float]:
    """Send one request, read its whole answer; the status and its Retry-After (0 if none)."""
    conn.writer.write(data)
    head = (await conn.reader.readuntil(b"\r\n\r\n")).lower()
    length = LENGTH.search(head)
    if length is None:
        raise ConnectionError("answer without Content-Length")
    await conn.reader.readexactly(int(length.group(1)))
    retry = RETRY_AFTER.search(head)
    return int(head[9:12]), float(retry.group(1)) if retry else 0.0


async def _connections(port: int, count: int) -> list[loadgen.Connection]:
    conns: list[loadgen.Connection] = []
    while len(conns) < count:
        batch = min(OPEN_BATCH, count - len(conns))
        conns += await asyncio.gather(*(loadgen.Connection.open(port) for _ in range(batch)))
    return conns


async def burst(port: int, requests: list[bytes], clients: int) -> dict[str, Any]:
    """Every request once, `clients` connections at once (connection c sends requests c,
    c + clients, ... one after another); a shed request is sent again after its Retry-After,
    its latency from the first sending. Connections are opened before the clock starts."""
    conns = await _connections(port, clients)
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    shed = errors = 0
    go = asyncio.Event()

    async def client(c: int) -> None:
        nonlocal shed, errors
        conn = conns[c]
        await go.wait()
        for data in requests[c::clients]:
            sent = time.perf_counter()
            while True:
                try:
                    status, retry_s = await asyncio.wait_for(
                        exchange(conn, data), loadgen.REQUEST_TIMEOUT_S
                    )
                except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    conn.close()
                    conn = await loadgen.Connection.open(port)
                    continue
                if status != 503:
                    break
                shed += 1
                await asyncio.sleep(retry_s * random.uniform(1 - JITTER, 1 + JITTER))
            latencies.append((time.perf_counter() - sent) * 1000)
            statuses[status] += 1
        conn.close()

    tasks = [asyncio.create_task(client(c)) for c in range(clients)]
    started = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    return {
        "loves": len(latencies),
        "seconds": round(elapsed, 3),
        "rate": round(len(latencies) / elapsed, 1),
        "statuses": dict(statuses),
        "shed": shed,
        "errors": errors,
        **percentiles(latencies),
    }


async def one_get(port: int, path: str) -> tuple[int, float]:
    """One request on a fresh session: the status and the milliseconds it took."""
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
        started = time.perf_counter()
        async with session.get(path) as response:
            await response.read()
        return response.status, (time.perf_counter() - started) * 1000


async def listing(
    port: int, path: str, tokens: list[str], requests: int, clients: int
) -> dict[str, Any]:
    """`requests` GETs of `path` by `clients` clients at once, each one request after another;
    every other one anonymous, the others with a hunter's token (whose loves are marked)."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lengths: list[int] = []
    per_client = max(requests // clients, 1)
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:

        async def one_client(offset: int) -> None:
            for n in range(per_client):
                k = offset * per_client + n
                headers = {"Authorization": f"Bearer {tokens[k % len(tokens)]}"} if k % 2 else {}
                started = time.perf_counter()
                async with session.get(path, headers=headers) as response:
                    body = await response.json()
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[response.status] += 1
                lengths.append(len(body) if isinstance(body, list) else 0)

        for _ in range(5):  # warm-up: the connection, the plans
            async with session.get(path) as response:
                await response.read()
        started = time.perf_counter()
        await asyncio.gather(*(one_client(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "rate": round(len(latencies) / elapsed, 1),
        "statuses": dict(statuses),
        "min_items": min(lengths),
        **percentiles(latencies),
    }
