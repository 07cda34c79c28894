"""Fans' own moments: engraving a held find, opting in to discovery, and taste twins."""

from __future__ import annotations

import asyncio
from functools import partial

from aiohttp import web

from hunt_engine.errors import (
    AlreadyEngraved,
    NotFound,
    NotHolder,
    Unauthorized,
)
from hunt_engine.moments import is_moment_token
from server.fans.queries import (
    ENGRAVE_SQL,
    HOLDER_SQL,
    MOMENT_SKETCH_SQL,
    SET_DISCOVERABLE_SQL,
    SKETCH_SQL,
)
from server.fans.schemas import EngravingIn, EngravingOut, PrivacyIn, PrivacyOut, TwinsOut
from server.fans.sketch import Sketch, decode_sketch
from server.fans.twins import CallerAhead, twins_from
from server.http.auth import Role
from server.http.responses import ok
from server.http.routing import Call, RouteTable

TABLE = RouteTable()


ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
ID_PARAM = {"in": "path", "required": True, "schema": ID_SCHEMA}


def sketch_url(call: Call, find_id: int) -> str:
    return f"{call.services.settings.public_base_url}/v1/tokens/{find_id}/sketch"


@TABLE.route(
    "PUT",
    "/v1/me/finds/{id}/engraving",
    "Engrave a note and/or a sketch (PNG or SVG, at most 256 KB) on a find whose token you"
    " hold; once, before or after the mint",
    roles={Role.HUNTER},
    body=EngravingIn,
    ok_status=201,
    ok_schema=EngravingOut,
    errors=(400, 401, 403, 404, 409, 413),
    params={"id": ID_PARAM},
)
async def engrave(call: Call) -> web.Response:
    body: EngravingIn = call.body
    find_id = int(call.request.match_info["id"])  # checked by the route table
    # At least one of note and sketch: checked by EngravingIn, as its description says.
    sketch: Sketch | None = None
    if body.sketch is not None:
        # Decoding a 2048x2048 PNG takes tens of milliseconds: off the event loop.
        sketch = await asyncio.to_thread(decode_sketch, body.sketch)
    hunter_id = call.who.hunter_id
    async with call.services.pool.acquire() as conn, conn.transaction():
        holder = await conn.fetchrow(HOLDER_SQL, find_id, hunter_id)
        if holder is None:
            raise NotFound(f"no find {find_id}")
        if not holder["holds"]:
            raise NotHolder(f"you do not hold the token of find {find_id}")
        engraved_at = await conn.fetchval(
            ENGRAVE_SQL,
            find_id,
            hunter_id,
            body.note,
            sketch.data if sketch else None,
            sketch.media_type if sketch else None,
        )
    if engraved_at is None:
        raise AlreadyEngraved(f"find {find_id} is already engraved")
    return ok(
        {
            "find_id": find_id,
            "note": body.note,
            "sketch_type": sketch.media_type if sketch else None,
            "sketch_url": sketch_url(call, find_id) if sketch else None,
            "engraved_at": engraved_at,
        },
        status=201,
    )


# The sketch is our own re-encoding; served so that even a browser opening it directly runs
# nothing and loads nothing.
SKETCH_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "X-Content-Type-Options": "nosniff",
    # An engraving never changes.
    "Cache-Control": "public, max-age=31536000, immutable",
}


@TABLE.route(
    "GET",
    "/v1/tokens/{token_id}/sketch",
    "The sketch engraved on a find's token, or drawn on an approved fans' moment's (PNG or SVG)",
    ok_media="image/png",
    alt_media=("image/svg+xml",),
    errors=(404,),
    params={"token_id": ID_PARAM},
)
async def token_sketch(call: Call) -> web.Response:
    token_id = int(call.request.match_info["token_id"])
    headers = SKETCH_HEADERS
    if is_moment_token(token_id):
        # A fans' moment's sketch, while the moment is approved: a takedown must reach caches
        # soon, so it is cached a minute only.
        row = await call.services.pool.fetchrow(MOMENT_SKETCH_SQL, token_id)
        headers = {**SKETCH_HEADERS, "Cache-Control": "public, max-age=60"}
    else:
        row = await call.services.pool.fetchrow(SKETCH_SQL, token_id)
    if row is None:
        raise NotFound(f"no sketch on token {token_id}")
    return web.Response(body=bytes(row["sketch"]), content_type=row["sketch_type"], headers=headers)


@TABLE.route(
    "PUT",
    "/v1/me/privacy",
    "Opt in to (or out of) being found as someone's taste twin",
    roles={Role.HUNTER},
    body=PrivacyIn,
    ok_schema=PrivacyOut,
    errors=(400, 401, 403),
)
async def privacy(call: Call) -> web.Response:
    body: PrivacyIn = call.body
    found = await call.services.pool.fetchval(
        SET_DISCOVERABLE_SQL,
        call.who.hunter_id,
        body.discoverable,
    )
    if found is None:
        raise Unauthorized("this hunter no longer exists")
    return ok({"discoverable": body.discoverable})


@TABLE.route(
    "GET",
    "/v1/me/twins",
    "The discoverable hunters whose found episodes are most like yours (Jaccard), top 20;"
    " you must be discoverable yourself",
    roles={Role.HUNTER},
    ok_schema=TwinsOut,
    errors=(401, 403),
)
async def twins(call: Call) -> web.Response:
    primary, hunter_id = call.services.pool, call.who.hunter_id
    found = await call.services.reads.read(
        partial(twins_from, primary, hunter_id=hunter_id), again_on=(CallerAhead,)
    )
    return ok({"twins": found}, headers={"Cache-Control": "no-store"})
