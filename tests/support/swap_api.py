"""The swaps API as the tests drive it, registered once for every test by tests/conftest.py
(`pytest_plugins`): the app reading the session's anvil for the test's collectible contract
(`swaps_api`), a maker and a taker each holding a token of it (`fans`), and the two calls a
fan makes (an offer, a signature) with the status each is expected to answer."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import AsyncWeb3

from chain.anvil import AnvilProcess
from infra.settings import Settings
from tests.support.api import Api
from tests.support.swaps import Fan, give_tokens, siwe_fan, swaps_app


@pytest.fixture
async def swaps_api(
    settings: Settings,
    anvil: AnvilProcess,
    collectible: str,
    minter_account: tuple[str, str],
    aiohttp_client: Any,
) -> Api:
    assert settings.database_url
    return await swaps_app(
        aiohttp_client, settings, settings.database_url, anvil.url, collectible, minter_account[1]
    )


@pytest.fixture
async def fans(
    swaps_api: Api, w3: AsyncWeb3, collectible: str, minter_account: tuple[str, str]
) -> tuple[Fan, Fan, int, int]:
    """A maker and a taker, each holding one minted token (of an episode of its own)."""
    maker, taker = await siwe_fan(swaps_api), await siwe_fan(swaps_api)
    assert swaps_api.settings.database_url
    give, want = await give_tokens(
        swaps_api.settings.database_url,
        w3,
        minter_account[1],
        collectible,
        [maker.wallet, taker.wallet],
    )
    return maker, taker, give, want


def post_offer(api: Api, fan: Fan, give: int, want: int, expect: int, **extra: Any) -> Any:
    """`fan` offers token `give` for `want`; the API's answer, expected `expect`."""
    return api.call(
        "POST",
        "/v1/swaps",
        expect,
        headers=fan.headers,
        json={"give_token_id": give, "want_token_id": want, **extra},
    )


def post_signature(api: Api, fan: Fan, swap_id: int, signature: str, expect: int) -> Any:
    return api.call(
        "POST",
        f"/v1/swaps/{swap_id}/signature",
        expect,
        headers=fan.headers,
        json={"signature": signature},
    )
