"""Swaps between fans: one token for another in a single chain transaction that moves both or
neither. Both fans sign the same EIP-712 offer in their wallets; the server relays it (the
worker, in chain/) and pays the gas."""

from __future__ import annotations

from aiohttp import web

from hunt_engine.swaps import MAX_TOKEN_ID
from server.http.auth import Role
from server.http.responses import ok
from server.http.routing import Call, RouteTable
from server.swaps import service
from server.swaps.fan_tokens import fan_tokens
from server.swaps.queries import EXPIRE_DUE_SQL, MY_SWAPS_SQL, SWAP_SQL
from server.swaps.schemas import (
    SWAP_LIST,
    FanTokensOut,
    FanTokensQuery,
    MySwapsQuery,
    SignatureIn,
    SwapIn,
    SwapOut,
)
from server.swaps.views import swap_json

TABLE = RouteTable()

ID_PARAM = {
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_TOKEN_ID},
}
NO_STORE = {"Cache-Control": "no-store"}


def _id(call: Call) -> int:
    return int(call.request.match_info["id"])  # checked by the route table


async def _answer(call: Call, swap_id: int, status: int = 200) -> web.Response:
    row = await call.services.pool.fetchrow(SWAP_SQL, swap_id)
    assert row is not None  # swaps are never deleted
    return ok(swap_json(row), status=status, headers=NO_STORE)


@TABLE.route(
    "POST",
    "/v1/swaps",
    "Offer one of your tokens for another fan's: the offer awaits your signature of its"
    " typed_data, then the holder of the token you want sees it",
    roles={Role.HUNTER},
    body=SwapIn,
    ok_status=201,
    ok_schema=SwapOut,
    errors=(400, 401, 403, 404, 409, 413, 503),
)
async def create_swap(call: Call) -> web.Response:
    swap_id = await service.create(call.services, call.who.hunter_id, call.body)
    return await _answer(call, swap_id, status=201)


@TABLE.route(
    "POST",
    "/v1/swaps/{id}/signature",
    "Sign a swap: the maker's signature opens the offer to the taker, the taker's accepts it"
    " and the server relays it (the same signature again changes nothing)",
    roles={Role.HUNTER},
    body=SignatureIn,
    ok_schema=SwapOut,
    errors=(400, 401, 403, 404, 409, 413, 503),
    params={"id": ID_PARAM},
)
async def sign_swap(call: Call) -> web.Response:
    body: SignatureIn = call.body
    row = await service.sign(call.services, _id(call), call.who.hunter_id, body.signature)
    return ok(swap_json(row), headers=NO_STORE)


@TABLE.route(
    "DELETE",
    "/v1/swaps/{id}",
    "Withdraw from a swap before it is accepted: its maker cancels it, its taker declines it",
    roles={Role.HUNTER},
    ok_schema=SwapOut,
    errors=(401, 403, 404, 409),
    params={"id": ID_PARAM},
)
async def withdraw_swap(call: Call) -> web.Response:
    swap_id = _id(call)
    await service.withdraw(call.services.pool, swap_id, call.who.hunter_id)
    return await _answer(call, swap_id)


@TABLE.route(
    "GET",
    "/v1/swaps/{id}",
    "One swap, for its maker, and for its taker once the maker signed",
    roles={Role.HUNTER},
    ok_schema=SwapOut,
    errors=(401, 403, 404),
    params={"id": ID_PARAM},
)
async def get_swap(call: Call) -> web.Response:
    row = await service.visible(call.services.pool, _id(call), call.who.hunter_id)
    return ok(swap_json(row), headers=NO_STORE)


@TABLE.route(
    "GET",
    "/v1/me/swaps",
    "Your swaps, newest first: those you made, and those offered to you once signed by their maker",
    roles={Role.HUNTER},
    query=MySwapsQuery,
    ok_schema=SWAP_LIST,
    errors=(400, 401, 403),
)
async def my_swaps(call: Call) -> web.Response:
    query: MySwapsQuery = call.query
    pool = call.services.pool
    wallet = await service.wallet_of(pool, call.who.hunter_id)
    if wallet is None:
        return ok([], headers=NO_STORE)
    await pool.execute(EXPIRE_DUE_SQL, None, wallet)
    rows = await pool.fetch(MY_SWAPS_SQL, wallet, query.limit)
    return ok([swap_json(r) for r in rows], headers=NO_STORE)


@TABLE.route(
    "GET",
    "/v1/fans/{hunter_id}/tokens",
    "The minted tokens another fan holds now (id, episode, art), to ask for one in a swap: for a"
    " fan on a leaderboard, or a discoverable fan when you are discoverable too (as twins are);"
    " 404 for any other",
    roles={Role.HUNTER},
    query=FanTokensQuery,
    ok_schema=FanTokensOut,
    errors=(400, 401, 403, 404),
    params={"hunter_id": ID_PARAM},
)
async def fans_tokens(call: Call) -> web.Response:
    query: FanTokensQuery = call.query
    hunter_id = int(call.request.match_info["hunter_id"])  # checked by the route table
    found = await fan_tokens(call.services.pool, hunter_id, call.who.hunter_id, query.limit)
    return ok(found, headers=NO_STORE)
