"""Every PostgreSQL advisory lock geohunt takes, in one registry: two uses of one id would make
unrelated work wait on (or skip) each other, so an id is chosen here and nowhere else."""

from __future__ import annotations

from enum import IntEnum

import asyncpg


class AdvisoryLock(IntEnum):
    # One `geohunt migrate` at a time (session lock).
    MIGRATIONS = 7300
    # Per clue, the leaked-code count in `record_rejection` (SQL: pg_advisory_xact_lock(7301,
    # clue)); written as a literal in the migration, checked against this value by a test.
    LEAK_COUNT = 7301
    # The one process that relays live events from the outbox to Redis (session lock).
    LIVE_RELAY = 7304
    # Per signing key, the one worker that sends its transactions: (7310, key) in the two-int
    # form, a space of its own.
    MINT_SENDER = 7310


async def try_session_lock(
    conn: asyncpg.Connection, lock: AdvisoryLock, key: int | None = None
) -> bool:
    """Take `lock` (or `(lock, key)`, a space of its own) for as long as `conn`'s session lives,
    if nobody holds it: a process that dies frees it with its connection."""
    if key is None:
        return bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", int(lock)))
    return bool(
        await conn.fetchval("SELECT pg_try_advisory_lock($1::int, $2::int)", int(lock), key)
    )


async def release_session_lock(
    conn: asyncpg.Connection, lock: AdvisoryLock, key: int | None = None
) -> bool:
    if key is None:
        return bool(await conn.fetchval("SELECT pg_advisory_unlock($1)", int(lock)))
    return bool(await conn.fetchval("SELECT pg_advisory_unlock($1::int, $2::int)", int(lock), key))
