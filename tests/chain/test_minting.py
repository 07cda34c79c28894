"""Minting on a real anvil: scans become tokens in the hunter's wallet, once."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import asyncpg
from click.testing import CliRunner
from eth_account import Account
from web3 import AsyncWeb3

from chain.mint_store import retry_failed
from infra.settings import Settings
from server.cli import main as cli
from server.http.auth import Role
from tests.support.api import Api, bearer
from tests.support.builders import make_hunt
from tests.support.database import fetchval
from tests.support.identity import siwe
from tests.support.minting import (
    all_minted,
    job_counts,
    scan,
    seed_finds,
    seed_hunt,
    token,
    transfers_from_zero,
    wait_until,
    worker_env,
    worker_task,
)


async def my_finds(api: Api, headers: dict[str, str]) -> list[dict[str, Any]]:
    _, finds = await api.call("GET", "/v1/me/finds", 200, headers=headers)
    return finds


async def test_a_scans_find_is_owned_on_chain_by_the_hunters_wallet(
    mint_api: Api, mint_settings: Settings, w3: AsyncWeb3, collectible: str
) -> None:
    account = Account.create()
    signed_in = await siwe(mint_api, account, 200)
    me = bearer(signed_in["token"])
    hunt = await make_hunt(mint_api)
    find = await scan(mint_api, hunt, me)
    assert find["mint"] == {"status": "queued"}

    async with worker_task(mint_settings):

        async def minted() -> bool:
            return (await my_finds(mint_api, me))[0]["mint"]["status"] == "minted"

        await wait_until(minted, what="the find to be minted")

    [listed] = await my_finds(mint_api, me)
    mint = listed["mint"]
    assert mint["token_id"] == find["id"]
    assert mint["contract"] == collectible and mint["chain_id"] == 31337
    contract = token(w3, collectible)
    assert await contract.functions.ownerOf(find["id"]).call() == account.address
    uri = await contract.functions.tokenURI(find["id"]).call()
    assert uri == f"{mint_settings.public_base_url}/v1/tokens/{find['id']}"
    receipt = await w3.eth.get_transaction_receipt(mint["tx_hash"])
    assert receipt["status"] == 1 and receipt["to"] == collectible
    # The token URI the chain holds is served by the app.
    _, metadata = await mint_api.call("GET", uri.removeprefix(mint_settings.public_base_url), 200)
    assert metadata["name"].endswith(f"#{find['id']}")
    assert {"trait_type": "Clue kind", "value": "billboard"} in metadata["attributes"]
    assert await transfers_from_zero(w3, collectible) == {find["id"]: 1}


async def test_walletless_finds_wait_then_mint_after_a_siwe_link(
    mint_api: Api, mint_settings: Settings, w3: AsyncWeb3, collectible: str
) -> None:
    _, me = await mint_api.hunter()
    hunt = await make_hunt(mint_api)
    finds = [await scan(mint_api, hunt, me) for _ in range(3)]
    assert {f["mint"]["status"] for f in finds} == {"awaiting_wallet"}
    async with worker_task(mint_settings):
        # A worker running changes nothing for a hunter without a wallet.
        await wait_until(lambda: _worker_reported(mint_settings), what="the worker's first report")
        assert {f["mint"]["status"] for f in await my_finds(mint_api, me)} == {"awaiting_wallet"}
        assert await job_counts(mint_settings.database_url or "") == {}

        account = Account.create()
        await siwe(mint_api, account, 200, headers=me)

        async def minted() -> bool:
            return {f["mint"]["status"] for f in await my_finds(mint_api, me)} == {"minted"}

        await wait_until(minted, what="the linked finds to be minted")
    contract = token(w3, collectible)
    for find in finds:
        assert await contract.functions.ownerOf(find["id"]).call() == account.address
    assert await transfers_from_zero(w3, collectible) == {f["id"]: 1 for f in finds}


async def _worker_reported(settings: Settings) -> bool:
    conn = await asyncpg.connect(settings.database_url)
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM mint_signers"))
    finally:
        await conn.close()


async def test_a_revert_for_an_already_minted_id_is_settled_by_owner_of(
    mint_settings: Settings, w3: AsyncWeb3, collectible: str, minter_account: tuple[str, str]
) -> None:
    """A token minted behind the queue's back (as after a lost record) makes its batch revert;
    the worker reads ownerOf, marks it minted with the earlier transaction, and mints the
    batch's other finds in later transactions."""
    db = mint_settings.database_url or ""
    wallets = [Account.create().address for _ in range(5)]
    hunt, collectible_id, clue = await seed_hunt(db)
    finds = await seed_finds(db, hunt, collectible_id, clue, wallets)
    contract = token(w3, collectible)
    early = await _send_as_minter(
        w3, minter_account, contract.encode_abi("mint", args=[wallets[2], finds[2]]), collectible
    )
    async with worker_task(mint_settings):
        await wait_until(lambda: all_minted(db, len(finds)), what="every find minted")
    assert await transfers_from_zero(w3, collectible) == dict.fromkeys(finds, 1)
    conn = await asyncpg.connect(db)
    try:
        jobs = {
            r["find_id"]: r
            for r in await conn.fetch("SELECT find_id, tx_hash, attempts FROM mint_jobs")
        }
        reverted = await conn.fetchval(
            "SELECT count(*) FROM mint_batches WHERE status = 'reverted'"
        )
    finally:
        await conn.close()
    assert reverted == 1
    assert jobs[finds[2]]["tx_hash"] == early
    for find, wallet in zip(finds, wallets, strict=True):
        assert await contract.functions.ownerOf(find).call() == wallet


