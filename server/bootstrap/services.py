"""What a running server holds, opened and closed in one place (`create_app` uses it)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
from web3 import AsyncWeb3

from chain.client import connect, keep_connections
from hunt_engine.keys import Keyring
from infra.db import create_pool
from infra.redis_client import RedisClient, connect_redis
from infra.redis_health import RedisHealth
from infra.replica import ReadRouter, read_router
from infra.settings import Settings
from server.common.catalog import Catalog, kept_current
from server.common.gate import ScanGate
from server.http.auth import TokenIssuer
from server.http.metrics import count_read
from server.live.runtime import Live, live_started
from server.scans.hunter_state import HunterStateCache
from server.scans.service import ScanService

NEARBY_GATE_PREFIX = "nearby:"


@dataclass
class Services:
    settings: Settings
    pool: asyncpg.Pool
    # Reads that may be a moment behind: the replica's pool while it is close enough, else
    # `pool` (infra/replica.py); everything else, and anything a fan just wrote, reads `pool`.
    reads: ReadRouter
    redis: RedisClient
    catalog: Catalog
    tokens: TokenIssuer
    keyring: Keyring
    scans: ScanService
    # The AR hints' rate limit: the scan gate's rules under a prefix of their own.
    nearby_gate: ScanGate
    # Live screens: leaderboard, outbox relay, per-process hub (server/live).
    live: Live
    # The chain's JSON-RPC client when CHAIN_RPC_URL is set (readiness; minting is the worker's).
    chain: AsyncWeb3[Any] | None = None


@contextlib.asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[Services]:
    pool = await create_pool(settings)
    redis = connect_redis(settings)
    health = RedisHealth()
    chain = _chain_client(settings)
    try:
        if chain is not None:
            await keep_connections(chain)  # the swaps' chain reads, readiness: no new TCP each
        async with (
            read_router(pool, settings, count_read) as reads,
            kept_current(Catalog(), pool) as catalog,
            live_started(pool, reads, redis, settings.redis_prefix, health) as live,
        ):
            keyring = settings.qr_keyring
            gate = ScanGate(redis, settings.redis_prefix, health)
            yield Services(
                settings=settings,
                pool=pool,
                reads=reads,
                redis=redis,
                catalog=catalog,
                tokens=TokenIssuer(settings.jwt_key),
                keyring=keyring,
                scans=ScanService(
                    pool,
                    catalog,
                    gate,
                    keyring,
                    HunterStateCache(),
                    live.leaderboard,
                ),
                nearby_gate=ScanGate(redis, settings.redis_prefix + NEARBY_GATE_PREFIX, health),
                chain=chain,
                live=live,
            )
    finally:
        if chain is not None:
            await chain.provider.disconnect()
        await redis.aclose()
        await pool.close()


def _chain_client(settings: Settings) -> AsyncWeb3[Any] | None:
    if not settings.chain_rpc_url:
        return None
    return connect(settings.chain_rpc_url, timeout_s=settings.mint.rpc_timeout_s)
