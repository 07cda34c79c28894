"""Liveness, readiness, metrics and the API description."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from server.http import openapi
from server.http.metrics import publish_replica
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
    reads = call.services.reads
    publish_replica(reads.usable(), reads.lag_s)
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response


@TABLE.route("GET", "/openapi.json", "This description", ok_schema={"type": "object"})
async def openapi_json(call: Call) -> web.Response:
    return web.json_response(openapi.build(call.request.app[INSTALLED]))
