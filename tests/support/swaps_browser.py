"""The fan app's Swaps tab in a phone's browser, for the tests that swap there: a fan who joins
with a handle and connects an injected wallet, and pages moved to their next look for news."""

from __future__ import annotations

from playwright.async_api import Page

from tests.support.api import Api, unique
from tests.support.browser import Phone, Tab
from tests.support.fan_app import origin
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


async def next_look(*pages: Page) -> None:
    """Each page's Swaps tab asks for news now rather than when its timer would."""
    for page in pages:
        await page.clock.fast_forward(IDLE_POLL_MS)
