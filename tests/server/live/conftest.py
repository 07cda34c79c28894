"""Fixtures of the live tests that drive a relay of their own: a pool, and a Redis prefix."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from redis.asyncio import Redis

from infra.db import create_pool
from infra.settings import Settings


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(settings)
    yield pool
    await pool.close()


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    """A Redis prefix of the test's own, removed afterwards."""
    name = f"geohunt-relay-{uuid.uuid4().hex[:8]}:"
    yield name
    keys = [k async for k in redis.scan_iter(match=name + "*", count=1000)]
    if keys:
        await redis.delete(*keys)
