"""Hunts, their collectibles and their alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiohttp import web

from hunt_engine.errors import Forbidden, InvalidRequest, KeyTaken, NotFound, SlugTaken
from hunt_engine.rules import HuntRules
from server.common.hunts import hunt_row
from server.http.auth import Role
from server.http.responses import ok
from server.http.routing import Call, RouteTable
from server.hunts.queries import (
    ALERTS_SQL,
    CATALOG_COLLECTIBLE_SQL,
    CATALOG_HUNT_SQL,
    COLLECTIBLES_OF_HUNT_SQL,
    CREATE_COLLECTIBLE_SQL,
    CREATE_HUNT_SQL,
    HUNT_FOR_UPDATE_SQL,
    ORGANISER_HUNTS_SQL,
    PLAYABLE_HUNTS_SQL,
    UPDATE_HUNT_SQL,
)
from server.hunts.schemas import (
    AlertOut,
    CollectibleIn,
    CollectibleOut,
    HuntIn,
    HuntListed,
    HuntOut,
    HuntPatch,
)

TABLE = RouteTable()


def hunt_json(
    row: asyncpg.Record, collectibles: list[asyncpg.Record] | None = None
) -> dict[str, Any]:

    body = {
        "slug": row["slug"],
        "name": row["name"],
        "description": row["description"],
        "starts_at": row["starts_at"],
        "ends_at": row["ends_at"],
        "rules": HuntRules.from_mapping(row["rules"]).as_dict(),
    }
    if collectibles is not None:
        body["collectibles"] = [dict(c) for c in collectibles]
    return body


async def with_collectibles(conn: asyncpg.Connection, row: asyncpg.Record) -> dict[str, Any]:
    collectibles = await conn.fetch(COLLECTIBLES_OF_HUNT_SQL, row["id"])
    return hunt_json(row, collectibles)


@TABLE.route(
    "POST",
    "/v1/hunts",
    "Create a hunt",
    roles={Role.ORGANISER},
    body=HuntIn,
    ok_status=201,
    ok_schema=HuntOut,
    errors=(400, 401, 403, 409),
)
async def create_hunt(call: Call) -> web.Response:
    body: HuntIn = call.body
    if call.who.hunt is not None:
        raise Forbidden(f"this token is limited to hunt {call.who.hunt!r}")
    if body.ends_at <= body.starts_at:
        raise InvalidRequest("ends_at must be after starts_at")
    rules = HuntRules().merged(body.rules.given() if body.rules else {})
    try:
        row = await call.services.pool.fetchrow(
            CREATE_HUNT_SQL,
            body.slug,
            body.name,
            body.description,
            body.starts_at,
            body.ends_at,
            rules.as_dict(),
            call.who.sub,
        )
    except asyncpg.UniqueViolationError:
        raise SlugTaken(f"hunt {body.slug!r} exists") from None
    call.services.catalog.put_hunt(await _catalog_row(call, row["id"]))
    return ok(hunt_json(row, []), status=201)


async def _catalog_row(call: Call, hunt_id: int) -> asyncpg.Record:
    return await call.services.pool.fetchrow(CATALOG_HUNT_SQL, hunt_id)


# The fan app's choice of hunt when it is not opened on a code.
SOON = timedelta(days=30)
LISTED_MAX = 50
ORGANISER_MAX = 500


@TABLE.route(
    "GET",
    "/v1/hunts",
    f"The hunts a fan can play now or soon: running, or starting within {SOON.days} days;"
    f" the first to start first, at most {LISTED_MAX}. With an organiser's token: every hunt"
    f" it may run (all, or its token's one), the newest first, at most {ORGANISER_MAX}",
    ok_schema={"type": "array", "items": HuntListed.model_json_schema()},
    optional_auth=True,
    errors=(401,),
)
async def list_hunts(call: Call) -> web.Response:
    pool = call.services.pool
    if call.principal is not None and call.principal.role is Role.ORGANISER:
        rows = await pool.fetch(ORGANISER_HUNTS_SQL, call.principal.hunt, ORGANISER_MAX)
    else:
        now = datetime.now(UTC)
        rows = await pool.fetch(PLAYABLE_HUNTS_SQL, now, now + SOON, LISTED_MAX)
    return ok([dict(r) for r in rows])


@TABLE.route(
    "GET", "/v1/hunts/{slug}", "A hunt with its collectibles", ok_schema=HuntOut, errors=(404,)
)
async def get_hunt(call: Call) -> web.Response:
    async with call.services.pool.acquire() as conn:
        row = await hunt_row(conn, call.request.match_info["slug"])
        return ok(await with_collectibles(conn, row))


@TABLE.route(
    "PATCH",
    "/v1/hunts/{slug}",
    "Change a hunt",
    roles={Role.ORGANISER},
    body=HuntPatch,
    ok_schema=HuntOut,
    errors=(400, 401, 403, 404),
)
async def patch_hunt(call: Call) -> web.Response:
    body: HuntPatch = call.body
    slug = call.request.match_info["slug"]
    call.who.check_hunt(slug)
    async with call.services.pool.acquire() as conn, conn.transaction():
        current = await conn.fetchrow(HUNT_FOR_UPDATE_SQL, slug)
        if current is None:
            raise NotFound(f"no hunt {slug!r}")
        starts = body.starts_at or current["starts_at"]
        ends = body.ends_at or current["ends_at"]
        if ends <= starts:
            raise InvalidRequest("ends_at must be after starts_at")
        rules = HuntRules.from_mapping(current["rules"])
        if body.rules is not None:
            rules = rules.merged(body.rules.given())
        row = await conn.fetchrow(
            UPDATE_HUNT_SQL,
            current["id"],
            body.name if body.name is not None else current["name"],
            body.description if body.description is not None else current["description"],
            starts,
            ends,
            rules.as_dict(),
        )
        answer = await with_collectibles(conn, row)
    call.services.catalog.put_hunt(await _catalog_row(call, row["id"]))
    return ok(answer)


@TABLE.route(
    "POST",
    "/v1/hunts/{slug}/collectibles",
    "Add a collectible",
    roles={Role.ORGANISER},
    body=CollectibleIn,
    ok_status=201,
    ok_schema=CollectibleOut,
    errors=(400, 401, 403, 404, 409),
)
async def create_collectible(call: Call) -> web.Response:
    body: CollectibleIn = call.body
    slug = call.request.match_info["slug"]
    call.who.check_hunt(slug)
    async with call.services.pool.acquire() as conn:
        hunt = await hunt_row(conn, slug)
        try:
            row = await conn.fetchrow(
                CREATE_COLLECTIBLE_SQL,
                hunt["id"],
                body.key,
                body.name,
                body.episode,
                body.image_url,
                body.description,
                body.supply,
            )
        except asyncpg.UniqueViolationError:
            raise KeyTaken(f"collectible {body.key!r} exists in {slug!r}") from None
        call.services.catalog.put_collectible(
            await conn.fetchrow(CATALOG_COLLECTIBLE_SQL, row["id"])
        )
    answer = dict(row)
    del answer["id"]
    return ok(answer, status=201)


@TABLE.route(
    "GET",
    "/v1/hunts/{slug}/alerts",
    "Alerts such as a leaked static code",
    roles={Role.ORGANISER},
    ok_schema={"type": "array", "items": AlertOut.model_json_schema()},
    errors=(401, 403, 404),
)
async def list_alerts(call: Call) -> web.Response:
    slug = call.request.match_info["slug"]
    call.who.check_hunt(slug)
    async with call.services.pool.acquire() as conn:
        hunt = await hunt_row(conn, slug)
        rows = await conn.fetch(ALERTS_SQL, hunt["id"])
    return ok([dict(r) for r in rows])
