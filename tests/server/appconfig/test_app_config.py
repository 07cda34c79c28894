"""GET /v1/app/config: the chain finds are minted on, and the demo's public test wallet key only
where `geohunt demo` (or GEOHUNT_DEMO_WALLET_KEY) sets one."""

from __future__ import annotations

from typing import Any

import pytest

from chain.anvil import DEV_ACCOUNTS
from infra.settings import Settings, SettingsError
from server.app import create_app
from tests.support.api import TEST_SECRET, Api

_, DEMO_KEY = DEV_ACCOUNTS[1]
_, MINTER_KEY = DEV_ACCOUNTS[0]


async def test_a_server_without_chain_or_demo_key_says_so(api: Api) -> None:
    _, body = await api.call("GET", "/v1/app/config", 200)
    assert body == {"chain_id": None, "demo_wallet_key": None}


async def test_anyone_reads_the_chain_id_without_a_token(mint_api: Api) -> None:
    _, body = await mint_api.call("GET", "/v1/app/config", 200)
    assert body == {"chain_id": 31337, "demo_wallet_key": None}


async def test_the_demo_key_is_served_only_when_set(
    aiohttp_client: Any, settings: Settings
) -> None:
    env = {
        "GEOHUNT_SECRET": TEST_SECRET,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "GEOHUNT_REDIS_PREFIX": settings.redis_prefix,
        "GEOHUNT_DEMO_WALLET_KEY": DEMO_KEY.removeprefix("0x").upper(),
    }
    demo = Settings.from_env(env)
    assert demo.demo_wallet_key == DEMO_KEY
    assert DEMO_KEY not in repr(demo)
    client = await aiohttp_client(create_app(demo))
    response = await client.get("/v1/app/config")
    assert response.status == 200
    assert await response.json() == {"chain_id": None, "demo_wallet_key": DEMO_KEY}
    assert Settings.from_env({**env, "GEOHUNT_DEMO_WALLET_KEY": ""}).demo_wallet_key is None


@pytest.mark.parametrize(
    ("key", "error"),
    [
        ("0x1234", "32 bytes of hex"),
        ("zz" * 32, "32 bytes of hex"),
        (MINTER_KEY, "must not be MINTER_PRIVATE_KEY"),
    ],
)
def test_a_demo_key_that_is_malformed_or_the_minters_is_refused(key: str, error: str) -> None:
    env = {
        "GEOHUNT_SECRET": TEST_SECRET,
        "MINTER_PRIVATE_KEY": MINTER_KEY,
        "GEOHUNT_DEMO_WALLET_KEY": key,
    }
    with pytest.raises(SettingsError, match=error) as raised:
        Settings.from_env(env)
    assert key not in str(raised.value)  # a key is never echoed, even a wrong one