async def _send_as_minter(w3: AsyncWeb3, minter: tuple[str, str], data: str, to: str) -> str:
    from chain.client import send_transaction

    receipt = await send_transaction(w3, minter[1], {"to": to, "data": data}, what="test mint")
    return receipt["transactionHash"].to_0x_hex()


async def test_a_recipient_that_refuses_fails_for_good_and_mint_retry_requeues_it(
    mint_api: Api, mint_settings: Settings, w3: AsyncWeb3, collectible: str
) -> None:
    """A contract wallet without onERC721Received refuses the token: its job is tried alone,
    up to MINT_MAX_ATTEMPTS, then `failed` with the error, while the others mint."""
    db = mint_settings.database_url or ""
    good = [Account.create().address for _ in range(3)]
    hunt, collectible_id, clue = await seed_hunt(db)
    # The collectible contract itself is a recipient that cannot take ERC-721 tokens.
    finds = await seed_finds(db, hunt, collectible_id, clue, [*good, collectible])
    refused = finds[-1]
    async with worker_task(_with_mint(mint_settings, max_attempts=2)):

        async def settled() -> bool:
            counts = await job_counts(db)
            return counts.get("minted") == 3 and counts.get("failed") == 1

        await wait_until(settled, what="three minted and one failed")
    assert await transfers_from_zero(w3, collectible) == dict.fromkeys(finds[:3], 1)
    conn = await asyncpg.connect(db)
    try:
        failed = await conn.fetchrow("SELECT attempts FROM mint_jobs WHERE find_id = $1", refused)
        hunter = await conn.fetchval("SELECT hunter_id FROM finds WHERE id = $1", refused)
    finally:
        await conn.close()
    assert failed["attempts"] == 2
    [listed] = await my_finds(mint_api, mint_api.auth(Role.HUNTER, str(hunter)))
    assert listed["mint"]["status"] == "failed" and "reverted" in listed["mint"]["error"]

    # `geohunt mint retry` requeues it with a fresh count (here it would fail again: a retry
    # is for causes that went away, such as an empty signer balance).
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["mint", "retry", str(refused)], env=worker_env(mint_settings)
    )
    assert result.exit_code == 0, result.output
    assert "requeued 1 failed mints" in result.output
    assert (await job_counts(db)).get("queued") == 1
    assert await retry_failed_count(db) == 0


async def retry_failed_count(database_url: str) -> int:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        return await retry_failed(pool)
    finally:
        await pool.close()


def _with_mint(settings: Settings, **changes: Any) -> Settings:
    return dataclasses.replace(settings, mint=dataclasses.replace(settings.mint, **changes))


