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


@pytest.fixture
async def local_api(aiohttp_client: Any, settings: Settings) -> Api:
    port = free_port()
    local = dataclasses.replace(settings, public_base_url=f"http://localhost:{port}")
    server = TestServer(create_app(local), host="127.0.0.1", port=port)
    return Api(await aiohttp_client(server), local)


def origin(api: Api) -> str:
    return api.settings.public_base_url
