"""The PostgreSQL pool every process opens the same way (server, worker, follower, tools)."""

from __future__ import annotations

import json

import asyncpg

from infra.settings import Settings, SettingsError

# The fewest connections a server process can work with: the catalog's listener and the live
# relay each hold one for as long as the process runs, and requests need at least one.
MIN_SERVER_POOL = 3
MAX_CONNECTIONS_SQL = "SELECT current_setting('max_connections')::int"


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


async def create_read_pool(settings: Settings) -> asyncpg.Pool:
    """The pool of DATABASE_READ_URL's replica (infra/replica.py). It opens no connection at
    first: a replica away when the server starts must not stop it (reads go to the primary).

    Every step with the replica is bounded by DATABASE_READ_TIMEOUT_S: connecting, each query,
    and the cancel request asyncpg sends when a query is abandoned. Without the last bound, a
    replica that stopped answering (SIGSTOP, a network black hole) keeps that request waiting
    for ever, and the connection's release with it; past it, asyncpg terminates the connection
    and the pool opens a new one when next asked."""
    assert settings.database_read_url, "no DATABASE_READ_URL"
    timeout = settings.database_read_timeout_s
    pool: asyncpg.Pool = await asyncpg.create_pool(
        settings.database_read_url,
        min_size=0,
        max_size=settings.db_pool_max,
        init=init_connection,
        reset=_no_reset,
        timeout=timeout,
        command_timeout=timeout,
    )
    return pool


async def server_pool_max(settings: Settings, processes: int) -> int:
    """GEOHUNT_DB_POOL_MAX for each of `processes` server processes, lowered where needed so
    that their pools together stay within the database's max_connections less
    GEOHUNT_DB_RESERVE (left for workers, followers, migrations and people)."""
    assert settings.database_url, "resolve service URLs before sizing pools"
    conn = await asyncpg.connect(settings.database_url)
    try:
        limit = int(await conn.fetchval(MAX_CONNECTIONS_SQL))
    finally:
        await conn.close()
    share = (limit - settings.db_reserve) // processes
    if share < MIN_SERVER_POOL:
        raise SettingsError(
            f"{processes} server processes need {MIN_SERVER_POOL} database connections each,"
            f" but the database allows {limit} (max_connections) less {settings.db_reserve}"
            " (GEOHUNT_DB_RESERVE): run fewer workers or raise max_connections"
        )
    return min(settings.db_pool_max, share)
