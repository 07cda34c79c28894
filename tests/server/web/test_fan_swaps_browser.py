"""The fan app's Swaps tab, in two phone-sized browser contexts against the real app, a minting
worker and anvil: two fans join with a handle and connect their browser wallets (EIP-6963
providers the test injects, signing with real keys), each is minted a token; one offers theirs
for the other's by its id and signs the offer in the wallet, the other sees it under "Offers to
you" and accepts it (signing the same offer), and both pages follow the swap by themselves until
it completes, which the chain confirms (each token's owner is the other wallet). Then an offer
declined by its taker, and one whose signature the maker first declines in the wallet, signs from
its card and cancels. Refusals read as sentences; nothing is asked of another origin, and no
script error or CSP violation happens."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from playwright.async_api import Page
from web3 import AsyncWeb3

from chain.client import send_transaction
from tests.support.api import Api
from tests.support.browser import Phone, Tab, screenshot, signed_in
from tests.support.minting import token, worker_task
from tests.support.swaps import call
from tests.support.swaps_browser import UI_TIMEOUT_MS, next_look, two_fans_with_tokens
from tests.support.wallets import InjectedWallet

SWAP_TIMEOUT_MS = 60_000  # the same, for a swap to go through the worker and the chain


async def _offer(api: Api, device: Phone, page: Page, want: int, shown: str) -> dict[str, Any]:
    """The fan's page offers the token it has picked for token `want`, once the form shows that
    token as `shown`; the offer as the API holds it."""
    form = page.get_by_role("form", name="Offer a swap")
    await form.get_by_role("textbox", name="Token you want").fill(str(want))
    await form.get_by_text(shown, exact=True).wait_for(timeout=UI_TIMEOUT_MS)
    await form.get_by_role("button", name="Offer swap").click()
    await form.get_by_text("Offer sent").wait_for(timeout=UI_TIMEOUT_MS)
    return (await _my_swaps(api, device))[0]


async def _my_swaps(api: Api, device: Phone) -> list[dict[str, Any]]:
    _, swaps = await api.call("GET", "/v1/me/swaps", 200, headers=await signed_in(device))
    return swaps  # type: ignore[no-any-return]


async def test_two_fans_make_accept_and_watch_a_swap_complete(
    local_mint_api: Api, w3: AsyncWeb3, minter_account: tuple[str, str]
) -> None:
    api = local_mint_api
    contract = api.settings.contract_address
    assert contract
    async with (
        two_fans_with_tokens(api, w3, minter_account[1]) as (maker_fan, taker_fan, [give, want]),
        worker_task(api.settings),  # only now: it would mint those tokens' finds itself
    ):
        maker_phone, maker_tab, maker_wallet = maker_fan.device, maker_fan.tab, maker_fan.wallet
        taker_phone, taker_tab, taker_wallet = taker_fan.device, taker_fan.tab, taker_fan.wallet
        maker, taker = maker_tab.page, taker_tab.page

        # The maker's page finds the minted token by itself and offers it for the taker's id.
        form = maker.get_by_role("form", name="Offer a swap")
        mine = form.get_by_role("radio", name=f"Episode 0 #{give}")
        await next_look(maker)
        await mine.wait_for(timeout=UI_TIMEOUT_MS)
        assert await mine.is_checked()  # the only one: picked already
        wanted = form.get_by_role("textbox", name="Token you want")
        await wanted.fill(str(want + 1000))
        await form.get_by_text(f"There is no token #{want + 1000}").wait_for(timeout=UI_TIMEOUT_MS)
        await form.get_by_role("button", name="Offer swap").click()
        await form.get_by_text(f"There is no token #{want + 1000}: check the id").first.wait_for(
            timeout=UI_TIMEOUT_MS
        )
        await wanted.fill(str(give))
        await form.get_by_text(f"Token #{give} is yours already").wait_for(timeout=UI_TIMEOUT_MS)
        await wanted.fill(str(want))
        await form.get_by_text(f"Episode 1 #{want}", exact=True).wait_for(timeout=UI_TIMEOUT_MS)
        await form.get_by_role("combobox", name="Offer open for").select_option(label="3 days")
        await form.get_by_role("button", name="Offer swap").click()
        await form.get_by_text("Offer sent").wait_for(timeout=UI_TIMEOUT_MS)
        [made] = await _my_swaps(api, maker_phone)
        assert made["status"] == "open"
        assert (made["give_token_id"], made["want_token_id"]) == (give, want)
        assert made["taker"] == taker_wallet.address
        [typed] = maker_wallet.typed
        assert typed["message"]["giveId"] == str(give) and typed["message"]["wantId"] == str(want)
        assert typed["domain"]["verifyingContract"].lower() == contract.lower()
        card = maker.get_by_role("article", name=f"Swap #{made['id']}")
        await card.get_by_text(f"Waiting for {_short(taker_wallet)} to accept").wait_for(
            timeout=UI_TIMEOUT_MS
        )
        await _shot(maker_tab, "fan-swaps-offer-made")

        # The taker's page shows the offer by itself; accepting signs the same offer.
        received = taker.get_by_role("region", name="Offers to you")
        offer = received.get_by_role("article", name=f"Offer #{made['id']} from")
        await next_look(taker)
        await offer.wait_for(timeout=UI_TIMEOUT_MS)
        said = await offer.inner_text()
        assert f"offers Episode 0 #{give} for your Episode 1 #{want}" in said, said
        await _shot(taker_tab, "fan-swaps-offer-received")
        await offer.get_by_role("button", name="Accept").click()
        await (
            taker.get_by_role("status")
            .filter(has_text=f"Swap #{made['id']} accepted")
            .wait_for(timeout=UI_TIMEOUT_MS)
        )
        [signed] = taker_wallet.typed
        assert signed == typed  # both signed the very same document

        # Both pages follow it to the chain and back, without a reload.
        done = "Swapped: you gave"
        taker_card = taker.get_by_role("article", name=f"Swap #{made['id']}")
        await taker_card.get_by_text(done).wait_for(timeout=SWAP_TIMEOUT_MS)
        await card.get_by_text(done).wait_for(timeout=SWAP_TIMEOUT_MS)
        assert f"now hold Episode 1 #{want}" in await card.inner_text()
        assert f"now hold Episode 0 #{give}" in await taker_card.inner_text()
        await (
            maker.get_by_role("status")
            .filter(has_text=f"Swap #{made['id']} completed")
            .wait_for(timeout=UI_TIMEOUT_MS)
        )
        await _shot(maker_tab, "fan-swaps-completed")
        await _shot(taker_tab, "fan-swaps-completed-taker")
        collectible = token(w3, contract)
        assert (await collectible.functions.ownerOf(give).call()).lower() == taker_wallet.address
        assert (await collectible.functions.ownerOf(want).call()).lower() == maker_wallet.address
        [completed] = await _my_swaps(api, taker_phone)
        assert completed["status"] == "completed" and completed["tx_hash"]

        # Each now offers what it got: the maker's picker holds the token it received.
        back = form.get_by_role("radio", name=f"Episode 1 #{want}")
        await back.wait_for(timeout=UI_TIMEOUT_MS)
        assert await form.get_by_role("radio", name=f"Episode 0 #{give}").count() == 0

        # An offer back, declined by its taker: the maker's page says so by itself.
        second = await _offer(api, maker_phone, maker, give, f"Episode 0 #{give}")
        offer = received.get_by_role("article", name=f"Offer #{second['id']} from")
        await next_look(taker)
        await offer.get_by_role("button", name="Decline").click(timeout=UI_TIMEOUT_MS)
        await (
            taker.get_by_role("article", name=f"Swap #{second['id']}")
            .get_by_text("You declined this offer.")
            .wait_for(timeout=UI_TIMEOUT_MS)
        )
        declined = maker.get_by_role("article", name=f"Swap #{second['id']}")
        await next_look(maker)
        await declined.get_by_text(f"{_short(taker_wallet)} declined your offer.").wait_for(
            timeout=UI_TIMEOUT_MS
        )

        # A signature declined in the wallet: the offer waits, signed later from its card, then
        # cancelled by its maker.
        maker_wallet.decline_next_signature = True
        await wanted.fill(str(give))
        await form.get_by_role("button", name="Offer swap").click()
        await form.get_by_text("you declined in Test Wallet").wait_for(timeout=UI_TIMEOUT_MS)
        third = (await _my_swaps(api, maker_phone))[0]
        assert third["status"] == "awaiting_maker_signature"
        waiting = maker.get_by_role("article", name=f"Swap #{third['id']}")
        await waiting.get_by_text("Not sent yet").wait_for(timeout=UI_TIMEOUT_MS)
        await _shot(maker_tab, "fan-swaps-unsigned")
        await waiting.get_by_role("button", name="Sign in wallet").click()
        await waiting.get_by_text(f"Waiting for {_short(taker_wallet)} to accept").wait_for(
            timeout=UI_TIMEOUT_MS
        )
        await next_look(taker)
        await received.get_by_role("article", name=f"Offer #{third['id']} from").wait_for(
            timeout=UI_TIMEOUT_MS
        )
        await waiting.get_by_role("button", name="Cancel offer").click()
        await waiting.get_by_text("You cancelled this offer.").wait_for(timeout=UI_TIMEOUT_MS)
        await next_look(taker)
        await (
            taker.get_by_role("article", name=f"Swap #{third['id']}")
            .get_by_text("cancelled this offer before you answered")
            .wait_for(timeout=UI_TIMEOUT_MS)
        )
        await _shot(taker_tab, "fan-swaps-history")
        statuses = [swap["status"] for swap in await _my_swaps(api, maker_phone)]
        assert statuses == ["cancelled", "declined", "completed"]
        # The tokens stayed where the completed swap put them.
        assert (await collectible.functions.ownerOf(give).call()).lower() == taker_wallet.address

        # A Collection card offers its find in a swap: the taker's first find went in the swap, so
        # the tab says so and picks the token the wallet holds now.
        await taker.get_by_role("link", name="Collection").click()
        offer_link = taker.get_by_role("link", name="Offer Episode 1 in a swap")
        await offer_link.wait_for(timeout=UI_TIMEOUT_MS)
        await _shot(taker_tab, "fan-swaps-collection-link")
        await offer_link.click()
        swap_form = taker.get_by_role("form", name="Offer a swap")
        await swap_form.get_by_text(f"Your wallet does not hold token #{want} now").wait_for(
            timeout=UI_TIMEOUT_MS
        )
        assert await swap_form.get_by_role("radio", name=f"Episode 0 #{give}").is_checked()
        assert taker.url.endswith(f"/swaps?give={want}")
        await _shot(taker_tab, "fan-swaps-from-collection")

        for device in (maker_phone, taker_phone):
            assert device.foreign_requests() == []
            assert device.errors() == []


async def test_a_token_that_moves_before_the_relay_fails_the_swap_in_both_pages(
    local_mint_api: Api,
    w3: AsyncWeb3,
    minter_account: tuple[str, str],
    deployer: tuple[str, str],
) -> None:
    api = local_mint_api
    contract = api.settings.contract_address
    assert contract
    elsewhere = Account.create().address
    async with (
        two_fans_with_tokens(api, w3, minter_account[1]) as (maker_fan, taker_fan, [give, want]),
        worker_task(api.settings),
    ):
        maker_phone, maker_tab, maker_wallet = maker_fan.device, maker_fan.tab, maker_fan.wallet
        taker_phone, taker_tab, taker_wallet = taker_fan.device, taker_fan.tab, taker_fan.wallet
        maker, taker = maker_tab.page, taker_tab.page
        form = maker.get_by_role("form", name="Offer a swap")
        await next_look(maker)
        await form.get_by_role("radio", name=f"Episode 0 #{give}").wait_for(timeout=UI_TIMEOUT_MS)
        made = await _offer(api, maker_phone, maker, want, f"Episode 1 #{want}")
        offer = taker.get_by_role("region", name="Offers to you").get_by_role(
            "article", name=f"Offer #{made['id']} from"
        )
        await next_look(taker)
        await offer.wait_for(timeout=UI_TIMEOUT_MS)

        # The taker's token leaves its wallet on chain (given to someone else) before accepting.
        taker_address = AsyncWeb3.to_checksum_address(taker_wallet.address)
        await send_transaction(
            w3, deployer[1], {"to": taker_address, "value": 10**17}, what="gas for the taker"
        )
        await call(
            w3, taker_wallet.account.key, contract, "transferFrom", taker_address, elsewhere, want
        )
        await offer.get_by_role("button", name="Accept").click()

        # The worker finds the chain would refuse it: failed, and both pages say why.
        moved = "One of the two tokens changed hands before the swap went through"
        taker_card = taker.get_by_role("article", name=f"Swap #{made['id']}")
        await taker_card.get_by_text(moved).wait_for(timeout=SWAP_TIMEOUT_MS)
        maker_card = maker.get_by_role("article", name=f"Swap #{made['id']}")
        await maker_card.get_by_text(moved).wait_for(timeout=SWAP_TIMEOUT_MS)
        await (
            maker.get_by_role("status")
            .filter(has_text=f"Swap #{made['id']} failed")
            .wait_for(timeout=UI_TIMEOUT_MS)
        )
        await _shot(maker_tab, "fan-swaps-failed")
        [failed] = await _my_swaps(api, taker_phone)
        assert (failed["status"], failed["error"]) == ("failed", "token_moved")
        collectible = token(w3, contract)
        assert (await collectible.functions.ownerOf(give).call()).lower() == maker_wallet.address
        assert await collectible.functions.ownerOf(want).call() == elsewhere
        # The maker still holds its token, and may offer it again.
        assert await form.get_by_role("radio", name=f"Episode 0 #{give}").is_checked()

        for device in (maker_phone, taker_phone):
            assert device.foreign_requests() == []
            assert device.errors() == []


async def _shot(tab: Tab, name: str) -> None:
    """A screenshot of the whole page from its top (the header stays where a fan sees it)."""
    await tab.page.evaluate("window.scrollTo(0, 0)")
    await screenshot(tab, name)


def _short(wallet: InjectedWallet) -> str:
    return f"{wallet.address[:6]}…{wallet.address[-4:]}"
