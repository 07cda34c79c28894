"""What `geohunt worker`, `geohunt follow` and `geohunt chain deploy` run: the chain's parts
(chain/) wired to this process's settings, pool and JSON-RPC client."""

from __future__ import annotations

import asyncio
import signal

import asyncpg
from eth_account import Account

from chain.client import connect
from chain.deploy import deploy_collectible
from chain.deployments import (
    deployed_block,
    require_chain,
    token_base_uri,
    wait_for_chain_id,
    wait_for_contract,
)
from chain.follower import TransferFollower
from chain.minter import Minter
from chain.queries import RECORD_DEPLOYMENT_SQL
from chain.worker import MintWorker
from infra.db import create_pool
from infra.settings import Settings, SettingsError


async def deploy(settings: Settings, admin: str | None = None) -> tuple[int, str]:
    """Deploy the collectible contract with the minter key as deployer and minter; record it."""
    rpc_url, key = require_chain(settings)
    assert settings.database_url
    w3 = connect(rpc_url, timeout_s=settings.mint.rpc_timeout_s)
    minter = Account.from_key(key).address
    base_uri = token_base_uri(settings)
    # The block before the deployment: no event of the contract can be older.
    before = int(await w3.eth.block_number)
    address = await deploy_collectible(
        w3, key, base_uri=base_uri, minter=minter, admin=admin or minter
    )
    chain_id = int(await w3.eth.chain_id)
    await w3.provider.disconnect()
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(RECORD_DEPLOYMENT_SQL, chain_id, address, base_uri, before)
    finally:
        await conn.close()
    return chain_id, address


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Mint until `stop` is set (or SIGTERM/SIGINT when no event is given)."""
    rpc_url, key = require_chain(settings)
    assert settings.database_url
    stop = stop or stop_on_signals()
    w3 = connect(rpc_url, timeout_s=settings.mint.rpc_timeout_s)
    pool = await create_pool(settings)
    try:
        address = await wait_for_contract(settings, pool, w3, stop)
        if address is None:
            return
        minter = Minter(w3, address, key)
        await MintWorker(settings.mint, pool, settings.database_url, minter).run(stop)
    finally:
        await pool.close()
        await w3.provider.disconnect()


async def run_follower(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Read the contract's Transfer events until `stop` is set (or SIGTERM/SIGINT)."""
    if not settings.chain_rpc_url:
        raise SettingsError("CHAIN_RPC_URL is required to follow the chain")
    assert settings.database_url
    stop = stop or stop_on_signals()
    w3 = connect(settings.chain_rpc_url, timeout_s=settings.mint.rpc_timeout_s)
    pool = await create_pool(settings)
    try:
        address = await wait_for_contract(settings, pool, w3, stop)
        if address is None:
            return
        chain_id = await wait_for_chain_id(w3, stop)
        if chain_id is None:
            return
        deployed = await deployed_block(pool, chain_id, address)
        start = settings.follow.from_block if deployed is None else deployed
        follower = TransferFollower(pool, w3, chain_id, address, settings.follow, start)
        await follower.run(stop)
    finally:
        await pool.close()
        await w3.provider.disconnect()


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
