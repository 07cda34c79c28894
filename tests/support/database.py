"""A fresh database with every migration applied, dropped when the block ends: the session's
shared one (`database_url` in tests/conftest.py) and a test's own (`own_database`) are both
made here; and one value read on a connection of its own (`fetchval`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from infra.migrate import create_database, drop_database, migrate


@contextlib.asynccontextmanager
async def migrated_database(server_url: str, name: str) -> AsyncIterator[str]:
    """The URL of a new database `name` on `server_url`'s server, migrated; dropped after."""
    url = await create_database(server_url, name)
    try:
        await migrate(url)
        yield url
    finally:
        await drop_database(server_url, name)


async def fetchval(url: str, statement: str, *args: object) -> object:
    """`statement`'s first value, read on a connection opened and closed for it."""
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(statement, *args)
    finally:
        await conn.close()
