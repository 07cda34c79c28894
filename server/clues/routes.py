"""Clues: registration (one or a GeoJSON batch), search, changes, history, codes and images."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from geo.coords import LatLon
from hunt_engine.codes import rotating_code, seconds_left, static_code, step_at
from hunt_engine.errors import InvalidRequest, NotFound, RotatingClue
from server.clues import store as clue_store
from server.clues.importer import import_features
from server.clues.queries import CLUE_HISTORY_SQL, HUNT_CLUES_SQL
from server.clues.reissue import reissue
from server.clues.schemas import (
    ClueIn,
    ClueOut,
    CluePatch,
    DisplayOut,
    HistoryEntry,
    ImportOut,
    NearQuery,
    QrQuery,
    ReissueIn,
)
from server.common import qr_images
from server.common.hunts import hunt_row
from server.http.auth import Role
from server.http.responses import ok
from server.http.routing import Call, RouteTable
from server.http.validation import parse_json, read_body

TABLE = RouteTable()


EDITORS = {Role.ORGANISER, Role.FIELD}
CLUE_ID = {
    "clue_id": {
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    }
}
CLUE_PATH = "/v1/clues/{clue_id}"


def clue_id_of(call: Call) -> int:
    # The route table checked it against CLUE_ID's schema before the handler ran.
    return int(call.request.match_info["clue_id"])


async def refresh_catalog(call: Call, ids: list[int]) -> None:
    """This process sees its own writes at once; others follow through NOTIFY."""
    if not ids:
        return
    async with call.services.pool.acquire() as conn:
        await call.services.catalog.reload_many(conn, "clues", ids)


@TABLE.route(
    "POST",
    "/v1/hunts/{slug}/clues",
    "Register a clue",
    roles=EDITORS,
    body=ClueIn,
    ok_status=201,
    ok_schema=ClueOut,
    errors=(400, 401, 403, 404),
)
async def create_clue(call: Call) -> web.Response:
    slug = call.request.match_info["slug"]
    call.who.check_hunt(slug)
    async with call.services.pool.acquire() as conn, conn.transaction():
        hunt = await hunt_row(conn, slug)
        clue = clue_store.check_clue(
            call.body, call.who, await clue_store.collectible_ids(conn, hunt["id"])
        )
        [clue_id] = await clue_store.insert_clues(conn, hunt["id"], call.who, [clue], "created")
        row = await clue_store.fetch_clue(conn, clue_id)
    await refresh_catalog(call, [clue_id])
    return ok(clue_store.clue_json(row, call.services.settings.public_base_url), status=201)


@TABLE.route(
    "POST",
    "/v1/hunts/{slug}/clues/import",
    "Register clues from a GeoJSON FeatureCollection; a feature's id (or properties.ref) names"
    " its site, so a file imported again updates what changed and leaves the rest",
    roles=EDITORS,
    ok_schema=ImportOut,
    errors=(400, 401, 403, 404, 413),
    raw_body={
        "type": "object",
        "properties": {
            "type": {"const": "FeatureCollection"},
            # Not "items": {"type": "object"}: a bad feature is reported in `failed`, with a 200.
            "features": {"type": "array", "items": {}},
        },
        "required": ["type", "features"],
    },
)
async def import_clues(call: Call) -> web.Response:
    slug = call.request.match_info["slug"]
    call.who.check_hunt(slug)
    raw = await read_body(call.request, call.services.settings.import_max_bytes)
    # Strict JSON: no NaN/Infinity literals, nesting bounded (never a RecursionError).
    collection = parse_json(raw)
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise InvalidRequest("expected a GeoJSON FeatureCollection")
    features = collection.get("features")
    if not isinstance(features, list):
        raise InvalidRequest("features must be an array")
    async with call.services.pool.acquire() as conn:
        hunt = await hunt_row(conn, slug)
        result = await import_features(conn, hunt["id"], call.who, features)
    await refresh_catalog(call, result.pop("ids"))
    return ok(result)


@TABLE.route(
    "GET",
    "/v1/hunts/{slug}/clues",
    "A hunt's clues, optionally near a point",
    roles=EDITORS,
    query=NearQuery,
    ok_schema={"type": "array", "items": ClueOut.model_json_schema()},
    errors=(400, 401, 403, 404),
)
async def list_clues(call: Call) -> web.Response:
    slug = call.request.match_info["slug"]
    call.who.check_hunt(slug)
    query: NearQuery = call.query
    base = call.services.settings.public_base_url
    async with call.services.pool.acquire() as conn:
        hunt = await hunt_row(conn, slug)
        if query.near is None:
            rows = await conn.fetch(HUNT_CLUES_SQL, hunt["id"], query.limit, query.offset)
            return ok([clue_store.clue_json(r, base) for r in rows])
        point = parse_near(query.near)
        found = call.services.catalog.fences_of(hunt["id"]).near(point, query.radius_m)
        found = found[query.offset : query.offset + query.limit]
        rows = {r["id"]: r for r in await clue_store.fetch_clues(conn, [k for k, _ in found])}
    answer = []
    for clue_id, distance in found:
        if clue_id in rows:
            body = clue_store.clue_json(rows[clue_id], base)
            body["distance_m"] = round(distance, 1)
            answer.append(body)
    return ok(answer)


def parse_near(text: str) -> LatLon:
    lat, sep, lon = text.partition(",")
    try:
        if not sep:
            raise ValueError
        return LatLon.checked(float(lat), float(lon))
    except ValueError:
        raise InvalidRequest("near must be 'lat,lon' in range") from None


@TABLE.route(
    "PATCH",
    CLUE_PATH,
    "Change a clue (kept in its history)",
    roles=EDITORS,
    body=CluePatch,
    ok_schema=ClueOut,
    errors=(400, 401, 403, 404, 409),
    params=CLUE_ID,
)
async def patch_clue(call: Call) -> web.Response:
    clue_id = clue_id_of(call)
    async with call.services.pool.acquire() as conn, conn.transaction():
        row = await clue_store.fetch_clue(conn, clue_id, lock=True)
        clue_store.may_edit(call.who, row)
        changes = clue_store.planned_changes(call.body, row)
        if changes:
            await clue_store.record_changes(conn, clue_id, call.who, changes)
            row = await clue_store.fetch_clue(conn, clue_id)
    if changes:
        await refresh_catalog(call, [clue_id])
    return ok(clue_store.clue_json(row, call.services.settings.public_base_url))


@TABLE.route(
    "GET",
    CLUE_PATH + "/history",
    "Every change of a clue, who and when",
    roles=EDITORS,
    ok_schema={"type": "array", "items": HistoryEntry.model_json_schema()},
    errors=(401, 403, 404),
    params=CLUE_ID,
)
async def clue_history(call: Call) -> web.Response:
    clue_id = clue_id_of(call)
    async with call.services.pool.acquire() as conn:
        row = await clue_store.fetch_clue(conn, clue_id)
        call.who.check_hunt(row["hunt"])
        rows = await conn.fetch(CLUE_HISTORY_SQL, clue_id)
    return ok([dict(r) for r in rows])


async def printable_clue(call: Call) -> dict[str, Any]:
    async with call.services.pool.acquire() as conn:
        row = await clue_store.fetch_clue(conn, clue_id_of(call))
    call.who.check_hunt(row["hunt"])
    if row["kind"] == "digital":
        raise RotatingClue("use /display for a digital clue's current code")
    if row["kind"] == "ar":
        raise NotFound("ar clues have no printed code")
    return dict(row)


def code_url(call: Call, code: str) -> str:
    return f"{call.services.settings.public_base_url}/c/{code}"


async def printed_code_url(call: Call) -> str:
    row = await printable_clue(call)
    return code_url(call, static_code(call.services.keyring, row["id"], row["code_version"]))


@TABLE.route(
    "POST",
    CLUE_PATH + "/reissue",
    "Give a billboard or social clue a new printed code (a leaked one): every earlier code of"
    " the clue is then refused code_revoked; kept in the clue's history",
    roles={Role.ORGANISER},
    body=ReissueIn,
    ok_schema=ClueOut,
    errors=(400, 401, 403, 404, 409, 413),
    params=CLUE_ID,
)
async def reissue_code(call: Call) -> web.Response:
    async with call.services.pool.acquire() as conn:
        row = await reissue(conn, clue_id_of(call), call.who, call.body.reason)
    await refresh_catalog(call, [row["id"]])
    return ok(clue_store.clue_json(row, call.services.settings.public_base_url))


@TABLE.route(
    "GET",
    CLUE_PATH + "/qr.png",
    "Printable QR code (PNG)",
    roles=EDITORS,
    query=QrQuery,
    ok_media="image/png",
    errors=(400, 401, 403, 404, 409),
    params=CLUE_ID,
)
async def clue_qr_png(call: Call) -> web.Response:
    url = await printed_code_url(call)
    return web.Response(body=qr_images.png(url, call.query.scale), content_type="image/png")


@TABLE.route(
    "GET",
    CLUE_PATH + "/qr.svg",
    "Printable QR code (SVG)",
    roles=EDITORS,
    query=QrQuery,
    ok_media="image/svg+xml",
    errors=(400, 401, 403, 404, 409),
    params=CLUE_ID,
)
async def clue_qr_svg(call: Call) -> web.Response:
    url = await printed_code_url(call)
    return web.Response(body=qr_images.svg(url, call.query.scale), content_type="image/svg+xml")


def current_display(call: Call, clue_id: int) -> dict[str, Any]:
    catalog = call.services.catalog
    clue = catalog.clues.get(clue_id)
    if clue is None or clue.kind.value != "digital":
        raise NotFound(f"no digital clue {clue_id}")
    hunt = catalog.hunts[clue.hunt_id]
    call.who.check_hunt(hunt.slug)
    now = time.time()
    step = step_at(now, hunt.rules.rotate_s)
    code = rotating_code(call.services.keyring, clue_id, step)
    return {
        "url": code_url(call, code),
        "code": code,
        "step": step,
        "expires_in_s": round(seconds_left(now, hunt.rules.rotate_s), 3),
    }


@TABLE.route(
    "GET",
    CLUE_PATH + "/display",
    "The current rotating code of a digital clue",
    roles={Role.SCREEN, Role.ORGANISER},
    ok_schema=DisplayOut,
    errors=(401, 403, 404),
    params=CLUE_ID,
)
async def clue_display(call: Call) -> web.Response:
    await call.services.catalog.clue(call.services.pool, clue_id_of(call))
    return ok(current_display(call, clue_id_of(call)))


@TABLE.route(
    "GET",
    CLUE_PATH + "/display.png",
    "The current rotating code as an image",
    roles={Role.SCREEN, Role.ORGANISER},
    query=QrQuery,
    ok_media="image/png",
    errors=(400, 401, 403, 404),
    params=CLUE_ID,
)
async def clue_display_png(call: Call) -> web.Response:
    await call.services.catalog.clue(call.services.pool, clue_id_of(call))
    display = current_display(call, clue_id_of(call))
    return web.Response(
        body=qr_images.png(display["url"], call.query.scale),
        content_type="image/png",
        headers={"Cache-Control": "no-store", "X-Expires-In": str(display["expires_in_s"])},
    )
