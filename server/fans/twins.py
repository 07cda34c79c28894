"""Taste twins from PostgreSQL: the ranking is `hunt_engine.taste`'s, the data comes from
the `taste_sets` / `taste_groups` rollup (migration 0006), kept by triggers on finds and on
hunters' privacy, and from the loves of fans' moments (migration 0011).

Four reads in one read-only snapshot, none of them proportional to the number of hunters:
the caller's set; the discoverable hunters who loved a moment the caller loved, with the
moments both loved (as many rows as those moments have loves); the groups (distinct found sets
of discoverable hunters, with their size) overlapping the caller's set, through a GIN index
(with n collectibles there are at most 2^n - 1 groups), less the hunters already read; and, for
only the groups that can reach the top 20, their first other hunters by id through the partial
index on (collectibles, hunter_id).

Read on a replica a moment behind when there is one (infra/replica.py), unless it does not yet
hold the caller as the primary does (`CallerAhead`: a find or an opt-in of theirs a moment ago).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import asyncpg

from hunt_engine.errors import Forbidden, Unauthorized
from hunt_engine.taste import TOP, rank_twins, tiers_to_fetch
from server.fans.queries import (
    CALLER_SQL,
    CANDIDATES_SQL,
    GROUPS_SQL,
    KEYS_SQL,
    LOVED_ALIKE_SQL,
)

NOT_DISCOVERABLE = (
    "taste twins are for discoverable hunters: opt in with PUT /v1/me/privacy"
    ' {"discoverable": true} to see others and be seen by them'
)


_ANY = object()  # no expectation: whatever the snapshot holds of the caller


def _state(caller: Any) -> tuple[bool, tuple[int, ...]] | None:
    if caller is None:
        return None
    return bool(caller["discoverable"]), tuple(caller["collectibles"] or ())


def _set_text(found: tuple[int, ...]) -> str:
    return "{" + ",".join(str(c) for c in found) + "}"


class CallerAhead(Exception):
    """The replica does not hold the caller as the primary does: a write of theirs is not
    there yet, so their twins are asked of the primary."""


async def twins_from(
    primary: asyncpg.Pool, pool: asyncpg.Pool, hunter_id: int, limit: int = TOP
) -> list[dict[str, Any]]:
    """Twins read from `pool`, a replica a moment behind or the primary itself. From a
    replica only while it holds the caller as the primary does (`CallerAhead` otherwise): a fan
    who just found an episode or opted in is never answered from a copy without that write."""
    expected = _ANY if pool is primary else await primary.fetchrow(CALLER_SQL, hunter_id)
    return await twins_of(pool, hunter_id, limit, expected)


async def twins_of(
    pool: asyncpg.Pool, hunter_id: int, limit: int = TOP, expected: Any = _ANY
) -> list[dict[str, Any]]:
    """The caller's twins in one snapshot of `pool`. `expected`: the caller's row as the
    primary holds it (None: no row), which this snapshot must hold too."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        caller = await conn.fetchrow(CALLER_SQL, hunter_id)
        if expected is not _ANY and _state(caller) != _state(expected):
            raise CallerAhead(f"hunter {hunter_id} is not replicated as the primary holds it")
        if caller is None:
            raise Unauthorized("this hunter no longer exists")
        if not caller["discoverable"]:
            raise Forbidden(NOT_DISCOVERABLE)
        mine: list[int] = list(caller["collectibles"] or [])
        if not mine:
            return []
        # Hunters who loved what the caller loved are ranked one by one; the groups hold
        # the others (who share no loved moment, so their found set alone ranks them).
        alike = await conn.fetch(LOVED_ALIKE_SQL, hunter_id)
        loved = {r["hunter_id"]: r["moments"] for r in alike}
        read = Counter(tuple(r["collectibles"]) for r in alike)
        groups = await conn.fetch(GROUPS_SQL, mine)
        sizes = ((g["collectibles"], g["members"] - read[tuple(g["collectibles"])]) for g in groups)
        chosen = tiers_to_fetch(mine, sizes, limit)
        rows = []
        if chosen:
            sets = [_set_text(s) for s in chosen]
            rows = await conn.fetch(CANDIDATES_SQL, sets, hunter_id, limit, list(loved))
        candidates = [*alike, *rows]
        found = ((r["hunter_id"], r["collectibles"]) for r in candidates)
        ranked = rank_twins(mine, found, limit, loved)
        handles = {r["hunter_id"]: r["handle"] for r in candidates}
        ids = sorted({c for twin in ranked for c in twin.shared})
        keys = {r["id"]: r["key"] for r in await conn.fetch(KEYS_SQL, ids)}
    return [
        {
            "hunter_id": twin.hunter_id,
            "handle": handles[twin.hunter_id],
            "similarity": round(float(twin.similarity), 6),
            "shared": sorted(keys[c] for c in twin.shared),
        }
        for twin in ranked
    ]
