"""The fan app's Swaps tab in a phone's browser, for the tests that swap there: a fan who joins
with a handle and connects an injected wallet, two such fans holding minted tokens, and pages
moved to their next look for news."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from eth_account import Account
from playwright.async_api import Page
from web3 import AsyncWeb3

from tests.support.api import Api, unique
from tests.support.browser import Phone, Tab, phone
from tests.support.fan_app import origin
from tests.support.swaps import give_tokens
from tests.support.wallets import InjectedWallet, inject_wallet

UI_TIMEOUT_MS = 20_000  # a bound against hanging, never a measurement
# The Swaps tab asks for news this often while nothing of the fan's is on its way to the chain
# (IDLE_POLL_MS in web/fan/swaps.js). The pages run on Playwright's clock, so a test moves a page
# to its next look at once instead of sleeping through the wait.
IDLE_POLL_MS = 8_000


async def join_with_wallet(api: Api, device: Phone, wallet: InjectedWallet) -> Tab:
    """The fan opens Swaps signed out, joins there with a handle and connects the wallet."""
    await inject_wallet(device.context, wallet)
    tab = await device.tab()
    page = tab.page
    await page.clock.install()
    await page.goto(f"{origin(api)}/swaps")
    await page.get_by_role("textbox", name="Handle").fill(unique("fan")[:20].replace("-", "_"))
    await page.get_by_role("button", name="Join").click()
    await page.get_by_role("heading", name="Connect your wallet to swap").wait_for(
        timeout=UI_TIMEOUT_MS
    )
    await page.get_by_role("button", name="Connect wallet").click()
    form = page.get_by_role("form", name="Offer a swap")
    await form.get_by_text("No tokens in your wallet yet").wait_for(timeout=UI_TIMEOUT_MS)
    return tab


@dataclass
class SwapFan:
    """A fan in a phone of their own, joined on the Swaps tab with their wallet connected."""

    device: Phone
    tab: Tab
    wallet: InjectedWallet

    @property
    def page(self) -> Page:
        return self.tab.page


@contextlib.asynccontextmanager
async def two_fans_with_tokens(
    api: Api, w3: AsyncWeb3, minter_key: str, taker_tokens: int = 1
) -> AsyncIterator[tuple[SwapFan, SwapFan, list[int]]]:
    """A maker and a taker, each with a new wallet in a phone of their own (one browser), joined
    on Swaps, and tokens minted to their wallets on chain: the maker's one, then the taker's
    `taker_tokens`, whose ids come in that order. No worker runs: one started before the
    tokens are given would mint their finds itself, racing `give_tokens`."""
    contract = api.settings.contract_address
    assert contract and api.settings.database_url
    maker_wallet = InjectedWallet(Account.create())
    taker_wallet = InjectedWallet(Account.create())
    async with phone(origin(api)) as maker_phone:
        taker_phone = await maker_phone.fresh_context()
        maker = SwapFan(
            maker_phone, await join_with_wallet(api, maker_phone, maker_wallet), maker_wallet
        )
        taker = SwapFan(
            taker_phone, await join_with_wallet(api, taker_phone, taker_wallet), taker_wallet
        )
        wallets = [maker_wallet.address] + [taker_wallet.address] * taker_tokens
        tokens = await give_tokens(api.settings.database_url, w3, minter_key, contract, wallets)
        yield maker, taker, tokens


async def next_look(*pages: Page) -> None:
    """Each page's Swaps tab asks for news now rather than when its timer would."""
    for page in pages:
        await page.clock.fast_forward(IDLE_POLL_MS)
