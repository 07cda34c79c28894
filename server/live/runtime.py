"""The live side of a running server, opened and closed with it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
from aiohttp import web
from redis.asyncio import Redis

from infra.redis_health import RedisHealth
from infra.settings import Settings
from server.leaderboard import Leaderboard
from server.live.hub import Hub, running
from server.live.relay import Relay, relaying


@dataclass
class Live:
    hub: Hub
    relay: Relay
    leaderboard: Leaderboard
    health: RedisHealth
    redis: Redis
    prefix: str


@contextlib.asynccontextmanager
async def live_started(
    pool: asyncpg.Pool, redis: Redis, prefix: str, health: RedisHealth
) -> AsyncIterator[Live]:
    leaderboard = Leaderboard(redis, prefix, pool, health)
    hub = Hub(redis, prefix, leaderboard)
    relay = Relay(pool, redis, prefix, leaderboard)
    async with relaying(relay), running(hub):
        yield Live(hub, relay, leaderboard, health, redis, prefix)


async def close_clients(app: web.Application) -> None:
    """on_shutdown: long-lived live connections would otherwise hold the shutdown up."""
    from server.http.app_keys import SERVICES

    services = app.get(SERVICES)
    if services is not None:
        await services.live.hub.close_all()


async def rebuild_leaderboards(settings: Settings, slug: str | None = None) -> dict[str, int]:
    """`geohunt leaderboard rebuild`: entries per hunt slug, rebuilt from `hunt_scores`."""
    from infra.db import create_pool

    assert settings.redis_url
    pool = await create_pool(settings)
    redis = Redis.from_url(settings.redis_url)
    try:
        board = Leaderboard(redis, settings.redis_prefix, pool)
        rows = await pool.fetch(
            "SELECT id, slug FROM hunts WHERE $1::text IS NULL OR slug = $1", slug
        )
        if slug is not None and not rows:
            raise LookupError(f"no hunt {slug!r}")
        slugs = {r["id"]: r["slug"] for r in rows}
        counts = await board.rebuild(None if slug is None else list(slugs))
        return {slugs.get(h, str(h)): n for h, n in counts.items()}
    finally:
        await redis.aclose()
        await pool.close()
