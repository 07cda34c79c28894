"""Offering a swap to a fan met on the Leaderboard, in a 390x844 phone against the real app and
anvil: two fans join and connect injected wallets (EIP-6963, signing with real keys) and are
minted tokens, one of them two; the other opens the hunt's Leaderboard, follows "Offer a swap
to {handle}" on that fan's row, finds the Swaps form listing that fan's tokens (the first picked
and the token id filled in), picks the second, and the offer signed in the wallet asks for it.
Then what the form says for a fan who holds nothing, for a fan it cannot list, and to a fan who
has no wallet yet. Nothing is asked of another origin; no script error or CSP violation."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page
from web3 import AsyncWeb3

from tests.support.api import Api
from tests.support.browser import ARTIFACTS, Phone, Tab, screenshot, signed_in
from tests.support.fan_app import origin
from tests.support.fan_tokens import discoverable
from tests.support.swaps_browser import UI_TIMEOUT_MS, next_look, two_fans_with_tokens


async def _me(api: Api, device: Phone) -> dict[str, Any]:
    _, me = await api.call("GET", "/v1/me", 200, headers=await signed_in(device))
    return me  # type: ignore[no-any-return]


async def _play(api: Api, page: Page, slug: str, path: str) -> None:
    """The page's fan app playing hunt `slug` (the one it last played), opened on `path`."""
    await page.evaluate("slug => localStorage.setItem('geohunt.hunt', slug)", slug)
    await page.goto(f"{origin(api)}{path}")


async def _shot(tab: Tab, name: str) -> None:
    """A screenshot of the whole page from its top (the sticky header where a fan sees it),
    once the Swaps tab's lists are drawn (it scrolls to the form then)."""
    if await tab.page.get_by_role("form", name="Offer a swap").count():
        await (
            tab.page.locator(".swap-list[aria-busy='false']").nth(1).wait_for(timeout=UI_TIMEOUT_MS)
        )
    await tab.page.evaluate("window.scrollTo(0, 0)")
    await screenshot(tab, name)


