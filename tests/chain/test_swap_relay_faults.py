"""A swap relayed exactly once, whatever crashes: `geohunt worker` processes killed with
SIGKILL after signing and storing a swap's transaction but before the node saw it, or after
the node took it but before the worker heard so; restarted, they send the same transaction
again (never a second one) and complete the swap."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from web3 import AsyncWeb3

from chain.anvil import DEV_ACCOUNTS, AnvilProcess
from chain.deploy import deploy_collectible
from chain.swap_calls import SWAP_SELECTOR
from infra.settings import Settings
from tests.support.api import Api
from tests.support.chain import TEST_BASE_URI
from tests.support.minting import WorkerProcess, chain_settings, wait_until
from tests.support.rpc_proxy import RpcProxy
from tests.support.swaps import (
    accept,
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

RELAYER = DEV_ACCOUNTS[2]


@pytest.fixture
async def proxy(own_anvil: AnvilProcess) -> AsyncIterator[RpcProxy]:
    relay = RpcProxy(own_anvil.url)
    await relay.start()
    try:
        yield relay
    finally:
        await relay.stop()


@pytest.fixture
async def world(
    settings: Settings,
    own_database: str,
    own_anvil: AnvilProcess,
    own_w3: AsyncWeb3,
    aiohttp_client: Any,
) -> tuple[Api, str]:
    """The app on the test's own database and chain, and the collectible's address."""
    contract = await deploy_collectible(
        own_w3, DEV_ACCOUNTS[0][1], base_uri=TEST_BASE_URI, minter=RELAYER[0]
    )
    api = await swaps_app(
        aiohttp_client, settings, own_database, own_anvil.url, contract, RELAYER[1]
    )
    return api, contract


async def an_accepted_swap(api: Api, w3: AsyncWeb3, contract: str) -> dict[str, Any]:
    assert api.settings.database_url
    maker, taker = await siwe_fan(api), await siwe_fan(api)
    give, want = await give_tokens(
        api.settings.database_url, w3, RELAYER[1], contract, [maker.wallet, taker.wallet]
    )
    swap = await offer(api, maker, give, want)
    await accept(api, taker, swap)
    return swap


def worker_through(settings: Settings, url: str, log: Path) -> WorkerProcess:
    return WorkerProcess(settings, log, env={"CHAIN_RPC_URL": url, "CHAIN_RPC_TIMEOUT_S": "2"})


async def assert_swapped_once(
    api: Api, w3: AsyncWeb3, contract: str, swap: dict[str, Any], raw: str
) -> None:
    db = api.settings.database_url or ""
    row = await swap_row(db, swap["id"])
    assert (row["status"], row["error"]) == ("completed", None)
    # The one transaction on chain is the one signed and stored before the crash.
    signed_hash = AsyncWeb3.keccak(hexstr=raw).to_0x_hex()
    assert await transactions_to(w3, contract, SWAP_SELECTOR) == [signed_hash]
    assert await swap_transactions(w3, contract, swap["offer_hash"]) == [signed_hash]
    assert await swap_ledger(db, swap["id"]) == [("mined", signed_hash)]
    assert row["tx_hash"] == signed_hash
    token = token_contract(w3, contract)
    assert (await token.functions.ownerOf(swap["give_token_id"]).call()).lower() == swap["taker"]
    assert (await token.functions.ownerOf(swap["want_token_id"]).call()).lower() == swap["maker"]


async def test_killed_between_signing_and_broadcasting_the_worker_sends_the_same_swap_once(
    world: tuple[Api, str], own_w3: AsyncWeb3, proxy: RpcProxy, tmp_path: Path
) -> None:
    api, contract = world
    db = api.settings.database_url or ""
    swap = await an_accepted_swap(api, own_w3, contract)
    worker_settings = chain_settings(api.settings, db, proxy.url, contract, RELAYER[1])
    nonce_before = await own_w3.eth.get_transaction_count(RELAYER[0])
    proxy.mode = "hold"
    worker = worker_through(worker_settings, proxy.url, tmp_path / "worker.log")
    worker.start()
    try:

        async def signed_not_sent() -> bool:
            row = await swap_row(db, swap["id"])
            return row["status"] == "submitted" and bool(proxy.broadcasts)

        await wait_until(signed_not_sent, 60, "the swap signed, stored and held back")
    finally:
        worker.kill()
    # Signed and stored, never broadcast: the chain knows nothing of it.
    ((_, stored_hash),) = await swap_ledger(db, swap["id"])
    assert proxy.forwarded == []
    assert await own_w3.eth.get_transaction_count(RELAYER[0]) == nonce_before
    assert {AsyncWeb3.keccak(hexstr=raw).to_0x_hex() for raw in proxy.broadcasts} == {stored_hash}

    proxy.mode = "forward"
    worker.start()
    try:
        await wait_until(
            lambda: _status_is(db, swap["id"], "completed"), 60, "the restarted worker"
        )
    finally:
        assert worker.stop() == 0, worker.log()[-3000:]
    assert "recovering 1 pending batches" in worker.log()
    await assert_swapped_once(api, own_w3, contract, swap, proxy.broadcasts[0])


async def test_killed_after_the_node_took_it_the_worker_completes_without_resending_anew(
    world: tuple[Api, str], own_w3: AsyncWeb3, proxy: RpcProxy, tmp_path: Path
) -> None:
    api, contract = world
    db = api.settings.database_url or ""
    swap = await an_accepted_swap(api, own_w3, contract)
    worker_settings = chain_settings(api.settings, db, proxy.url, contract, RELAYER[1])
    proxy.mode = "swallow"
    worker = worker_through(worker_settings, proxy.url, tmp_path / "worker.log")
    worker.start()
    try:
        await wait_until(lambda: _forwarded(proxy), 60, "the swap given to the node")
    finally:
        worker.kill()
    # Mined (anvil mines at once) while the worker, killed, never heard it was sent.
    row = await swap_row(db, swap["id"])
    assert row["status"] == "submitted"

    proxy.mode = "forward"
    worker.start()
    try:
        await wait_until(
            lambda: _status_is(db, swap["id"], "completed"), 60, "the restarted worker"
        )
    finally:
        assert worker.stop() == 0, worker.log()[-3000:]
    await assert_swapped_once(api, own_w3, contract, swap, proxy.forwarded[0])
    assert len({AsyncWeb3.keccak(hexstr=r).to_0x_hex() for r in proxy.broadcasts}) == 1


async def _status_is(database_url: str, swap_id: int, status: str) -> bool:
    return (await swap_row(database_url, swap_id))["status"] == status


async def _forwarded(proxy: RpcProxy) -> bool:
    return bool(proxy.forwarded)
