"""The listening socket of `geohunt serve` (server/http/site.py), on the loop the processes run
on (uvloop: the tests' own loop, tests/conftest.py)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from server.http.site import GreedySite

WAITING = 100  # connections made while the loop cannot accept; fewer than the backlog (128)


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


@pytest.fixture
async def runner() -> AsyncIterator[web.AppRunner]:
    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    yield runner
    await runner.cleanup()


def connected(server: web.Server | None) -> int:
    assert server is not None
    return len(server.connections)


async def test_every_waiting_connection_is_accepted_in_one_turn_of_the_loop(
    runner: web.AppRunner,
) -> None:
    """libuv accepts one connection per turn of its loop; a storm's new connections would wait
    hundreds of turns, and overflow the listen queue. The site takes them all at once. (On
    uvloop, the suite's loop, aiohttp's own TCPSite fails this: 99 accepted in 100 turns.)"""
    site = GreedySite(runner, "127.0.0.1", 0)
    await site.start()
    clients = []
    try:
        # The kernel completes each handshake by itself: these all wait in the listen queue
        # while this coroutine holds the loop.
        for _ in range(WAITING):
            clients.append(socket.create_connection(("127.0.0.1", site.port)))
        turns = 0
        while connected(runner.server) < WAITING and turns < WAITING:
            await asyncio.sleep(0)  # one turn of the loop
            turns += 1
        assert connected(runner.server) == WAITING
        assert turns <= 5, f"{turns} turns of the loop to accept {WAITING} connections"
    finally:
        for client in clients:
            client.close()
        await site.stop()


async def test_it_serves_http_and_after_stop_refuses_connections(runner: web.AppRunner) -> None:
    site = GreedySite(runner, "127.0.0.1", 0)
    await site.start()
    port = site.port
    assert site.name == f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(3):  # one keep-alive connection, then new ones
            async with session.get(f"http://127.0.0.1:{port}/") as response:
                assert (response.status, await response.text()) == (200, "hello")
    await site.stop()
    assert runner.sites == set()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port)).close()


async def test_processes_share_a_port_with_reuse_port(runner: web.AppRunner) -> None:
    first = GreedySite(runner, "127.0.0.1", 0, reuse_port=True)
    await first.start()
    second = GreedySite(runner, "127.0.0.1", first.port, reuse_port=True)
    try:
        await second.start()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
            for _ in range(20):
                async with s.get(f"http://127.0.0.1:{first.port}/") as response:
                    assert response.status == 200
    finally:
        await second.stop()
        await first.stop()
