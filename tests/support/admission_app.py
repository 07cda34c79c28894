"""The app served the way `geohunt serve` serves it (its runner, a real port), with a route
that holds the process's admission slots until released: for admission control's tests."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from infra.settings import Settings
from server.app import create_app
from server.http.admission import ADMISSION, Admission
from server.http.server import make_runner
from tests.support.api import Api

PROBLEM = "application/problem+json"
BOUND_S = 20.0  # a bound against hanging, never a measurement


async def until_true(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + BOUND_S
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.005)


@dataclass
class Served:
    api: Api
    app: web.Application
    runner: web.AppRunner
    port: int
    release: asyncio.Event  # set: the held requests answer

    @property
    def admission(self) -> Admission:
        return self.app[ADMISSION]

    def lost_connections(self) -> int:
        """Connections the server saw close while their request is still being handled."""
        assert self.runner.server is not None
        return sum(1 for handler in self.runner.server.connections if handler.transport is None)

    async def hold_the_only_slot(self) -> asyncio.Task[Any]:
        """A request that keeps the process's one slot until `release` is set (sent again if
        it happens to be shed on its way in)."""
        while True:
            held = asyncio.create_task(self.api.call("GET", "/test/hold"))
            await until_true(lambda: held.done() or self.admission.inflight == 1, "hold admitted")  # noqa: B023
            if not held.done():
                return held

    async def metric(self, name: str, **labels: str) -> float:
        status, text = await self.api.call("GET", "/metrics")
        assert status == 200
        return metric_value(text.decode(), name, labels)


def metric_value(text: str, name: str, labels: dict[str, str]) -> float:
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{name}(?:{{(.*)}})? (\S+)$", line)
        if match is None:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(2))
    return total


@contextlib.asynccontextmanager
async def serve_holding(settings: Settings) -> AsyncIterator[Served]:
    release = asyncio.Event()

    async def hold(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"held": True})

    app = create_app(settings, extra_routes=[web.get("/test/hold", hold)])
    runner = make_runner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = int(runner.addresses[0][1])
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as session:
            yield Served(Api(session, settings), app, runner, port, release)
    finally:
        release.set()
        await runner.cleanup()


async def finds_and_attempts(db: asyncpg.Connection, hunter_id: int) -> tuple[int, int]:
    finds = await db.fetchval("SELECT count(*) FROM finds WHERE hunter_id = $1", hunter_id)
    attempts = await db.fetchval(
        "SELECT count(*) FROM scan_attempts WHERE hunter_id = $1", hunter_id
    )
    return int(finds), int(attempts)