async def test_a_stuck_transaction_is_replaced_at_the_same_nonce_with_higher_fees(
    mint_settings: Settings, w3: AsyncWeb3, collectible: str
) -> None:
    db = mint_settings.database_url or ""
    hunt, collectible_id, clue = await seed_hunt(db)
    finds = await seed_finds(db, hunt, collectible_id, clue, [Account.create().address])
    await w3.provider.make_request("evm_setAutomine", [False])
    try:
        async with worker_task(_with_mint(mint_settings, replace_after_s=1.0)):
            await wait_until(lambda: _stored_txs(db, at_least=2), what="a replacement transaction")
            await w3.provider.make_request("evm_mine", [])
            await wait_until(lambda: all_minted(db, 1), what="the find minted")
    finally:
        await w3.provider.make_request("evm_setAutomine", [True])
    conn = await asyncpg.connect(db)
    try:
        txs = await conn.fetch(
            "SELECT t.hash, t.max_fee_per_gas, t.max_priority_fee_per_gas, b.nonce, b.mined_hash"
            " FROM mint_txs t JOIN mint_batches b ON b.id = t.batch_id ORDER BY t.signed_at"
        )
    finally:
        await conn.close()
    assert len({t["nonce"] for t in txs}) == 1 and len(txs) >= 2
    first, last = txs[0], txs[-1]
    assert last["max_priority_fee_per_gas"] >= first["max_priority_fee_per_gas"] * 125 // 100
    assert last["max_fee_per_gas"] > first["max_fee_per_gas"]
    # The mined version is one of ours, and the token exists once.
    assert txs[0]["mined_hash"] in {t["hash"] for t in txs}
    assert await transfers_from_zero(w3, collectible) == {finds[0]: 1}


async def test_minted_waits_for_the_configured_confirmations(
    mint_settings: Settings, w3: AsyncWeb3
) -> None:
    db = mint_settings.database_url or ""
    hunt, collectible_id, clue = await seed_hunt(db)
    await seed_finds(db, hunt, collectible_id, clue, [Account.create().address])
    async with worker_task(_with_mint(mint_settings, confirmations=3)):
        await wait_until(lambda: _stored_txs(db), what="the transaction")
        await _settle_time()
        # Mined in one block (automine), but 1 confirmation of the 3 asked for.
        assert (await job_counts(db)) == {"submitted": 1}
        await w3.provider.make_request("evm_mine", [])
        await _settle_time()
        assert (await job_counts(db)) == {"submitted": 1}
        await w3.provider.make_request("evm_mine", [])
        await wait_until(lambda: all_minted(db, 1), what="the third confirmation")


async def test_a_node_that_mines_on_receipt_is_settled_without_waiting_for_the_receipt_poll(
    mint_settings: Settings,
) -> None:
    db = mint_settings.database_url or ""
    hunt, collectible_id, clue = await seed_hunt(db)
    await seed_finds(db, hunt, collectible_id, clue, [Account.create().address])
    # anvil mines on receipt: the receipts are read once the node took the broadcast, not a
    # poll later (a window slot would wait that long for nothing).
    async with worker_task(_with_mint(mint_settings, receipt_poll_s=60.0)):
        await wait_until(lambda: all_minted(db, 1), timeout_s=10, what="the mint, settled")


async def test_a_block_that_comes_just_after_the_broadcast_is_settled_without_the_receipt_poll(
    mint_settings: Settings, w3: AsyncWeb3
) -> None:
    # A node that mines on receipt may answer the send a moment before its block is in (a busy
    # anvil does): the worker looks again shortly after a broadcast instead of waiting a poll.
    db = mint_settings.database_url or ""
    hunt, collectible_id, clue = await seed_hunt(db)
    await seed_finds(db, hunt, collectible_id, clue, [Account.create().address])
    await w3.provider.make_request("evm_setAutomine", [False])
    try:
        async with worker_task(_with_mint(mint_settings, receipt_poll_s=60.0)):
            await wait_until(lambda: _stored_txs(db, sent=True), timeout_s=10, what="the broadcast")
            assert (await job_counts(db)) == {"submitted": 1}  # nothing mined yet
            await w3.provider.make_request("evm_mine", [])
            await wait_until(lambda: all_minted(db, 1), timeout_s=10, what="the mint, settled")
    finally:
        await w3.provider.make_request("evm_setAutomine", [True])


