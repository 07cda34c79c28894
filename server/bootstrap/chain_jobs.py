"""What `geohunt worker`, `geohunt follow` and `geohunt chain deploy` run: the chain's parts
(chain/) wired to this process's settings, pool and JSON-RPC client."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal

import asyncpg
from eth_account import Account

from chain.client import connect, keep_connections
from chain.deploy import deploy_collectible, fund_on_dev_chain, grant_minter, hand_over_admin
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
from chain.worker import run_senders
from infra.db import create_pool
from infra.settings import Settings, SettingsError

log = logging.getLogger("geohunt.chain")

# What a minting key without funds gets on a dev chain (GEOHUNT_DEV): anvil's dev accounts
# start with 10,000 ETH, a key of one's own with nothing.
DEV_FUNDS_WEI = 100 * 10**18
# Connections of the worker's pool each key's sender may use at once (claiming, settling,
# marking sent, its report).
POOL_PER_KEY = 4


async def deploy(settings: Settings, admin: str | None = None) -> tuple[int, str]:
    """Deploy the collectible contract with the first minting key as deployer, give every key
    MINTER_ROLE (and, on a dev chain in dev mode, funds to a key that has none); record it."""
    rpc_url, keys = require_chain(settings)
    assert settings.database_url
    w3 = connect(rpc_url, timeout_s=settings.mint.rpc_timeout_s)
    deployer, *others = [Account.from_key(key).address for key in keys]
    base_uri = token_base_uri(settings)
    # The block before the deployment: no event of the contract can be older.
    before = int(await w3.eth.block_number)
    # The deployer administers the contract until it has granted the other keys their role;
    # with one key, the constructor names the admin at once.
    address = await deploy_collectible(
        w3, keys[0], base_uri=base_uri, minter=deployer, admin=deployer if others else admin
    )
    for minter in others:
        if settings.dev and await fund_on_dev_chain(w3, minter, DEV_FUNDS_WEI):
            log.info("funded %s on the dev chain", minter)
        await grant_minter(w3, keys[0], address, minter)
    if others and admin is not None and admin.lower() != deployer.lower():
        await hand_over_admin(w3, keys[0], address, admin)
    chain_id = int(await w3.eth.chain_id)
    await w3.provider.disconnect()
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(RECORD_DEPLOYMENT_SQL, chain_id, address, base_uri, before)
    finally:
        await conn.close()
    return chain_id, address


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Mint until `stop` is set (or SIGTERM/SIGINT when no event is given), with every key
    whose sender lock this process gets."""
    rpc_url, keys = require_chain(settings)
    assert settings.database_url
    stop = stop or stop_on_signals()
    w3 = connect(rpc_url, timeout_s=settings.mint.rpc_timeout_s)
    pool_max = max(settings.db_pool_max, POOL_PER_KEY * len(keys))
    pool = await create_pool(dataclasses.replace(settings, db_pool_max=pool_max))
    try:
        await keep_connections(w3)  # before any request: web3 would cache its own session
        address = await wait_for_contract(settings, pool, w3, stop)
        if address is None:
            return
        minters = [Minter(w3, address, key) for key in keys]
        await run_senders(settings.mint, pool, settings.database_url, minters, stop)
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
