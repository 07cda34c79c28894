"""The PostgreSQL pool every process opens the same way (server, worker, follower, tools)."""

from __future__ import annotations

import json

import asyncpg

from infra.settings import Settings


async def init_connection(conn: asyncpg.Connection) -> None:
    # jsonb as Python values both ways, so SQL never sees hand-built JSON text.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _no_reset(conn: asyncpg.Connection) -> None:
    return None


async def create_pool(settings: Settings) -> asyncpg.Pool:
    assert settings.database_url, "resolve service URLs before opening a pool"
    pool: asyncpg.Pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        init=init_connection,
        # asyncpg's default reset (UNLISTEN *, RESET ALL, ...) costs a round trip per release;
        # pooled connections here hold no session state, and the listener is never pooled back.
        reset=_no_reset,
    )
    return pool