async def _stored_txs(db: str, *, at_least: int = 1, sent: bool = False) -> bool:
    """Whether the worker stored `at_least` minting transactions (marked sent, with `sent`)."""
    stored = await fetchval(
        db, "SELECT count(*) FROM mint_txs WHERE $1::boolean IS FALSE OR sent_at IS NOT NULL", sent
    )
    assert isinstance(stored, int)
    return stored >= at_least


async def _settle_time() -> None:
    await asyncio.sleep(0.5)  # ten receipt polls: enough for the worker to act if it would


async def test_metrics_and_readiness_show_the_chain(mint_api: Api, mint_settings: Settings) -> None:
    db = mint_settings.database_url or ""
    hunt, collectible_id, clue = await seed_hunt(db)
    await seed_finds(db, hunt, collectible_id, clue, [Account.create().address for _ in range(2)])
    _, ready = await mint_api.call("GET", "/readyz", 200)
    assert ready["checks"]["chain"] == "ok"
    async with worker_task(mint_settings):
        await wait_until(lambda: all_minted(db, 2), what="two mints")
        await wait_until(lambda: _worker_reported(mint_settings), what="a worker report")
    response = await mint_api.client.get("/metrics")
    text = await response.text()
    assert 'geohunt_mint_jobs{status="minted"} 2.0' in text
    assert 'geohunt_mint_jobs{status="queued"} 0.0' in text
    assert "geohunt_mint_queue_age_seconds 0.0" in text
    signer = Account.from_key(mint_settings.minter_private_key).address.lower()
    assert f'geohunt_mint_nonce_drift{{chain_id="31337",signer="{signer}"}} 0.0' in text
    assert f'geohunt_mint_signer_balance_wei{{chain_id="31337",signer="{signer}"}}' in text


async def test_chain_deploy_records_the_contract_and_workers_use_it(
    mint_settings: Settings, w3: AsyncWeb3, minter_account: tuple[str, str]
) -> None:
    db = mint_settings.database_url or ""
    env = {**worker_env(mint_settings), "CONTRACT_ADDRESS": ""}
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["chain", "deploy"], env=env)
    assert result.exit_code == 0, result.output
    address = result.output.strip().rsplit(" ", 1)[-1]
    assert result.output.startswith("deployed on chain 31337: 0x")
    contract = token(w3, address)
    minter_role = await contract.functions.MINTER_ROLE().call()
    assert await contract.functions.hasRole(minter_role, minter_account[0]).call()
    # The version with swaps: its EIP-712 domain names this chain and contract.
    domain = await contract.functions.eip712Domain().call()
    assert tuple(domain[1:5]) == ("geohunt", "1", 31337, address)
    # Without CONTRACT_ADDRESS, a worker mints on the recorded deployment.
    hunt, collectible_id, clue = await seed_hunt(db)
    finds = await seed_finds(db, hunt, collectible_id, clue, [Account.create().address])
    recorded = dataclasses.replace(mint_settings, contract_address=None)
    async with worker_task(recorded):
        await wait_until(lambda: all_minted(db, 1), what="a mint on the recorded contract")
    assert await transfers_from_zero(w3, address) == {finds[0]: 1}
    uri = await contract.functions.tokenURI(finds[0]).call()
    assert uri == f"{mint_settings.public_base_url}/v1/tokens/{finds[0]}"


async def test_chain_commands_explain_missing_settings(mint_settings: Settings) -> None:
    env = {**worker_env(mint_settings), "MINTER_PRIVATE_KEY": ""}
    for command in (["chain", "deploy"], ["worker"]):
        result = await asyncio.to_thread(CliRunner().invoke, cli, command, env=env)
        assert result.exit_code != 0
        assert "MINTER_PRIVATE_KEY is required" in result.output
