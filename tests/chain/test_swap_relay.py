"""Accepted swaps relayed by the worker (in process, on anvil): several waiting are claimed,
signed and stored in one database transaction, each as one batch and one transaction; a swap
the contract would refuse now is settled without any transaction (`token_moved`, the
contract's reason), alone or among others that go on; one past its deadline fails `expired`;
one that reverts on chain after it was sent is settled by reading the owners afterwards.
Exactly one transaction per swap, or none."""

from __future__ import annotations

import dataclasses
from typing import Any

import asyncpg
from eth_account import Account
from web3 import AsyncWeb3

from chain.anvil import DEV_ACCOUNTS, AnvilProcess
from chain.client import send_transaction
from chain.deploy import deploy_collectible
from chain.swap_calls import SWAP_SELECTOR
from infra.settings import Settings
from tests.support.api import Api
from tests.support.chain import TEST_BASE_URI
from tests.support.minting import chain_settings, wait_until, worker_task
from tests.support.swaps import (
    Fan,
    accept,
    call,
    give_tokens,
    offer,
    siwe_fan,
    swap_ledger,
    swap_row,
    swap_transactions,
    swaps_app,
    token_contract,
    transactions_to,
)

SENDER = DEV_ACCOUNTS[3]  # the relayer of the manually mined chain


async def fund(w3: AsyncWeb3, key: str, address: str) -> None:
    await send_transaction(
        w3,
        key,
        {"to": address, "value": 10**17},
        what="funding",  # type: ignore[typeddict-item]
    )


async def accepted_swap(
    api: Api, w3: AsyncWeb3, contract: str, minter_key: str
) -> tuple[Fan, Fan, dict[str, Any]]:
    assert api.settings.database_url
    maker, taker = await siwe_fan(api), await siwe_fan(api)
    give, want = await give_tokens(
        api.settings.database_url, w3, minter_key, contract, [maker.wallet, taker.wallet]
    )
    swap = await offer(api, maker, give, want)
    await accept(api, taker, swap)
    return maker, taker, swap


async def settled(database_url: str, swap_id: int) -> bool:
    return (await swap_row(database_url, swap_id))["status"] in ("completed", "failed")


# -- refused before any transaction ------------------------------------------------------


async def test_a_token_moved_after_acceptance_fails_the_swap_without_a_transaction(
    mint_api: Api,
    mint_settings: Settings,
    w3: AsyncWeb3,
    collectible: str,
    deployer: tuple[str, str],
    minter_account: tuple[str, str],
) -> None:
    db = mint_settings.database_url or ""
    maker, _, swap = await accepted_swap(mint_api, w3, collectible, minter_account[1])
    await fund(w3, deployer[1], maker.account.address)
    elsewhere = Account.create().address
    await call(
        w3,
        maker.account.key.to_0x_hex(),
        collectible,
        "transferFrom",
        maker.account.address,
        elsewhere,
        swap["give_token_id"],
    )

    async with worker_task(mint_settings):
        await wait_until(lambda: settled(db, swap["id"]), 60, "the swap to settle")

    row = await swap_row(db, swap["id"])
    assert (row["status"], row["error"], row["tx_hash"]) == ("failed", "token_moved", None)
    assert await swap_ledger(db, swap["id"]) == []
    assert await transactions_to(w3, collectible, SWAP_SELECTOR) == []


async def test_a_counter_raised_on_chain_fails_the_swap_with_the_contracts_reason(
    mint_api: Api,
    mint_settings: Settings,
    w3: AsyncWeb3,
    collectible: str,
    deployer: tuple[str, str],
    minter_account: tuple[str, str],
) -> None:
    db = mint_settings.database_url or ""
    maker, _, swap = await accepted_swap(mint_api, w3, collectible, minter_account[1])
    await fund(w3, deployer[1], maker.account.address)
    await call(w3, maker.account.key.to_0x_hex(), collectible, "cancelAllOffers")

    async with worker_task(mint_settings):
        await wait_until(lambda: settled(db, swap["id"]), 60, "the swap to settle")

    row = await swap_row(db, swap["id"])
    assert (row["status"], row["error"]) == ("failed", "OfferNonceStale(0, 1)")
    assert await swap_ledger(db, swap["id"]) == []
    _, seen = await mint_api.call("GET", f"/v1/swaps/{swap['id']}", 200, headers=maker.headers)
    assert (seen["status"], seen["error"]) == ("failed", "OfferNonceStale(0, 1)")


