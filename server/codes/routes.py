"""`GET /v1/codes/{code}`: what a scanned code is for, before claiming it (anyone)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from hunt_engine.codes import MAX_CODE_LEN
from hunt_engine.errors import NotFound
from server.codes.lookup import lookup_of
from server.codes.schemas import CodeOut
from server.http.responses import ok
from server.http.routing import Call, RouteTable

TABLE = RouteTable()

# A bare code, as it follows `/c/` in a QR code's URL: anything else names no code (404).
CODE_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_CODE_LEN,
    "pattern": "^[0-9A-Za-z._-]+$",
}


@TABLE.route(
    "GET",
    "/v1/codes/{code}",
    "What a scanned code is for, before claiming it: its hunt, clue (never where it is) and"
    " collectible, whether a scan of it could count now, and a screen code's time left",
    ok_schema=CodeOut,
    errors=(404,),
    params={"code": {"in": "path", "required": True, "schema": CODE_SCHEMA}},
)
async def describe_code(call: Call) -> web.Response:
    services = call.services
    answer = await lookup_of(services.catalog).describe(
        services.pool, services.keyring, call.request.match_info["code"], datetime.now(UTC)
    )
    if answer is None:
        # One answer for every refusal: forged, unknown, expired and ticket look alike.
        raise NotFound("no claimable code of this server")
    return ok(answer.body, headers={"Cache-Control": f"public, max-age={answer.max_age_s}"})
