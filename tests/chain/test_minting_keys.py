"""Minting with several keys (MINTER_PRIVATE_KEYS): `geohunt chain deploy` gives every key the
minter role, two `geohunt worker` processes share the queue through their keys, and a key
whose worker is killed is taken over with its pending batches, each find minted once; accepted
swaps raced for by two keys' senders are each relayed by one transaction."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import asyncpg
import pytest
from eth_account import Account
from web3 import AsyncWeb3

from chain.anvil import DEV_ACCOUNTS, AnvilProcess
from chain.deploy import fund_on_dev_chain, grant_minter
from chain.minter import MINTER_ROLE
from chain.swap_calls import SWAP_SELECTOR
from infra.settings import Settings
from server.bootstrap.chain_jobs import DEV_FUNDS_WEI, deploy
from tests.support.api import Api
from tests.support.minting import (
    WorkerProcess,
    all_minted,
    chain_settings,
    seed_hunt,
    seed_many_finds,
    token,
    transfers_from_zero,
    wait_until,
    worker_task,
)
from tests.support.swaps import (
    accept,
    give_tokens,
    offer,
    siwe_fan,
    swap_ledger,
    swap_row,
    swap_transactions,
    transactions_to,
)

FINDS = 5000
# Interval mining (automine stalls under bursts of transactions, and a worker must die with
# batches in flight), with room in each block for both keys' windows.
pytestmark = pytest.mark.own_anvil(block_time=0.5, gas_limit=100_000_000)


async def batches_by_signer(database_url: str) -> dict[tuple[str, str], int]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT signer, status, count(*) AS n FROM mint_batches GROUP BY signer, status"
        )
    finally:
        await conn.close()
    return {(r["signer"], r["status"]): r["n"] for r in rows}


async def signed_by(database_url: str) -> dict[str, str]:
    """Every transaction the workers stored, by hash: the signer its batch records."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT t.hash, b.signer FROM mint_txs t JOIN mint_batches b ON b.id = t.batch_id"
        )
        shared = await conn.fetchval(
            "SELECT count(*) FROM (SELECT 1 FROM mint_batches WHERE status <> 'dropped'"
            " GROUP BY signer, nonce HAVING count(*) > 1) AS s"
        )
    finally:
        await conn.close()
    assert shared == 0  # no nonce of a key carries two live batches
    return {r["hash"]: r["signer"] for r in rows}


async def test_two_workers_two_keys_one_killed_mint_five_thousand_finds_exactly_once(
    settings: Settings,
    own_database: str,
    own_anvil: AnvilProcess,
    own_w3: AsyncWeb3,
    tmp_path: Path,
) -> None:
    # A: a funded dev account; B: a key of nobody's, with no funds on this chain.
    fresh = Account.create()
    keys = (DEV_ACCOUNTS[6][1], "0x" + bytes(fresh.key).hex())
    a, b = (Account.from_key(k).address for k in keys)
    assert await own_w3.eth.get_balance(b) == 0
    both = chain_settings(settings, own_database, own_anvil.url, "", keys, batch_max=50)
    admin = DEV_ACCOUNTS[0][0]
    dev = dataclasses.replace(both, dev=True, contract_address=None)
    _, contract = await deploy(dev, admin)

    # The deploy gave both keys the minter role, funded B (dev mode, anvil) and handed the
    # admin role to --admin.
    collectible = token(own_w3, contract)
    admin_role = await collectible.functions.DEFAULT_ADMIN_ROLE().call()
    for address in (a, b):
        assert await collectible.functions.hasRole(MINTER_ROLE, address).call()
    assert await collectible.functions.hasRole(admin_role, admin).call()
    assert not await collectible.functions.hasRole(admin_role, a).call()
    assert await own_w3.eth.get_balance(b) == DEV_FUNDS_WEI

    # X has B alone (MINTER_PRIVATE_KEY); Y has both (MINTER_PRIVATE_KEYS): it sends with A
    # and stands by for B while X holds it.
    both = dataclasses.replace(both, contract_address=contract)
    x = WorkerProcess(dataclasses.replace(both, minter_private_keys=(keys[1],)), tmp_path / "x.log")
    y = WorkerProcess(both, tmp_path / "y.log")
    db = own_database
    try:
        x.start()
        await wait_until(lambda: _logged(x, f"sending for {b}"), 30, "X to send for B")
        y.start()
        await wait_until(lambda: _logged(y, f"sending for {a}"), 30, "Y to send for A")
        await wait_until(lambda: _logged(y, f"sends for {b}; standing by"), 30, "Y to wait for B")
        hunt, collectible_id, clue = await seed_hunt(db)
        finds = await seed_many_finds(db, hunt, collectible_id, clue, FINDS)

        async def both_keys_minting() -> bool:
            # Both keys have mined batches, and B has batches in flight: kill X now.
            counts = await batches_by_signer(db)
            return (
                counts.get((a.lower(), "mined"), 0) > 0
                and counts.get((b.lower(), "mined"), 0) > 0
                and counts.get((b.lower(), "pending"), 0) > 0
            )

        await wait_until(both_keys_minting, 30, "both keys to mint, B with batches in flight")
        x.kill()
        minted_at_kill = await _minted(db)
        await wait_until(lambda: all_minted(db, FINDS), 60, "every find minted")
    finally:
        for worker in (x, y):
            if worker.proc is not None and worker.proc.poll() is None:
                worker.stop()
    assert minted_at_kill < FINDS  # killed mid-way
    # Y took B over and resumed the batches X had left in flight.
    y_log = y.log()
    assert f"sending for {b}" in y_log and "recovering" in y_log, y_log[-3000:]

    # The chain: each find's token minted exactly once, none missing.
    transfers = await transfers_from_zero(own_w3, contract)
    assert transfers == dict.fromkeys(finds, 1), {
        "missing": len(set(finds) - set(transfers)),
        "twice": sorted(t for t, n in transfers.items() if n > 1)[:20],
    }
    # Every minting transaction is one the workers stored before sending, sent by the key its
    # batch records; both keys sent some.
    stored = await signed_by(db)
    logs = await own_w3.eth.get_logs({"address": contract, "fromBlock": 0, "toBlock": "latest"})
    hashes = {log["transactionHash"].to_0x_hex() for log in logs}
    senders: set[str] = set()
    for tx_hash in hashes:
        sender = str((await own_w3.eth.get_transaction(tx_hash))["from"]).lower()
        if tx_hash in stored:
            assert stored[tx_hash] == sender
            senders.add(sender)
        else:  # only the deployment's own transactions are not the workers'
            assert sender == a.lower(), tx_hash
    assert senders == {a.lower(), b.lower()}


