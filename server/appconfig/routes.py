"""`GET /v1/app/config`: what the web apps learn of the server they run on (anyone)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from server.appconfig.schemas import AppConfigOut
from server.http.responses import ok
from server.http.routing import Call, RouteTable

if TYPE_CHECKING:
    from server.bootstrap.services import Services

TABLE = RouteTable()

CHAIN_ID_TIMEOUT_S = 1.0
# A chain's id never changes behind one RPC URL: asked once per process and URL.
_chain_ids: dict[str, int] = {}


async def _chain_id(services: Services) -> int | None:
    url = services.settings.chain_rpc_url
    if services.chain is None or url is None:
        return None
    if url not in _chain_ids:
        try:
            chain_id = await asyncio.wait_for(services.chain.eth.chain_id, CHAIN_ID_TIMEOUT_S)
        except Exception:  # unreachable now: say "unknown" and ask again next time
            return None
        _chain_ids[url] = int(chain_id)
    return _chain_ids[url]


@TABLE.route(
    "GET",
    "/v1/app/config",
    "What the web apps need to know of this server: the chain finds are minted on, the"
    " console map's tile server when one is configured and, in `geohunt demo` only, a public"
    " test wallet's key",
    ok_schema=AppConfigOut,
)
async def app_config(call: Call) -> web.Response:
    services = call.services
    answer: dict[str, object] = {
        "chain_id": await _chain_id(services),
        "demo_wallet_key": services.settings.demo_wallet_key,
    }
    if services.settings.tile_url is not None:
        answer["tile_url"] = services.settings.tile_url
    return ok(answer, headers={"Cache-Control": "no-cache"})
