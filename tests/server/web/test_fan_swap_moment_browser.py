"""A fans' moment's token offered in a swap from the fan app, against the real app and anvil. A
moment's token id is 2^62 + the moment's id, past JavaScript's exact integers (2^53): read or
sent as a plain JSON number it would become another token (2^62 + 1000 reads as 2^62 + 1024).
The maker's browser has no `JSON.rawJSON`, as Safari 16 and Firefox 115 (which the app's build
targets) have none, so nothing but the app's own JSON handling keeps the digits. The maker picks
the moment minted to their wallet and offers it; the server holds the exact id, the wallet signs
typed data naming it in decimal digits, and both fans' pages show it digit for digit."""

from __future__ import annotations

from typing import Any

import asyncpg
from web3 import AsyncWeb3

from tests.support.api import Api
from tests.support.browser import Phone, Tab, screenshot, signed_in
from tests.support.database import fetchval
from tests.support.swaps import call
from tests.support.swaps_browser import UI_TIMEOUT_MS, next_look, two_fans_with_tokens

MOMENT_TOKENS = 2**62
# What the browsers the app is built for but that lack JSON.rawJSON look like.
NO_RAW_JSON = "delete JSON.rawJSON;"


async def _hunt_of(database_url: str, find_id: int) -> str:
    slug = await fetchval(
        database_url,
        "SELECT h.slug FROM finds f JOIN hunts h ON h.id = f.hunt_id WHERE f.id = $1",
        find_id,
    )
    return str(slug)


async def _minted_moment(
    api: Api, w3: AsyncWeb3, minter_key: str, device: Phone, wallet: str, find_id: int
) -> dict[str, Any]:
    """A moment of the episode of the fan's find `find_id`, approved, and minted on chain to
    `wallet` at once (no worker runs: its mint is marked minted as the worker would)."""
    contract, database_url = api.settings.contract_address, api.settings.database_url
    assert contract and database_url
    slug = await _hunt_of(database_url, find_id)
    headers = await signed_in(device)
    for _ in range(2):
        _, made = await api.call(
            "POST",
            f"/v1/hunts/{slug}/moments",
            201,
            headers=headers,
            json={"collectible": "episode-0", "scene_s": 754, "title": "The pond"},
        )
        # An id a multiple of 1024 makes a token id a JSON number holds exactly: the one case
        # that could not show the rounding. The next moment's cannot be one too.
        if made["id"] % 1024:
            break
    _, moment = await api.call(
        "POST",
        f"/v1/moments/{made['id']}/review",
        200,
        headers=api.organiser,
        json={"decision": "approve"},
    )
    token_id = int(moment["token_id"])
    assert token_id == MOMENT_TOKENS + made["id"] and float(token_id) != token_id
    receipt = await call(
        w3, minter_key, contract, "mint", AsyncWeb3.to_checksum_address(wallet), token_id
    )
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "UPDATE moment_mints SET status = 'minted', tx_hash = $2, contract = $3,"
            " chain_id = $4, minted_at = now() WHERE moment_id = $1",
            made["id"],
            receipt["transactionHash"].to_0x_hex(),
            contract,
            int(await w3.eth.chain_id),
        )
    finally:
        await conn.close()
    return moment  # type: ignore[no-any-return]


async def _shot(tab: Tab, name: str) -> None:
    await tab.page.locator(".swap-list[aria-busy='false']").nth(1).wait_for(timeout=UI_TIMEOUT_MS)
    await tab.page.evaluate("window.scrollTo(0, 0)")
    await screenshot(tab, name)


async def test_a_moment_token_is_offered_with_its_exact_id(
    local_mint_api: Api, w3: AsyncWeb3, minter_account: tuple[str, str]
) -> None:
    api = local_mint_api
    async with two_fans_with_tokens(api, w3, minter_account[1]) as (maker_fan, taker_fan, tokens):
        give_find, want = tokens
        maker_phone, maker_wallet = maker_fan.device, maker_fan.wallet
        moment = await _minted_moment(
            api, w3, minter_account[1], maker_phone, maker_wallet.address, give_find
        )
        give = int(moment["token_id"])
        await maker_phone.context.add_init_script(NO_RAW_JSON)
        maker = maker_fan.page
        await maker.goto(maker.url)
        assert await maker.evaluate("typeof JSON.rawJSON") == "undefined"

        # The maker's picker holds the moment; it is offered for the taker's token.
        form = maker.get_by_role("form", name="Offer a swap")
        picked = form.get_by_role("radio", name="Moment “The pond”")
        await picked.wait_for(timeout=UI_TIMEOUT_MS)
        assert await picked.get_attribute("value") == str(give)
        await picked.check()
        await form.get_by_role("textbox", name="Token you want").fill(str(want))
        await form.get_by_text(f"Episode 1 #{want}", exact=True).wait_for(timeout=UI_TIMEOUT_MS)
        await form.get_by_role("button", name="Offer swap").click()
        await form.get_by_text("Offer sent").wait_for(timeout=UI_TIMEOUT_MS)

        _, swaps = await api.call("GET", "/v1/me/swaps", 200, headers=await signed_in(maker_phone))
        [made] = swaps
        assert (made["give_token_id"], made["want_token_id"]) == (give, want)
        assert made["status"] == "open"
        [typed] = maker_wallet.typed
        assert (typed["message"]["giveId"], typed["message"]["wantId"]) == (str(give), str(want))

        # Both pages name the moment's token by its exact id.
        card = maker.get_by_role("article", name=f"Swap #{made['id']}")
        await card.get_by_text(f"Episode 0 #{give}", exact=True).wait_for(timeout=UI_TIMEOUT_MS)
        await _shot(maker_fan.tab, "fan-swap-moment-offered")
        taker = taker_fan.page
        offer = taker.get_by_role("region", name="Offers to you").get_by_role(
            "article", name=f"Offer #{made['id']} from"
        )
        await next_look(taker)
        await offer.wait_for(timeout=UI_TIMEOUT_MS)
        said = await offer.inner_text()
        assert f"offers Episode 0 #{give} for your Episode 1 #{want}" in said, said
        await _shot(taker_fan.tab, "fan-swap-moment-received")

        for device in (maker_phone, taker_fan.device):
            assert device.foreign_requests() == []
            assert device.errors() == []
