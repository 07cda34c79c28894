"""Finding the hunt a request names: shared by every feature whose routes sit under a hunt."""

from __future__ import annotations

import asyncpg

from hunt_engine.errors import NotFound
from server.common.queries import HUNT_BY_SLUG_SQL

# Named here too for server/clues/importer.py, which imports it from this module.
from server.common.queries import HUNT_ID_SQL as HUNT_ID_SQL
from server.http.auth import Role
from server.http.routing import Call

# Who watches a hunt live: its venue screens and its organisers.
VIEWERS = {Role.SCREEN, Role.ORGANISER}


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
