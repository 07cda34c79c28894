"""Fixtures on the real services: one fresh, migrated database and one Redis key prefix per run.

Tests create their own data with unique names, so they never depend on what another test or an
earlier run left behind.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis

from infra.embedded import resolve_service_urls
from infra.migrate import create_database, drop_database, migrate
from infra.settings import Settings
from server.app import create_app
from server.http.auth import Role, TokenIssuer
from tests.chain_fixtures import anvil, collectible, deployer, minter_account, w3  # noqa: F401

RUN = uuid.uuid4().hex[:10]
TEST_SECRET = "test-secret-" + "x" * 40


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
    name = f"geohunt_test_{RUN}"
    url = await create_database(service_urls[0], name)
    await migrate(url)
    yield url
    await drop_database(service_urls[0], name)


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


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class Api:
    """An HTTP client of the running app with the tokens a test needs."""

    def __init__(self, client: Any, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.issuer = TokenIssuer(settings.jwt_key)
        self.organiser = self.auth(Role.ORGANISER, "org-" + RUN)

    def auth(self, role: Role, sub: str, hunt: str | None = None) -> dict[str, str]:
        token, _ = self.issuer.issue(role, sub, 3600, hunt)
        return {"Authorization": f"Bearer {token}"}

    async def call(
        self, method: str, path: str, expect: int | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        response = await self.client.request(method, path, **kwargs)
        body: Any
        if response.content_type in ("application/json", "application/problem+json"):
            body = await response.json(content_type=None)
        else:
            body = await response.read()
        if expect is not None:
            assert response.status == expect, (response.status, body)
        return response.status, body

    async def hunter(self, handle: str | None = None) -> tuple[int, dict[str, str]]:
        _, body = await self.call(
            "POST", "/v1/auth/hunters", 201, json={"handle": handle or unique("h")[:32]}
        )
        return body["hunter_id"], {"Authorization": f"Bearer {body['token']}"}


@pytest.fixture
async def api(aiohttp_client: Any, settings: Settings) -> Api:
    client = await aiohttp_client(create_app(settings))
    return Api(client, settings)


@pytest.fixture
def settings_factory(settings: Settings) -> Iterator[Any]:
    yield lambda **changes: dataclasses.replace(settings, **changes)
