"""Pools sized for `geohunt serve --workers N`: N pools together stay within the database's
max_connections less the reserve, and a share too small to work with is refused."""

from __future__ import annotations

import dataclasses

import asyncpg
import pytest

from infra.db import MIN_SERVER_POOL, server_pool_max
from infra.settings import Settings, SettingsError


async def test_pools_share_max_connections_less_the_reserve(
    settings: Settings, db: asyncpg.Connection
) -> None:
    limit = int(await db.fetchval("SHOW max_connections"))
    roomy = dataclasses.replace(settings, db_pool_max=1000, db_reserve=10)
    assert await server_pool_max(roomy, 1) == limit - 10
    assert await server_pool_max(roomy, 4) == (limit - 10) // 4
    # GEOHUNT_DB_POOL_MAX stays the ceiling when the share is larger.
    small = dataclasses.replace(settings, db_pool_max=5, db_reserve=10)
    assert await server_pool_max(small, 2) == min(5, (limit - 10) // 2)

    crowded = limit // MIN_SERVER_POOL + 1
    with pytest.raises(SettingsError, match="GEOHUNT_DB_RESERVE"):
        await server_pool_max(roomy, crowded)
