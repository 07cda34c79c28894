"""Finding the hunt a request names: shared by every feature whose routes sit under a hunt."""

from __future__ import annotations

import asyncpg

from hunt_engine.errors import NotFound
from server.http.auth import Role
from server.http.routing import Call

# Who watches a hunt live: its venue screens and its organisers.
VIEWERS = {Role.SCREEN, Role.ORGANISER}
HUNT_COLUMNS = "id, slug, name, description, starts_at, ends_at, rules"
HUNT_BY_SLUG_SQL = f"SELECT {HUNT_COLUMNS} FROM hunts WHERE slug = $1"
HUNT_ID_SQL = "SELECT id FROM hunts WHERE slug = $1"


async def hunt_row(conn: asyncpg.Connection, slug: str) -> asyncpg.Record:
    row = await conn.fetchrow(HUNT_BY_SLUG_SQL, slug)
    if row is None:
        raise NotFound(f"no hunt {slug!r}")
    return row


async def hunt_of(call: Call) -> tuple[int, str]:
    slug = call.request.match_info["slug"]
    hunt = call.services.catalog.hunt_by_slug(slug)
    if hunt is not None:
        return hunt.id, slug
    hunt_id = await call.services.pool.fetchval(HUNT_ID_SQL, slug)
    if hunt_id is None:
        raise NotFound(f"no hunt {slug!r}")
    return int(hunt_id), slug