async def test_an_accepted_swap_past_its_deadline_fails_expired_unsent(
    mint_api: Api,
    mint_settings: Settings,
    w3: AsyncWeb3,
    collectible: str,
    minter_account: tuple[str, str],
) -> None:
    db = mint_settings.database_url or ""
    _, _, swap = await accepted_swap(mint_api, w3, collectible, minter_account[1])
    conn = await asyncpg.connect(db)
    try:
        await conn.execute(
            "UPDATE swaps SET deadline_s = extract(epoch FROM now())::bigint - 1 WHERE id = $1",
            swap["id"],
        )
    finally:
        await conn.close()

    async with worker_task(mint_settings):
        await wait_until(lambda: settled(db, swap["id"]), 60, "the worker's sweep")

    row = await swap_row(db, swap["id"])
    assert (row["status"], row["error"]) == ("failed", "expired")
    assert await swap_ledger(db, swap["id"]) == []


# -- several at a time ------------------------------------------------------------------------


async def claimed_together(database_url: str, swap_ids: list[int]) -> list[tuple[Any, int]]:
    """(created_at, nonce) of each swap's batches, in nonce order. now() is the start of the
    database transaction, so batches stored in one transaction share their created_at."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT created_at, nonce FROM mint_batches WHERE swap_id = ANY($1::bigint[])"
            " ORDER BY nonce",
            swap_ids,
        )
    finally:
        await conn.close()
    return [(r["created_at"], r["nonce"]) for r in rows]


async def assert_relayed_once(
    database_url: str, w3: AsyncWeb3, contract: str, swaps: list[dict[str, Any]]
) -> None:
    """Each swap completed by one batch, one transaction and one Swapped event, and no other
    swap transaction reached the chain; the batches claimed in one database transaction, at
    consecutive nonces."""
    sent = set()
    for swap in swaps:
        row = await swap_row(database_url, swap["id"])
        ledger = await swap_ledger(database_url, swap["id"])
        events = await swap_transactions(w3, contract, swap["offer_hash"])
        assert (row["status"], ledger, events) == (
            "completed",
            [("mined", row["tx_hash"])],
            [row["tx_hash"]],
        ), row
        sent.add(row["tx_hash"])
    assert set(await transactions_to(w3, contract, SWAP_SELECTOR)) == sent
    batches = await claimed_together(database_url, [swap["id"] for swap in swaps])
    assert len({created for created, _ in batches}) == 1, batches
    nonces = [nonce for _, nonce in batches]
    assert nonces == list(range(nonces[0], nonces[0] + len(swaps)))


async def test_swaps_accepted_while_no_worker_ran_are_claimed_together_and_each_sent_once(
    mint_api: Api,
    mint_settings: Settings,
    w3: AsyncWeb3,
    collectible: str,
    minter_account: tuple[str, str],
) -> None:
    db = mint_settings.database_url or ""
    swaps = [
        (await accepted_swap(mint_api, w3, collectible, minter_account[1]))[2] for _ in range(6)
    ]
    roomy = dataclasses.replace(
        mint_settings, mint=dataclasses.replace(mint_settings.mint, max_in_flight=8)
    )

    async with worker_task(roomy):
        for swap in swaps:
            await wait_until(lambda s=swap: settled(db, s["id"]), 60, "every swap to settle")

    await assert_relayed_once(db, w3, collectible, swaps)


async def test_one_swap_whose_token_moved_fails_unsent_while_those_claimed_with_it_complete(
    mint_api: Api,
    mint_settings: Settings,
    w3: AsyncWeb3,
    collectible: str,
    deployer: tuple[str, str],
    minter_account: tuple[str, str],
) -> None:
    db = mint_settings.database_url or ""
    accepted = [await accepted_swap(mint_api, w3, collectible, minter_account[1]) for _ in range(6)]
    # The third swap's maker moves its token away after acceptance, by a plain transfer.
    maker, _, moved = accepted[2]
    await fund(w3, deployer[1], maker.account.address)
    await call(
        w3,
        maker.account.key.to_0x_hex(),
        collectible,
        "transferFrom",
        maker.account.address,
        Account.create().address,
        moved["give_token_id"],
    )
    swaps = [swap for _, _, swap in accepted]
    roomy = dataclasses.replace(
        mint_settings, mint=dataclasses.replace(mint_settings.mint, max_in_flight=8)
    )

    async with worker_task(roomy):
        for swap in swaps:
            await wait_until(lambda s=swap: settled(db, s["id"]), 60, "every swap to settle")

    row = await swap_row(db, moved["id"])
    assert (row["status"], row["error"], row["tx_hash"]) == ("failed", "token_moved", None)
    assert await swap_ledger(db, moved["id"]) == []
    assert await swap_transactions(w3, collectible, moved["offer_hash"]) == []
    # The others: one transaction each, at consecutive nonces (none left for the refused one).
    await assert_relayed_once(db, w3, collectible, [s for s in swaps if s is not moved])


# -- reverted on chain -----------------------------------------------------------------------


async def test_a_swap_reverted_on_chain_is_settled_by_reading_the_owners(
    settings: Settings,
    own_database: str,
    own_anvil: AnvilProcess,
    own_w3: AsyncWeb3,
    aiohttp_client: Any,
) -> None:
    w3 = own_w3
    contract = await deploy_collectible(
        w3, DEV_ACCOUNTS[0][1], base_uri=TEST_BASE_URI, minter=SENDER[0]
    )
    api = await swaps_app(
        aiohttp_client, settings, own_database, own_anvil.url, contract, SENDER[1]
    )
    maker, _, swap = await accepted_swap(api, w3, contract, SENDER[1])
    await fund(w3, DEV_ACCOUNTS[0][1], maker.account.address)
    await w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    worker_settings = chain_settings(settings, own_database, own_anvil.url, contract, SENDER[1])

    async def sent() -> bool:
        ledger = await swap_ledger(own_database, swap["id"])
        pending = await w3.provider.make_request("txpool_content", [])  # type: ignore[arg-type]
        return bool(ledger) and bool(pending["result"]["pending"])

    async with worker_task(worker_settings):
        await wait_until(sent, 60, "the swap's transaction in the mempool")
        # The maker moves its token in the same block, paying more: it goes first.
        token = token_contract(w3, contract)
        data = token.encode_abi(
            "transferFrom",
            args=[maker.account.address, Account.create().address, swap["give_token_id"]],
        )
        moved = maker.account.sign_transaction(
            {
                "type": 2,
                "chainId": 31337,
                "to": contract,
                "data": data,
                "nonce": 0,
                "gas": 100_000,
                "maxFeePerGas": 200 * 10**9,
                "maxPriorityFeePerGas": 100 * 10**9,
                "value": 0,
            }
        )
        await w3.eth.send_raw_transaction(moved.raw_transaction)
        await w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        await wait_until(lambda: settled(own_database, swap["id"]), 60, "the swap to settle")

    row = await swap_row(own_database, swap["id"])
    ((state, tx_hash),) = await swap_ledger(own_database, swap["id"])
    assert (row["status"], row["error"], row["tx_hash"]) == ("failed", "token_moved", tx_hash)
    assert state == "reverted"
    receipt = await w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 0
    assert await transactions_to(w3, contract, SWAP_SELECTOR) == [tx_hash]


async def test_a_stuck_swap_is_replaced_at_its_nonce_and_mined_once(
    settings: Settings,
    own_database: str,
    own_anvil: AnvilProcess,
    own_w3: AsyncWeb3,
    aiohttp_client: Any,
) -> None:
    w3 = own_w3
    contract = await deploy_collectible(
        w3, DEV_ACCOUNTS[0][1], base_uri=TEST_BASE_URI, minter=SENDER[0]
    )
    api = await swaps_app(
        aiohttp_client, settings, own_database, own_anvil.url, contract, SENDER[1]
    )
    _, _, swap = await accepted_swap(api, w3, contract, SENDER[1])
    await w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    worker_settings = chain_settings(
        settings, own_database, own_anvil.url, contract, SENDER[1], replace_after_s=1.0
    )

    async def replaced() -> bool:
        return len(await swap_ledger(own_database, swap["id"])) >= 2

    async with worker_task(worker_settings):
        await wait_until(replaced, 60, "the stuck swap replaced")
        await w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        await wait_until(lambda: settled(own_database, swap["id"]), 60, "the swap to settle")

    row = await swap_row(own_database, swap["id"])
    ledger = await swap_ledger(own_database, swap["id"])
    assert {state for state, _ in ledger} == {"mined"}  # one batch, its versions
    (mined,) = await transactions_to(w3, contract, SWAP_SELECTOR)
    assert mined in {tx_hash for _, tx_hash in ledger[1:]}  # a replacement, not the first
    assert (row["status"], row["tx_hash"]) == ("completed", mined)