async def test_a_fan_offers_a_swap_to_a_fan_on_the_leaderboard(
    local_mint_api: Api, w3: AsyncWeb3, minter_account: tuple[str, str]
) -> None:
    api = local_mint_api
    async with two_fans_with_tokens(api, w3, minter_account[1], taker_tokens=2) as (
        maker_fan,
        taker_fan,
        [give, first, second],
    ):
        maker_phone, maker_tab, maker_wallet = maker_fan.device, maker_fan.tab, maker_fan.wallet
        taker_phone, taker_wallet = taker_fan.device, taker_fan.wallet
        taker = await _me(api, taker_phone)
        maker_headers = await signed_in(maker_phone)
        _, listed = await api.call(
            "GET", f"/v1/fans/{taker['hunter_id']}/tokens", 200, headers=maker_headers
        )
        slug = listed["tokens"][0]["collectible"]["hunt"]
        page = maker_tab.page

        # The leaderboard: the taker's row offers a swap, the fan's own row does not.
        await _play(api, page, slug, "/leaderboard")
        board = page.get_by_role("list", name="Leaderboard")
        link = board.get_by_role("link", name=f"Offer a swap to {taker['handle']}")
        await link.wait_for(timeout=UI_TIMEOUT_MS)
        maker = await _me(api, maker_phone)
        assert (
            await board.get_by_role("link", name=f"Offer a swap to {maker['handle']}").count() == 0
        )
        # One link a row of another fan (earlier tests' fans may share this hunt's board).
        rows = await board.get_by_role("listitem").count()
        assert await board.get_by_role("link").count() == rows - 1
        await _shot(maker_tab, "fan-swap-offer-leaderboard")

        # The Swaps tab, that fan chosen: their two tokens, the first picked and filled in.
        await link.click()
        form = page.get_by_role("form", name="Offer a swap")
        theirs = form.get_by_role("group", name="Their tokens")
        await theirs.wait_for(timeout=UI_TIMEOUT_MS)
        await form.get_by_text(f"Offering to {taker['handle']}").wait_for(timeout=UI_TIMEOUT_MS)
        first_radio = theirs.get_by_role("radio", name=f"Episode 1 #{first}")
        second_radio = theirs.get_by_role("radio", name=f"Episode 2 #{second}")
        await first_radio.wait_for(timeout=UI_TIMEOUT_MS)
        assert await first_radio.is_checked() and not await second_radio.is_checked()
        wanted = form.get_by_role("textbox", name="Token you want")
        assert await wanted.input_value() == str(first)
        assert page.url.endswith(f"/swaps?fan={taker['hunter_id']}&name={taker['handle']}")
        mine = form.get_by_role("radio", name=f"Episode 0 #{give}")
        await next_look(page)  # the tab finds the fan's own token by itself
        await mine.wait_for(timeout=UI_TIMEOUT_MS)
        assert await mine.is_checked()

        # The fan picks their second token; the id field follows, and still takes a typed id.
        await second_radio.check()
        assert await wanted.input_value() == str(second)
        await wanted.fill(str(first))
        assert await first_radio.is_checked()
        await second_radio.check()
        # What the phone shows (the tab scrolled to the form), and the whole page.
        await page.screenshot(path=str(ARTIFACTS / "fan-swap-offer-phone-view.png"))
        await _shot(maker_tab, "fan-swap-offer-fan-tokens")
        await form.get_by_role("button", name="Offer swap").click()
        await form.get_by_text(f"Offer sent{taker['handle']} now sees it").wait_for(
            timeout=UI_TIMEOUT_MS
        )
        _, swaps = await api.call("GET", "/v1/me/swaps", 200, headers=maker_headers)
        [made] = swaps
        assert (made["give_token_id"], made["want_token_id"]) == (give, second)
        assert (made["status"], made["taker"]) == ("open", taker_wallet.address)
        [typed] = maker_wallet.typed
        assert typed["message"]["wantId"] == str(second)
        assert await wanted.input_value() == ""
        assert not await second_radio.is_checked()
        await _shot(maker_tab, "fan-swap-offer-sent")

        # A fan who holds nothing (discoverable, as the caller is: a twin) and a fan the server
        # does not list: each said in the form, whose token id field still works.
        nobody_id, nobody = await api.hunter()
        _, nobody_me = await api.call("GET", "/v1/me", 200, headers=nobody)
        await discoverable(api, nobody, True)
        await discoverable(api, maker_headers, True)
        await page.goto(f"{origin(api)}/swaps?fan={nobody_id}&name={nobody_me['handle']}")
        await form.get_by_text(f"{nobody_me['handle']} holds no minted tokens right now").wait_for(
            timeout=UI_TIMEOUT_MS
        )
        await _shot(maker_tab, "fan-swap-offer-no-tokens")
        await page.goto(f"{origin(api)}/swaps?fan=999999999999&name=Ghost")
        await form.get_by_text("Ghost is not listed for you any more").wait_for(
            timeout=UI_TIMEOUT_MS
        )
        await _shot(maker_tab, "fan-swap-offer-unlisted")
        await form.get_by_role("button", name="Not this fan").click()
        assert page.url.endswith("/swaps")
        assert await form.get_by_text("Ghost").count() == 0

        # A fan without a wallet follows the same link: connect first, the fan still chosen.
        walletless_phone = await maker_phone.fresh_context()
        walletless = await walletless_phone.tab()
        await walletless.page.goto(f"{origin(api)}/")
        await _play(api, walletless.page, slug, "/")
        await walletless.page.get_by_role("textbox", name="Handle").fill(f"nowallet_{nobody_id}")
        await walletless.page.get_by_role("button", name="Join").click()
        await walletless.page.get_by_role("link", name="Leaderboard").click()
        await walletless.page.get_by_role("link", name=f"Offer a swap to {taker['handle']}").click(
            timeout=UI_TIMEOUT_MS
        )
        await walletless.page.get_by_text(
            f"You chose {taker['handle']}: once your wallet is connected"
        ).wait_for(timeout=UI_TIMEOUT_MS)
        await _shot(walletless, "fan-swap-offer-no-wallet")

        for device in (maker_phone, taker_phone, walletless_phone):
            assert device.foreign_requests() == []
            assert device.errors() == []
