"""A swap from offer to completion through the API and the worker, on anvil: two fans signed
in with Ethereum, one transaction that moves both tokens, relayed by the studio's key."""

from __future__ import annotations

from web3 import AsyncWeb3

from chain.swap_calls import SWAP_SELECTOR
from infra.settings import Settings
from tests.support.api import Api
from tests.support.minting import wait_until, worker_task
from tests.support.swaps import (
    accept,
    give_tokens,
    offer,
    siwe_fan,
    swap_ledger,
    swap_transactions,
    token_contract,
    transactions_to,
)


async def test_two_fans_swap_through_the_api_in_one_relayed_transaction(
    mint_api: Api,
    mint_settings: Settings,
    w3: AsyncWeb3,
    collectible: str,
    minter_account: tuple[str, str],
) -> None:
    db = mint_settings.database_url or ""
    maker, taker = await siwe_fan(mint_api), await siwe_fan(mint_api)
    give, want = await give_tokens(
        db, w3, minter_account[1], collectible, [maker.wallet, taker.wallet]
    )
    swap = await offer(mint_api, maker, give, want)
    await accept(mint_api, taker, swap)
    relayer_balance = await w3.eth.get_balance(minter_account[0])

    async def completed() -> bool:
        _, seen = await mint_api.call("GET", f"/v1/swaps/{swap['id']}", 200, headers=maker.headers)
        return seen["status"] in ("completed", "failed")

    async with worker_task(mint_settings):
        await wait_until(completed, 60, "the swap to complete")

    _, done = await mint_api.call("GET", f"/v1/swaps/{swap['id']}", 200, headers=taker.headers)
    assert (done["status"], done["error"]) == ("completed", None)
    token = token_contract(w3, collectible)
    assert (await token.functions.ownerOf(give).call()).lower() == taker.wallet
    assert (await token.functions.ownerOf(want).call()).lower() == maker.wallet
    # One transaction, the studio's, named by the swap and by the chain's Swapped event.
    (sent,) = await transactions_to(w3, collectible, SWAP_SELECTOR)
    assert sent == done["tx_hash"]
    assert await swap_transactions(w3, collectible, swap["offer_hash"]) == [sent]
    assert await swap_ledger(db, swap["id"]) == [("mined", sent)]
    tx = await w3.eth.get_transaction(sent)
    assert tx["from"] == minter_account[0]
    assert await w3.eth.get_balance(minter_account[0]) < relayer_balance
    assert await w3.eth.get_balance(AsyncWeb3.to_checksum_address(maker.wallet)) == 0
    _, mine = await mint_api.call("GET", "/v1/me/swaps", 200, headers=maker.headers)
    assert mine[0]["status"] == "completed" and mine[0]["tx_hash"] == sent

    # The ratings: the maker traded to get `want` (in) and traded `give` away (out). An offer
    # of the same tokens that never completed counts for nothing.
    _, other = await mint_api.call(
        "POST",
        "/v1/swaps",
        201,
        headers=taker.headers,
        json={"give_token_id": give, "want_token_id": want},
    )
    await mint_api.call("DELETE", f"/v1/swaps/{other['id']}", 200, headers=taker.headers)
    slug = done["give"]["hunt"]
    path = f"/v1/hunts/{slug}/stats"
    _, stats = await mint_api.call("GET", path, 200, headers=mint_api.organiser)
    swaps = {c["key"]: (c["swaps_in"], c["swaps_out"]) for c in stats["collectibles"]}
    assert swaps == {done["give"]["key"]: (0, 1), done["want"]["key"]: (1, 0)}
    _, table = await mint_api.call(
        "GET", path + "?format=csv&table=collectibles", 200, headers=mint_api.organiser
    )
    header, *rows = table.decode().splitlines()
    columns = header.split(",")
    assert columns[-2:] == ["swaps_in", "swaps_out"]
    assert sorted(tuple(r.split(",")[-2:]) for r in rows) == [("0", "1"), ("1", "0")]
    token = mint_api.organiser["Authorization"].removeprefix("Bearer ")
    _, page = await mint_api.call("GET", f"/organisers/{slug}?token={token}", 200)
    section = page.decode()
    section = section[section.index('<section id="swaps">') :]
    assert 'data-series="traded to get" data-value="1"' in section
    assert 'data-series="traded away" data-value="1"' in section
