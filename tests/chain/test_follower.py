"""The Transfer follower on a real anvil: a token passed between two wallets shows up as a
transfer and a new holder, only once its block is deep enough; a follower restarted mid-way
(or killed, or rewound, or doubled) counts nothing twice."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import Any

import asyncpg
from eth_account import Account
from web3 import AsyncWeb3

from chain.client import send_transaction
from chain.follower import TransferFollower
from chain.minter import TRANSFER_TOPIC
from infra.settings import FollowSettings, Settings
from tests.support.api import Api, bearer
from tests.support.builders import make_hunt
from tests.support.identity import siwe
from tests.support.minting import (
    WorkerProcess,
    all_minted,
    scan,
    seed_finds,
    seed_hunt,
    token,
    wait_until,
    worker_task,
)

CHAIN_ID = 31337


async def fund(w3: AsyncWeb3, deployer: tuple[str, str], address: str) -> None:
    await send_transaction(
        w3, deployer[1], {"to": address, "value": 10**17}, what="funding a test wallet"
    )


async def transfer(w3: AsyncWeb3, contract: str, owner: Any, to: str, token_id: int) -> None:
    data = token(w3, contract).encode_abi("transferFrom", args=[owner.address, to, token_id])
    await send_transaction(
        w3, owner.key.to_0x_hex(), {"to": contract, "data": data}, what="transferFrom"
    )


async def catch_up(follower: TransferFollower) -> int:
    stored = 0
    while True:
        got, left = await follower.step()
        stored += got
        if left == 0:
            return stored


async def chain_transfers(w3: AsyncWeb3, contract: str, since: int) -> int:
    logs = await w3.eth.get_logs(
        {"address": contract, "fromBlock": since, "toBlock": "latest", "topics": [TRANSFER_TOPIC]}
    )
    return len(logs)


async def stored(pool: asyncpg.Pool, contract: str) -> tuple[int, dict[int, tuple[str, int]]]:
    count = await pool.fetchval(
        "SELECT count(*) FROM token_transfers WHERE contract = $1", contract.lower()
    )
    holders = await pool.fetch(
        "SELECT token_id, owner, transfers FROM token_holders WHERE contract = $1",
        contract.lower(),
    )
    return count, {r["token_id"]: (r["owner"], r["transfers"]) for r in holders}


async def test_a_transfer_shows_as_a_transfer_and_a_new_holder_once_confirmed(
    mint_api: Api,
    mint_settings: Settings,
    w3: AsyncWeb3,
    collectible: str,
    deployer: tuple[str, str],
) -> None:
    start = await w3.eth.block_number
    fan = Account.create()
    me = bearer((await siwe(mint_api, fan, 200))["token"])
    hunt = await make_hunt(mint_api)
    kept, passed_on = await scan(mint_api, hunt, me), await scan(mint_api, hunt, me)
    async with worker_task(mint_settings):
        assert mint_settings.database_url
        await wait_until(lambda: all_minted(mint_settings.database_url or "", 2), what="mints")
    friend = Account.create()
    await fund(w3, deployer, fan.address)
    await transfer(w3, collectible, fan, friend.address, passed_on["id"])

    pool = await asyncpg.create_pool(mint_settings.database_url, min_size=1, max_size=2)
    try:
        follow = FollowSettings(confirmations=2, block_span=1000, poll_s=0.1)
        follower = TransferFollower(pool, w3, CHAIN_ID, collectible, follow, start)
        await catch_up(follower)
        # The transfer's block is the head: one confirmation of the two required.
        _, holders = await stored(pool, collectible)
        assert holders[passed_on["id"]] == (fan.address.lower(), 0)
        path = f"/v1/hunts/{hunt.slug}/stats"
        _, stats = await mint_api.call("GET", path, 200, headers=mint_api.organiser)
        assert stats["totals"]["transfers"] == 0 and stats["totals"]["mints"] == 2

        await w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        assert await catch_up(follower) == 1
        count, holders = await stored(pool, collectible)
        assert count == 3  # two mints, one transfer
        assert holders == {
            kept["id"]: (fan.address.lower(), 0),
            passed_on["id"]: (friend.address.lower(), 1),
        }
        _, stats = await mint_api.call("GET", path, 200, headers=mint_api.organiser)
        moved = {
            c["key"]: (c["mints"], c["transfers"], c["tokens_transferred"])
            for c in stats["collectibles"]
        }
        assert moved == {
            kept["collectible"]["key"]: (1, 0, 0),
            passed_on["collectible"]["key"]: (1, 1, 1),
        }
    finally:
        await pool.close()


async def _minted_and_traded(
    settings: Settings, w3: AsyncWeb3, contract: str, deployer: tuple[str, str], n: int
) -> list[int]:
    """n finds minted in batches of two (so over several blocks), then the first three passed
    on by their holders: n + 3 Transfer events."""
    assert settings.database_url
    owners = [Account.create() for _ in range(n)]
    finds = await seed_finds(
        settings.database_url, *await seed_hunt(settings.database_url), [o.address for o in owners]
    )
    async with worker_task(settings):
        await wait_until(lambda: all_minted(settings.database_url or "", n), what="mints")
    for owner, find in list(zip(owners, finds, strict=True))[:3]:
        await fund(w3, deployer, owner.address)
        await transfer(w3, contract, owner, Account.create().address, find)
    return finds


async def test_a_follower_restarted_rewound_or_doubled_counts_nothing_twice(
    mint_settings: Settings,
    w3: AsyncWeb3,
    collectible: str,
    deployer: tuple[str, str],
) -> None:
    start = await w3.eth.block_number
    settings = dataclasses.replace(
        mint_settings, mint=dataclasses.replace(mint_settings.mint, batch_max=2)
    )
    await _minted_and_traded(settings, w3, collectible, deployer, 8)
    on_chain = await chain_transfers(w3, collectible, start)
    assert on_chain == 11
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
    follow = FollowSettings(confirmations=1, block_span=1, poll_s=0.1)
    try:
        first = TransferFollower(pool, w3, CHAIN_ID, collectible, follow, start)
        for _ in range(4):  # part of the way, one block per step
            await first.step()
        partial, _ = await stored(pool, collectible)
        assert 0 < partial < on_chain
        # A new follower (a restart) goes on from the stored cursor.
        await catch_up(TransferFollower(pool, w3, CHAIN_ID, collectible, follow, start))
        count, holders = await stored(pool, collectible)
        assert count == on_chain
        assert sorted(t for _, t in holders.values()) == [0] * 5 + [1] * 3

        # Rewound to the start, and two followers at once: nothing new is counted.
        await pool.execute(
            "UPDATE chain_cursors SET next_block = $1 WHERE contract = $2",
            start,
            collectible.lower(),
        )
        twins = [TransferFollower(pool, w3, CHAIN_ID, collectible, follow, start) for _ in range(2)]
        await asyncio.gather(*(catch_up(f) for f in twins))
        assert await stored(pool, collectible) == (count, holders)
    finally:
        await pool.close()


async def test_geohunt_follow_killed_mid_way_and_restarted_counts_each_event_once(
    mint_settings: Settings,
    w3: AsyncWeb3,
    collectible: str,
    deployer: tuple[str, str],
    tmp_path: Path,
) -> None:
    start = await w3.eth.block_number
    await _minted_and_traded(mint_settings, w3, collectible, deployer, 6)
    on_chain = await chain_transfers(w3, collectible, start)
    env = {
        "FOLLOW_FROM_BLOCK": str(start),
        "FOLLOW_BLOCK_SPAN": "1",
        "FOLLOW_CONFIRMATIONS": "1",
        "FOLLOW_POLL_S": "0.1",
    }
    head = await w3.eth.block_number
    pool = await asyncpg.create_pool(mint_settings.database_url, min_size=1, max_size=2)

    async def cursor() -> int:
        return int(
            await pool.fetchval(
                "SELECT next_block FROM chain_cursors WHERE contract = $1", collectible.lower()
            )
            or 0
        )

    try:
        for _ in range(3):  # killed three times, each time part of the way further
            process = WorkerProcess(mint_settings, tmp_path / "follow.log", "follow", env)
            process.start()
            reached = await cursor()
            deadline = time.monotonic() + 30
            while await cursor() <= reached and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            process.kill()
        process = WorkerProcess(mint_settings, tmp_path / "follow-last.log", "follow", env)
        process.start()

        async def caught_up() -> bool:
            return await cursor() > head

        async def following() -> bool:
            # Stopped only once it handles SIGTERM (the killed runs may have caught up already).
            return "following " in process.log()

        await wait_until(caught_up, what="the follower to reach the head")
        await wait_until(following, what="the last follower to start following")
        assert process.stop() == 0, process.log()[-2000:]
        count, holders = await stored(pool, collectible)
        assert count == on_chain == 9
        assert sorted(t for _, t in holders.values()) == [0] * 3 + [1] * 3
    finally:
        await pool.close()
