"""The minting benchmark's data: one hunt of one collectible, and finds of it by new hunters
with wallets, each written by claim_find (the find and its mint job)."""

from __future__ import annotations

import asyncpg

Hunt = tuple[int, int, int]  # hunt, collectible and clue ids

CLAIM_MANY = """
WITH h AS (
    INSERT INTO hunters (wallet)
    SELECT '0x' || substr(md5(random()::text) || md5(random()::text), 1, 40)
    FROM generate_series(1, $4)
    RETURNING id
)
SELECT (claim_find(h.id, 0, $1, $2, $3, NULL, NULL, NULL, NULL, NULL, NULL, NULL)).find_id
FROM h
"""


async def seed_hunt(conn: asyncpg.Connection) -> Hunt:
    hunt = await conn.fetchval(
        "INSERT INTO hunts (slug, name, starts_at, ends_at, created_by) VALUES ('bench',"
        " 'Bench', now() - interval '1 day', now() + interval '1 day', 'bench') RETURNING id"
    )
    collectible = await conn.fetchval(
        "INSERT INTO collectibles (hunt_id, key, name, image_url) VALUES"
        " ($1, 'scene', 'Scene', 'https://img.test/s.png') RETURNING id",
        hunt,
    )
    clue = await conn.fetchval(
        "INSERT INTO clues (hunt_id, collectible_id, kind, label, created_by)"
        " VALUES ($1, $2, 'social', 'Drop', 'bench') RETURNING id",
        hunt,
        collectible,
    )
    return hunt, collectible, clue


async def add_finds(conn: asyncpg.Connection, hunt: Hunt, n: int) -> list[int]:
    """n new hunters with wallets, one find each, through claim_find (find + mint job)."""
    rows = await conn.fetch(CLAIM_MANY, *hunt, n)
    return [r[0] for r in rows]
