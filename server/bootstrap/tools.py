"""The one-shot commands' resources: `geohunt import-clues` and `geohunt leaderboard rebuild`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from infra.db import create_pool
from infra.redis_client import connect_redis
from infra.replica import read_router
from infra.settings import Settings
from server.bootstrap.queries import HUNTS_SQL
from server.clues.importer import import_collection
from server.common.leaderboard import Leaderboard


@contextlib.asynccontextmanager
async def pool_for(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(settings)
    try:
        yield pool
    finally:
        await pool.close()


async def import_clues(settings: Settings, slug: str, sub: str, collection: Any) -> dict[str, Any]:
    """`geohunt import-clues`: the API's import, as organiser `sub`, with a progress bar; its
    answer, `{created, updated, unchanged, failed}`."""
    async with pool_for(settings) as pool, pool.acquire() as conn:
        return await import_collection(conn, slug, sub, collection)


def import_report(result: dict[str, Any]) -> list[str]:
    """The lines `geohunt import-clues` prints: the API's answer, one line of counts, then one
    line per failed feature."""
    failed = result["failed"]
    lines = [
        f"created {result['created']}, updated {result['updated']},"
        f" unchanged {result['unchanged']}, failed {len(failed)}"
    ]
    lines += [f"  feature {f['index']}: {f['code']}: {f['detail']}" for f in failed]
    return lines


async def rebuild_leaderboards(settings: Settings, slug: str | None = None) -> dict[str, int]:
    """`geohunt leaderboard rebuild`: entries per hunt slug, rebuilt from `hunt_scores`."""
    redis = connect_redis(settings)
    try:
        async with pool_for(settings) as pool, read_router(pool, settings) as reads:
            # With DATABASE_READ_URL the scores are read on the replica once it has caught up.
            await reads.measure()
            board = Leaderboard(redis, settings.redis_prefix, pool, reads=reads)
            rows = await pool.fetch(HUNTS_SQL, slug)
            if slug is not None and not rows:
                raise LookupError(f"no hunt {slug!r}")
            slugs = {r["id"]: r["slug"] for r in rows}
            counts = await board.rebuild(None if slug is None else list(slugs))
            return {slugs.get(h, str(h)): n for h, n in counts.items()}
    finally:
        await redis.aclose()
