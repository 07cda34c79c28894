"""The fan app benchmark's browser loads a code page the way a fan does when the server sheds
it: a `503 overloaded` is reloaded after its Retry-After and counted, and the refused load's
console error is not taken for an error of the page that loaded."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web

from bench.fan_app import claims


async def test_a_shed_code_page_is_reloaded_after_retry_after_and_counted(
    aiohttp_server: Any,
) -> None:
    loads = []

    async def code_page(request: web.Request) -> web.Response:
        loads.append(request.path)
        if len(loads) <= 2:  # shed twice, as admission control does on a busy machine
            return web.Response(status=503, headers={"Retry-After": "0"}, text="busy")
        return web.Response(
            # No favicon to fetch: its 404 would be a console error of the page.
            text='<!doctype html><link rel=icon href="data:,"><title>code</title><p>ok</p>',
            content_type="text/html",
        )

    app = web.Application()
    app.router.add_get("/c/{code}", code_page)
    server = await aiohttp_server(app)
    origin = str(server.make_url("")).rstrip("/")
    hunt: Any = SimpleNamespace(origin=origin, code_path="/c/s.1.1.abc")
    run = claims.ClaimRun()
    async with claims.chromium() as browser:
        context = await browser.new_context()
        try:
            page = await claims._open(context, hunt, run)
            assert await page.inner_text("p") == "ok"
        finally:
            await context.close()
    assert loads == ["/c/s.1.1.abc"] * 3
    assert run.refused == 2
    assert run.errors == [] and run.foreign == []


async def test_a_page_shed_at_every_try_fails_the_run(aiohttp_server: Any) -> None:
    async def busy(request: web.Request) -> web.Response:
        return web.Response(status=503, headers={"Retry-After": "0"}, text="busy")

    app = web.Application()
    app.router.add_get("/c/{code}", busy)
    server = await aiohttp_server(app)
    hunt: Any = SimpleNamespace(origin=str(server.make_url("")).rstrip("/"), code_path="/c/x")
    run = claims.ClaimRun()
    async with claims.chromium() as browser:
        context = await browser.new_context()
        try:
            with pytest.raises(RuntimeError, match="answered 503"):
                await claims._open(context, hunt, run)
        finally:
            await context.close()
    assert run.refused == claims.LOAD_TRIES - 1
