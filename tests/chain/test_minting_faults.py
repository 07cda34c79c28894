"""Minting under faults, with `geohunt worker` processes and an anvil of each test's own:
SIGKILL mid-batch, the chain going away and coming back, two workers with one key."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from eth_account import Account
from web3 import AsyncWeb3

from chain.anvil import DEV_ACCOUNTS, AnvilProcess
from chain.deploy import deploy_collectible
from infra.settings import Settings
from server.app import create_app
from server.http.auth import Role
from tests.support.api import Api
from tests.support.builders import TIMES_SQUARE, at, make_hunt
from tests.support.chain import TEST_BASE_URI
from tests.support.minting import (
    WorkerProcess,
    all_minted,
    chain_settings,
    job_counts,
    seed_finds,
    seed_hunt,
    transfers_from_zero,
    wait_until,
)

MINTER = DEV_ACCOUNTS[2]  # a key of its own: no other test's worker shares its nonces
# Interval mining, so that batches are in flight when a worker dies; a state file, so that the
# chain a test stops comes back as it was.
pytestmark = pytest.mark.own_anvil(block_time=0.5, keep_state=True)


@pytest.fixture
async def fault_settings(
    settings: Settings, own_database: str, own_anvil: AnvilProcess, own_w3: AsyncWeb3
) -> Settings:
    contract = await deploy_collectible(
        own_w3, DEV_ACCOUNTS[0][1], base_uri=TEST_BASE_URI, minter=MINTER[0]
    )
    return chain_settings(settings, own_database, own_anvil.url, contract, MINTER[1], batch_max=15)


async def seeded(settings: Settings, count: int) -> list[int]:
    db = settings.database_url or ""
    hunt, collectible, clue = await seed_hunt(db)
    wallets = [Account.create().address for _ in range(count)]
    return await seed_finds(db, hunt, collectible, clue, wallets)


async def assert_minted_exactly_once(settings: Settings, w3: AsyncWeb3, finds: list[int]) -> None:
    assert settings.contract_address
    transfers = await transfers_from_zero(w3, settings.contract_address)
    assert transfers == dict.fromkeys(finds, 1), {
        "missing": sorted(set(finds) - set(transfers)),
        "twice": sorted(t for t, n in transfers.items() if n > 1),
    }
    conn = await asyncpg.connect(settings.database_url)
    try:
        wallets = dict(await conn.fetch("SELECT find_id, wallet FROM mint_jobs"))
        # Every nonce was signed for one batch only, whoever signed it and however often.
        shared = await conn.fetchval(
            "SELECT count(*) FROM (SELECT nonce FROM mint_batches b JOIN mint_txs t"
            " ON t.batch_id = b.id GROUP BY nonce HAVING count(DISTINCT b.id) > 1"
            " AND bool_or(b.status <> 'dropped')) AS s"
        )
    finally:
        await conn.close()
    contract = w3.eth.contract(
        address=settings.contract_address,
        abi=[
            {
                "name": "ownerOf",
                "type": "function",
                "stateMutability": "view",
                "inputs": [{"name": "id", "type": "uint256"}],
                "outputs": [{"name": "", "type": "address"}],
            }
        ],
    )
    for find in random.sample(finds, min(20, len(finds))):
        assert (await contract.functions.ownerOf(find).call()).lower() == wallets[find]
    assert shared == 0


async def test_sigkill_mid_batch_again_and_again_mints_every_find_exactly_once(
    fault_settings: Settings, own_w3: AsyncWeb3, tmp_path: Path
) -> None:
    db = fault_settings.database_url or ""
    finds = await seeded(fault_settings, 1500)
    worker = WorkerProcess(fault_settings, tmp_path / "worker.log")
    rng = random.Random(7)
    kills = mid_batch = 0
    # Killed until five kills have left batches in flight (signed, maybe sent, not settled);
    # a kill between two batches proves less, and is not counted.
    while mid_batch < 5 and kills < 20:
        minted_before = (await job_counts(db)).get("minted", 0)
        worker.start()

        async def minting(minted_before: int = minted_before) -> bool:
            # This worker has settled a batch and has more in flight.
            counts = await job_counts(db)
            return counts.get("minted", 0) > minted_before and counts.get("submitted", 0) > 0

        await wait_until(minting, 30, "the restarted worker to mint")
        # Soon after: a worker drains the queue in well under a second.
        await asyncio.sleep(rng.uniform(0.0, 0.05))
        worker.kill()
        kills += 1
        mid_batch += bool((await job_counts(db)).get("submitted", 0))
    counts_after_kills = await job_counts(db)
    worker.start()
    try:
        await wait_until(lambda: all_minted(db, len(finds)), 120, "every find minted")
    finally:
        assert worker.stop() == 0, worker.log()[-3000:]
    # Every kill mid-batch left batches in flight, which the next worker recovered.
    assert mid_batch == 5 and counts_after_kills.get("minted", 0) < len(finds)
    assert worker.log().count("recovering") >= mid_batch
    await assert_minted_exactly_once(fault_settings, own_w3, finds)


async def test_chain_down_while_jobs_wait_then_back_mints_everything_once(
    fault_settings: Settings,
    own_w3: AsyncWeb3,
    own_anvil: AnvilProcess,
    aiohttp_client: Any,
    tmp_path: Path,
) -> None:
    db = fault_settings.database_url or ""
    api = Api(await aiohttp_client(create_app(fault_settings)), fault_settings)
    finds = await seeded(fault_settings, 60)
    worker = WorkerProcess(fault_settings, tmp_path / "worker.log")
    worker.start()
    try:
        await wait_until(
            lambda: _some_minted(db), 30, "the worker to mint before the chain goes away"
        )
        own_anvil.stop()
        _, ready = await api.call("GET", "/readyz", 503)
        assert ready["code"] == "not_ready" and ready["checks"]["chain"] != "ok"
        # Scans never wait for the chain: they keep being accepted, their jobs queued.
        hunt = await make_hunt(api)
        account = Account.create()
        hunter_id = await _hunter_with_wallet(db, account.address)
        me = api.auth(Role.HUNTER, str(hunter_id))
        for _ in range(5):
            clue = await hunt.clue()
            _, body = await api.call(
                "POST",
                "/v1/scans",
                201,
                headers=me,
                json={"code": hunt.code(clue), **at(TIMES_SQUARE)},
            )
            assert body["find"]["mint"] == {"status": "queued"}
            finds.append(body["find"]["id"])
        await asyncio.sleep(1.0)  # the worker meets the closed port a few times
        own_anvil.start()
        await wait_until(lambda: all_minted(db, len(finds)), 120, "every find minted")
    finally:
        assert worker.stop() == 0, worker.log()[-3000:]
    _, ready = await api.call("GET", "/readyz", 200)
    assert ready["checks"]["chain"] == "ok"
    await assert_minted_exactly_once(fault_settings, own_w3, finds)
    assert "chain unavailable" in worker.log()


async def _some_minted(database_url: str) -> bool:
    return (await job_counts(database_url)).get("minted", 0) > 0


async def _hunter_with_wallet(database_url: str, wallet: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval(
            "INSERT INTO hunters (wallet) VALUES ($1) RETURNING id", wallet.lower()
        )
    finally:
        await conn.close()


async def test_two_workers_with_one_key_never_share_a_nonce(
    fault_settings: Settings, own_w3: AsyncWeb3, tmp_path: Path
) -> None:
    db = fault_settings.database_url or ""
    finds = await seeded(fault_settings, 200)
    first = WorkerProcess(fault_settings, tmp_path / "first.log")
    second = WorkerProcess(fault_settings, tmp_path / "second.log")
    first.start()
    second.start()
    try:
        await wait_until(lambda: _some_minted(db), 30, "some mints")
        # Whichever sends, kill it: the standby takes over from what is stored.
        logs = {w: w.log() for w in (first, second)}
        sender = next(w for w, text in logs.items() if "sending for" in text)
        standby = second if sender is first else first

        # The first mints may come before the second process has even asked for the lock.
        async def standing_by() -> bool:
            return "standing by" in standby.log()

        await wait_until(standing_by, 30, "the other worker to stand by")
        sender.kill()
        await wait_until(lambda: all_minted(db, len(finds)), 120, "every find minted")
    finally:
        for worker in (first, second):
            if worker.proc is not None and worker.proc.poll() is None:
                worker.stop()
    assert "sending for" in standby.log()
    await assert_minted_exactly_once(fault_settings, own_w3, finds)
