"""A Redis Cluster for the tests that run geohunt on one, registered once for every test by
tests/conftest.py (`pytest_plugins`): three primaries and three replicas started for each test
module that asks for them (`redis_cluster`; a module's tests may change its layout, so no other
module shares it), the app on it under a key prefix of the test's own (`api_on_cluster`), and
what those tests look for: a scan, a hunt's id, the warnings of a failed Redis call."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from infra.local_redis_cluster import RedisCluster
from infra.local_redis_cluster import redis_cluster as started_redis_cluster
from server.app import create_app
from server.http.app_keys import SERVICES
from tests.support.api import Api, unique
from tests.support.builders import TIMES_SQUARE, at

# What the app logs when a Redis call fails: none of it may appear while the cluster is whole.
REDIS_FAILURES = ("Redis unreachable", "Redis unavailable", "cannot read Redis")


@pytest.fixture(scope="module")
def redis_cluster() -> Iterator[RedisCluster]:
    with started_redis_cluster() as started:
        yield started


@pytest.fixture
async def api_on_cluster(
    aiohttp_client: Any, settings_factory: Any, redis_cluster: RedisCluster
) -> Api:
    settings = settings_factory(
        redis_cluster_nodes=tuple(("127.0.0.1", n.port) for n in redis_cluster.nodes[:3]),
        redis_prefix=unique("cl") + ":",
    )
    return Api(await aiohttp_client(create_app(settings)), settings)


def redis_failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and any(f in r.getMessage() for f in REDIS_FAILURES)
    ]


async def scan_at(api: Api, hunt: Any, clue: dict[str, Any], me: dict[str, str], **h: str) -> Any:
    body = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
    return await api.call("POST", "/v1/scans", headers={**me, **h}, json=body)


async def hunt_id_of(api: Api, slug: str) -> int:
    pool: asyncpg.Pool = api.client.app[SERVICES].pool
    return int(await pool.fetchval("SELECT id FROM hunts WHERE slug = $1", slug))
