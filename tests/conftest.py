"""Fixtures on the real services: one fresh, migrated database and one Redis key prefix per run,
and a fresh, migrated database of a test's own (`own_database`) for the tests that need one.

Tests create their own data with unique names, so they never depend on what another test or an
earlier run left behind. What tests share besides fixtures is in tests/support/.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis

from infra.embedded import resolve_service_urls
from infra.event_loop import DEFAULT_LOOP, LOOPS
from infra.settings import Settings
from infra.settings.values import choice
from server.app import create_app
from tests.support.api import RUN, TEST_SECRET, Api
from tests.support.database import migrated_database

# Fixtures defined in support modules, registered once for every test: the chain's (anvil, w3,
# deployer, minter_account, collectible), the minting tests' (mint_settings, mint_api), the fan
# app's (local_api, local_mint_api) and the swaps API's (swaps_api, fans).
pytest_plugins = [
    "tests.support.chain",
    "tests.support.minting",
    "tests.support.fan_app",
    "tests.support.swap_api",
]


@pytest.fixture(scope="session")
def event_loop_policy() -> asyncio.AbstractEventLoopPolicy:
    """The tests run on the event loop the processes run on (infra/event_loop.py): uvloop, or
    asyncio's own with GEOHUNT_EVENT_LOOP=asyncio."""
    if choice(os.environ, "GEOHUNT_EVENT_LOOP", DEFAULT_LOOP, LOOPS) == "uvloop":
        import uvloop

        return uvloop.EventLoopPolicy()
    return asyncio.DefaultEventLoopPolicy()


@pytest.fixture(scope="session")
def service_urls() -> tuple[str, str]:
    base = Settings.from_env(
        {
            "GEOHUNT_SECRET": TEST_SECRET,
            "DATABASE_URL": os.environ.get("TEST_DATABASE_URL", ""),
            "REDIS_URL": os.environ.get("TEST_REDIS_URL", ""),
            "GEOHUNT_STATE_DIR": os.environ.get("GEOHUNT_STATE_DIR", ".geohunt"),
        }
    )
    resolved = resolve_service_urls(base)
    assert resolved.database_url and resolved.redis_url
    return resolved.database_url, resolved.redis_url


@pytest.fixture(scope="session")
async def database_url(service_urls: tuple[str, str]) -> AsyncIterator[str]:
    """The run's shared database."""
    async with migrated_database(service_urls[0], f"geohunt_test_{RUN}") as url:
        yield url


@pytest.fixture
async def own_database(service_urls: tuple[str, str]) -> AsyncIterator[str]:
    """A database of this test's own, migrated, dropped after it (for a minting worker that
    would take every queued job it sees, or a demo that seeds its own world)."""
    name = f"geohunt_own_{RUN}_{uuid.uuid4().hex[:6]}"
    async with migrated_database(service_urls[0], name) as url:
        yield url


@pytest.fixture(scope="session")
async def settings(database_url: str, service_urls: tuple[str, str]) -> AsyncIterator[Settings]:
    _, redis_url = service_urls
    prefix = f"geohunt-test-{RUN}:"
    yield Settings.from_env(
        {
            "GEOHUNT_SECRET": TEST_SECRET,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "PUBLIC_BASE_URL": "http://geohunt.test",
            "GEOHUNT_REDIS_PREFIX": prefix,
            "GEOHUNT_DB_POOL_MAX": "20",
        }
    )
    redis = Redis.from_url(redis_url)
    try:
        keys = [k async for k in redis.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    assert settings.redis_url
    client = Redis.from_url(settings.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def api(aiohttp_client: Any, settings: Settings) -> Api:
    client = await aiohttp_client(create_app(settings))
    return Api(client, settings)


@pytest.fixture
def settings_factory(settings: Settings) -> Iterator[Any]:
    yield lambda **changes: dataclasses.replace(settings, **changes)
