"""Keeping art: the one function every writer stores it through (the upload route, and so the
demo, which uploads through the API)."""

from __future__ import annotations

import asyncpg

from server.art.image import Art
from server.art.queries import ART_SQL, STORE_ART_SQL


async def store_art(conn: asyncpg.Connection, art: Art, created_by: str) -> str:
    """Keep `art` under its content address (a second copy of the same bytes changes nothing);
    the path it is served at."""
    await conn.execute(
        STORE_ART_SQL, art.sha256, art.media_type, art.data, art.width, art.height, created_by
    )
    return art.path


async def stored_art(pool: asyncpg.Pool, sha256: str) -> tuple[str, bytes] | None:
    """The media type and bytes stored under `sha256`, if any."""
    row = await pool.fetchrow(ART_SQL, sha256)
    return None if row is None else (row["media_type"], bytes(row["data"]))
