"""The app served on a port of its own as `http://localhost:PORT`, with PUBLIC_BASE_URL saying
so: pages that use geolocation, service workers or passkeys need that secure, named origin."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from infra.settings import Settings
from server.app import create_app
from tests.support.api import Api
from tests.support.processes import free_port


async def serve_locally(aiohttp_client: Any, settings: Settings) -> Api:
    """The app on `settings`, served as http://localhost:PORT on a free port."""
    port = free_port()
    local = dataclasses.replace(settings, public_base_url=f"http://localhost:{port}")
    server = TestServer(create_app(local), host="127.0.0.1", port=port)
    return Api(await aiohttp_client(server), local)


@pytest.fixture
async def local_api(aiohttp_client: Any, settings: Settings) -> Api:
    return await serve_locally(aiohttp_client, settings)


@pytest.fixture
async def local_mint_api(mint_settings: Settings, aiohttp_client: Any) -> Api:
    """`local_api` on the minting tests' settings: a database of the test's own, the session's
    anvil and a collectible contract of the test's own. Mint with a worker on the same settings
    (`worker_task(local_mint_api.settings)`)."""
    # mint_settings first: its database must outlive the app, which is closed before it.
    return await serve_locally(aiohttp_client, mint_settings)


def origin(api: Api) -> str:
    return api.settings.public_base_url