async def _logged(worker: WorkerProcess, text: str) -> bool:
    return text in worker.log()


async def _minted(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM mint_jobs WHERE status = 'minted'"))
    finally:
        await conn.close()


async def test_accepted_swaps_raced_for_by_two_keys_are_each_relayed_once(
    mint_api: Api,
    mint_settings: Settings,
    w3: AsyncWeb3,
    collectible: str,
    deployer: tuple[str, str],
    minter_account: tuple[str, str],
) -> None:
    db = mint_settings.database_url or ""
    second = Account.create()
    await fund_on_dev_chain(w3, second.address, DEV_FUNDS_WEI)
    await grant_minter(w3, deployer[1], collectible, second.address)
    swaps = []
    for _ in range(6):
        maker, taker = await siwe_fan(mint_api), await siwe_fan(mint_api)
        give, want = await give_tokens(
            db, w3, minter_account[1], collectible, [maker.wallet, taker.wallet]
        )
        swaps.append(await offer(mint_api, maker, give, want))
        await accept(mint_api, taker, swaps[-1])
    keys = (minter_account[1], "0x" + bytes(second.key).hex())
    two_keys = dataclasses.replace(mint_settings, minter_private_keys=keys)

    async def all_settled() -> bool:
        rows = [await swap_row(db, swap["id"]) for swap in swaps]
        return all(row["status"] in ("completed", "failed") for row in rows)

    # Both keys' senders start at once and claim from the same accepted swaps.
    async with worker_task(two_keys):
        await wait_until(all_settled, 60, "every swap settled")

    # One batch, one transaction and one Swapped event per swap, sent by the key its batch
    # records; no other swap transaction reached the chain.
    stored = await signed_by(db)
    signers = {minter_account[0].lower(), second.address.lower()}
    sent = set()
    for swap in swaps:
        row = await swap_row(db, swap["id"])
        ledger = await swap_ledger(db, swap["id"])
        mined = await swap_transactions(w3, collectible, row["offer_hash"])
        assert (row["status"], ledger, mined) == (
            "completed",
            [("mined", row["tx_hash"])],
            [row["tx_hash"]],
        )
        sender = str((await w3.eth.get_transaction(row["tx_hash"]))["from"]).lower()
        assert stored[row["tx_hash"]] == sender and sender in signers
        sent.add(row["tx_hash"])
    assert set(await transactions_to(w3, collectible, SWAP_SELECTOR)) == sent
