"""The moments benchmark's hunt, written in bulk with SQL within the tables' constraints: 9
episodes, lovers and authors, the moments (the first ones reserved, approved and unloved, for
the love bursts), the authors' quotas and the hunt's fold row."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import asyncpg

EPISODES = 9
PER_AUTHOR = 3  # the default `moments_per_hunter`
MOMENT_TOKEN_BASE = 4611686018427387904  # 2^62: a moment's token id is this + its id

# Moment g (1..n): one in twenty pending, one rejected, one hidden by reports, the rest approved;
# the first `reserved` approved with no love (the bursts' moments). Ids are taken from the
# identity's own sequence, so that the token id (2^62 + id) is written in the same statement.
MOMENTS_SQL = """
INSERT INTO moments (id, hunt_id, collectible_id, author_id, scene_s, title, note, status,
                     token_id, loves, created_at, decided_at)
OVERRIDING SYSTEM VALUE
SELECT s.id, $1, ($2::bigint[])[1 + s.g % 9], ($3::bigint[])[1 + (s.g - 1) / 3],
       (s.g * 37) % 7201, 'Moment ' || s.g,
       CASE WHEN s.g % 2 = 0 THEN 'A note on scene ' || s.g END,
       s.status,
       CASE WHEN s.status IN ('approved', 'hidden') THEN 4611686018427387904 + s.id END,
       CASE WHEN s.g <= $5 THEN 0
            ELSE floor(5000 * power((abs(hashint8(s.g)) % 10000) / 10000.0, 6))::integer END,
       now() - ($4 - s.g) * interval '1 second',
       CASE WHEN s.status <> 'pending' THEN now() END
FROM (SELECT nextval(pg_get_serial_sequence('moments', 'id')) AS id, g,
             CASE WHEN g <= $5 OR g % 20 > 2 THEN 'approved'
                  WHEN g % 20 = 0 THEN 'pending'
                  WHEN g % 20 = 1 THEN 'rejected'
                  ELSE 'hidden' END AS status
      FROM generate_series(1, $4) g) s
"""
QUOTAS_SQL = """
INSERT INTO moment_quotas (hunt_id, hunter_id, made)
SELECT hunt_id, author_id, count(*) FROM moments WHERE hunt_id = $1 GROUP BY hunt_id, author_id
"""


@dataclass
class Seeded:
    hunt_id: int
    slug: str
    keys: list[str]  # the episodes' keys
    lovers: list[int]  # hunter ids
    reserved: list[int]  # moment ids for the bursts, approved, no love
    moments: int
    approved: int
    seconds: float


async def seed(conn: asyncpg.Connection, moments: int, lovers: int, reserved: int) -> Seeded:
    started = time.perf_counter()
    slug = f"bench-moments-{uuid.uuid4().hex[:6]}"
    hunt_id = await conn.fetchval(
        "INSERT INTO hunts (slug, name, starts_at, ends_at, created_by) VALUES ($1,"
        " 'Moments benchmark', now() - interval '2 days', now() + interval '1 day', 'bench')"
        " RETURNING id",
        slug,
    )
    keys = [f"ep{k}" for k in range(1, EPISODES + 1)]
    collectibles = await conn.fetch(
        "INSERT INTO collectibles (hunt_id, key, name, episode, image_url)"
        " SELECT $1, k, 'Episode ' || k, upper(k), 'https://img.example/' || k || '.png'"
        " FROM unnest($2::text[]) AS k RETURNING id",
        hunt_id,
        keys,
    )
    await conn.execute("INSERT INTO moment_folds (hunt_id) VALUES ($1)", hunt_id)
    authors = await conn.fetch(
        "INSERT INTO hunters (handle) SELECT 'ma-' || g FROM generate_series(1, $1) g RETURNING id",
        -(-moments // PER_AUTHOR),
    )
    fans = await conn.fetch(
        "INSERT INTO hunters (handle) SELECT 'ml-' || g FROM generate_series(1, $1) g RETURNING id",
        lovers,
    )
    await conn.execute(
        MOMENTS_SQL,
        hunt_id,
        sorted(r["id"] for r in collectibles),
        sorted(r["id"] for r in authors),
        moments,
        reserved,
    )
    await conn.execute(QUOTAS_SQL, hunt_id)
    await conn.execute("VACUUM ANALYZE")
    ids = await conn.fetch(
        "SELECT id FROM moments WHERE hunt_id = $1 ORDER BY id LIMIT $2", hunt_id, reserved
    )
    approved = await conn.fetchval(
        "SELECT count(*) FROM moments WHERE hunt_id = $1 AND status = 'approved'", hunt_id
    )
    return Seeded(
        hunt_id=hunt_id,
        slug=slug,
        keys=keys,
        lovers=sorted(r["id"] for r in fans),
        reserved=[r["id"] for r in ids],
        moments=moments,
        approved=int(approved),
        seconds=time.perf_counter() - started,
    )
