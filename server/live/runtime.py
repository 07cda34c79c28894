"""The live side of a running server, opened and closed with it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
from aiohttp import web

from infra.redis_client import RedisClient
from infra.redis_health import RedisHealth
from infra.replica import ReadRouter
from server.common.leaderboard import Leaderboard
from server.live.hub import Hub, running
from server.live.relay import Relay, relaying


@dataclass
class Live:
    hub: Hub
    relay: Relay
    leaderboard: Leaderboard
    health: RedisHealth
    redis: RedisClient
    prefix: str


@contextlib.asynccontextmanager
async def live_started(
    pool: asyncpg.Pool, reads: ReadRouter, redis: RedisClient, prefix: str, health: RedisHealth
) -> AsyncIterator[Live]:
    leaderboard = Leaderboard(redis, prefix, pool, health, reads)
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
