"""Liveness, readiness, metrics, the API description and the landing page of printed codes."""

from __future__ import annotations

import asyncio
import html
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hunt_engine.codes import parse_code
from hunt_engine.errors import InvalidCode, NotFound
from server.http import openapi
from server.http.routing import INSTALLED, Call, RouteTable
from server.ops.mint_metrics import refresh_mint_metrics
from server.ops.queries import PROBE_SQL

if TYPE_CHECKING:
    from server.bootstrap.services import Services

TABLE = RouteTable()

READY_TIMEOUT_S = 2.0


@TABLE.route("GET", "/healthz", "The process is alive", ok_schema={"type": "object"})
async def healthz(call: Call) -> web.Response:
    return web.json_response({"status": "ok"})


async def _probe(name: str, check: object) -> tuple[str, str | None]:
    try:
        await asyncio.wait_for(check, READY_TIMEOUT_S)  # type: ignore[arg-type]
        return name, None
    except Exception as err:  # any failure means "not ready", and says which part failed
        return name, f"{type(err).__name__}: {err}"[:200]


async def _chain_ready(services: Services) -> None:
    assert services.chain is not None
    await services.chain.eth.block_number


@TABLE.route(
    "GET",
    "/readyz",
    "Database, Redis and chain reachable",
    ok_schema={"type": "object"},
    errors=(503,),
)
async def readyz(call: Call) -> web.Response:
    services = call.services
    probes = [
        _probe("database", services.pool.fetchval(PROBE_SQL)),
        _probe("redis", services.redis.ping()),
    ]
    if services.chain is not None:
        probes.append(_probe("chain", _chain_ready(services)))
    results = await asyncio.gather(*probes)
    checks = {name: ("ok" if error is None else error) for name, error in results}
    if services.chain is None:
        checks["chain"] = "not configured (CHAIN_RPC_URL): finds queue until a worker mints"
    if all(error is None for _, error in results):
        return web.json_response({"status": "ready", "checks": checks})
    failed = ", ".join(name for name, error in results if error is not None)
    body = {
        "type": "https://geohunt.dev/problems/not_ready",
        "title": "Not ready",
        "status": 503,
        "detail": f"unreachable: {failed}",
        "code": "not_ready",
        "checks": checks,
    }
    return web.json_response(body, status=503, content_type="application/problem+json")


@TABLE.route("GET", "/metrics", "Prometheus metrics", ok_media="text/plain")
async def metrics(call: Call) -> web.Response:
    await refresh_mint_metrics(call.services.pool)
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response


@TABLE.route("GET", "/openapi.json", "This description", ok_schema={"type": "object"})
async def openapi_json(call: Call) -> web.Response:
    return web.json_response(openapi.build(call.request.app[INSTALLED]))


LANDING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>geohunt: {title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
a.button{{display:inline-block;padding:.8rem 1.2rem;background:#111;color:#fff;border-radius:.5rem;
text-decoration:none}}</style></head>
<body><h1>{title}</h1><p>{text}</p>
<p><a class="button" href="geohunt://scan?code={code}">Open in the geohunt app</a></p>
<p><small>Scanning counts only in the app, with your location, at the place where this code is.
</small></p></body></html>
"""


@TABLE.route(
    "GET",
    "/c/{code}",
    "Landing page of a printed code",
    ok_media="text/html",
    params={
        "code": {"in": "path", "required": True, "schema": {"type": "string", "maxLength": 512}}
    },
    errors=(404,),
)
async def landing(call: Call) -> web.Response:
    code = call.request.match_info["code"]
    try:
        parse_code(call.services.keyring, code)
    except InvalidCode:
        raise NotFound("this is not a geohunt code") from None
    page = LANDING.format(
        title="You found a geohunt code!",
        text="Open the geohunt app to claim it.",
        code=html.escape(code, quote=True),
    )
    return web.Response(text=page, content_type="text/html")
