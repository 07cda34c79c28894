"""Collectible art: an organiser uploads a collectible's picture, geohunt keeps its own
re-encoding (server/art/image.py) and serves it from its own origin at a content address."""

from __future__ import annotations

import asyncio

from aiohttp import web

from hunt_engine.errors import NotFound
from server.art.image import MAX_UPLOAD_BYTES, Art, clean_art, declared_type
from server.art.queries import CATALOG_COLLECTIBLE_SQL, COLLECTIBLE_ID_SQL, SET_IMAGE_SQL
from server.art.schemas import IMAGE_BODY, IMAGE_MEDIA, ArtCollectibleOut
from server.art.store import store_art, stored_art
from server.common.hunts import hunt_of
from server.http.auth import Role
from server.http.responses import ok
from server.http.routing import Call, RouteTable
from server.http.validation import read_body

TABLE = RouteTable()

# Decoding holds up to 64 MB of pixels and a core for a moment: two at a time per process.
_DECODING = asyncio.Semaphore(2)

KEY_PARAM = {
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"},
}
SHA_PARAM = {
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
}

# Content-addressed, so never changed: cached for a year. Opened directly, it runs and loads
# nothing, and is never taken for anything but the image it says it is.
ART_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


@TABLE.route(
    "PUT",
    "/v1/hunts/{slug}/collectibles/{key}/image",
    "Upload a collectible's art (the body is the image: PNG, JPEG or WebP, at most 5 MiB and"
    " 4096 px a side); geohunt keeps its own re-encoding, served from its origin",
    roles={Role.ORGANISER},
    ok_schema=ArtCollectibleOut,
    raw_body=IMAGE_BODY,
    raw_media=IMAGE_MEDIA,
    errors=(400, 401, 403, 404, 413),
    params={"key": KEY_PARAM},
)
async def put_collectible_image(call: Call) -> web.Response:
    slug = call.request.match_info["slug"]
    key = call.request.match_info["key"]
    call.who.check_hunt(slug)
    hunt_id, _ = await hunt_of(call)
    services = call.services
    if await services.pool.fetchval(COLLECTIBLE_ID_SQL, hunt_id, key) is None:
        raise NotFound(f"no collectible {key!r} in hunt {slug!r}")
    # Checked before the body is read: a wrong type is refused without reading 5 MB.
    media_type = declared_type(call.request.headers.get("Content-Type"))
    raw = await read_body(call.request, MAX_UPLOAD_BYTES)
    async with _DECODING:
        art: Art = await asyncio.to_thread(clean_art, raw, media_type)
    url = services.settings.public_base_url + art.path
    async with services.pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(SET_IMAGE_SQL, hunt_id, key, url)
        if row is None:
            # Gone meanwhile; the transaction rolls back: no art is kept for it.
            raise NotFound(f"no collectible {key!r} in hunt {slug!r}")
        await store_art(conn, art, call.who.sub)
        catalog_row = await conn.fetchrow(CATALOG_COLLECTIBLE_SQL, row["id"])
    services.catalog.put_collectible(catalog_row)
    answer = dict(row)
    del answer["id"]
    return ok(answer)


@TABLE.route(
    "GET",
    "/art/{sha}.webp",
    "Collectible art as geohunt stores it (WebP), at the SHA-256 of its bytes; cached forever",
    ok_media="image/webp",
    errors=(404,),
    params={"sha": SHA_PARAM},
)
async def get_art(call: Call) -> web.Response:
    sha = call.request.match_info["sha"]  # 64 hex digits: checked by the route table
    found = await stored_art(call.services.pool, sha)
    if found is None:
        raise NotFound(f"no art {sha}")
    media_type, data = found
    return web.Response(body=data, content_type=media_type, headers=ART_HEADERS)
