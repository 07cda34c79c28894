"""The swaps benchmark through the API: the app in a process of its own reading the run's chain,
the takers' signatures posted (all at once, or at a steady rate), and each swap's status as its
maker reads it."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.scratch import ServerProcess, Stack
from bench.swaps.fans import Pair
from infra.ports import free_port
from infra.settings import Settings

JITTER = 0.3


@dataclass(frozen=True)
class Offer:
    """An open offer, and what its taker will post to accept it."""

    id: int
    pair: Pair
    offer_hash: str
    maker_headers: dict[str, str]
    taker_headers: dict[str, str]
    taker_signature: str


@contextlib.asynccontextmanager
async def api_server(stack: Stack, chained: Settings, log: Path) -> AsyncIterator[int]:
    """`python -m bench.server` on the stack, reading the chain and contract of `chained`; its
    port."""
    assert chained.chain_rpc_url and chained.contract_address
    env = {
        **stack.env,
        "CHAIN_RPC_URL": chained.chain_rpc_url,
        "CONTRACT_ADDRESS": chained.contract_address,
    }
    server = ServerProcess(env, free_port(), log)
    await server.start()
    try:
        yield server.port
    finally:
        await server.stop()


def session(port: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        f"http://127.0.0.1:{port}", connector=aiohttp.TCPConnector(limit=64)
    )


async def _send(
    http: aiohttp.ClientSession, method: str, path: str, headers: dict[str, str], **kw: Any
) -> tuple[int, Any, int]:
    """One request and its JSON answer, and how often it was shed: a request shed by admission
    control (503 with Retry-After) is sent again after that wait, give or take JITTER, as the
    fan app does."""
    shed = 0
    while True:
        async with http.request(method, path, headers=headers, **kw) as response:
            body = await response.json()
            if response.status != 503 or "retry-after" not in response.headers:
                return response.status, body, shed
            wait = float(response.headers["retry-after"])
        shed += 1
        await asyncio.sleep(wait * random.uniform(1 - JITTER, 1 + JITTER))


async def _call(
    http: aiohttp.ClientSession, method: str, path: str, headers: dict[str, str], **kw: Any
) -> tuple[int, Any]:
    status, body, _ = await _send(http, method, path, headers, **kw)
    return status, body


@dataclass
class Posted:
    """The takers' signatures as sent: each one's wall-clock time (the database's clock, on
    this machine) and the milliseconds its answer took; the answers' statuses."""

    sent_at: dict[int, float]
    answer_ms: list[float]
    statuses: Counter[int]
    shed: int = 0  # answers 503 overloaded, sent again after their Retry-After


async def accept(http: aiohttp.ClientSession, offer: Offer, posted: Posted) -> None:
    """The taker's signature posted: the swap accepted, the worker's job."""
    path = f"/v1/swaps/{offer.id}/signature"
    body = {"signature": offer.taker_signature}
    posted.sent_at[offer.id] = time.time()
    started = time.perf_counter()
    status, _, shed = await _send(http, "POST", path, offer.taker_headers, json=body)
    # From the first sending: a signature shed and sent again waited all along.
    posted.answer_ms.append((time.perf_counter() - started) * 1000)
    posted.statuses[status] += 1
    posted.shed += shed


async def accept_all(http: aiohttp.ClientSession, offers: list[Offer], clients: int) -> Posted:
    """Every taker's signature, `clients` takers at once, each posting the next as soon as its
    last was answered."""
    posted = Posted({}, [], Counter())
    queue = iter(offers)

    async def taker() -> None:
        for offer in queue:
            await accept(http, offer, posted)

    await asyncio.gather(*(taker() for _ in range(clients)))
    return posted


async def accept_steadily(http: aiohttp.ClientSession, offers: list[Offer], rate: float) -> Posted:
    """Taker i's signature posted at t0 + i / rate, whatever happened before it (open loop)."""
    posted = Posted({}, [], Counter())
    tasks = []
    started = time.perf_counter()
    for i, offer in enumerate(offers):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(accept(http, offer, posted)))
    await asyncio.gather(*tasks)
    return posted


async def statuses_seen(
    http: aiohttp.ClientSession, offers: list[Offer], clients: int
) -> Counter[str]:
    """Each swap's status as `GET /v1/swaps/{id}` shows it to its maker."""
    window = asyncio.Semaphore(clients)
    seen: Counter[str] = Counter()

    async def one(offer: Offer) -> None:
        async with window:
            status, body = await _call(http, "GET", f"/v1/swaps/{offer.id}", offer.maker_headers)
        seen[body["status"] if status == 200 else f"HTTP {status}"] += 1

    await asyncio.gather(*(one(o) for o in offers))
    return seen
