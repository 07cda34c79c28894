"""A JSON-RPC proxy in front of a node, in the test's own event loop: it forwards every request,
but can hold back the raw transactions a client broadcasts (`hold`: never sent to the node,
never answered) or send them and never answer (`swallow`: nor anything the client asks after,
as if the node went away the moment it took the transaction; a worker that sends and reads
receipts at once would otherwise learn of it). A worker pointed at it can be caught, and
killed, between signing a transaction and the node seeing it, or just after."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp import web

from tests.support.processes import free_port

SEND = "eth_sendRawTransaction"


class RpcProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.mode = "forward"  # or "hold", "swallow"
        self.broadcasts: list[str] = []  # every raw transaction a client asked to send
        self.forwarded: list[str] = []  # those the node was given
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._parked: list[asyncio.Future[None]] = []
        self._swallowed = False  # a send was swallowed (in `swallow` mode)
        self.url = ""

    async def start(self) -> str:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        for parked in self._parked:
            parked.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _handle(self, request: web.Request) -> web.Response:
        body: Any = await request.json()
        calls = body if isinstance(body, list) else [body]
        sends = [c["params"][0] for c in calls if c.get("method") == SEND]
        self.broadcasts.extend(sends)
        if self.mode == "swallow" and self._swallowed:
            await self._park()  # a transaction was swallowed: nothing is answered any more
        if sends and self.mode == "hold":
            await self._park()  # never reaches the node; the client times out
        if sends and self.mode == "swallow":
            # From now on nothing is answered, not even a request that comes in while the
            # node takes this one (a receipt read at once would tell the client it was sent).
            self._swallowed = True
        answer = await self._forward(body)
        if sends:
            self.forwarded.extend(sends)
            if self.mode == "swallow":
                await self._park()  # the node has it; the client never hears so
        return web.json_response(answer)

    async def _forward(self, body: Any) -> Any:
        assert self._session is not None
        async with self._session.post(self.upstream, json=body) as response:
            return await response.json(content_type=None)

    async def _park(self) -> None:
        parked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._parked.append(parked)
        await parked
