"""What the `geohunt worker`, `follow`, `chain deploy` and `mint retry` commands run."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import asyncpg
from eth_account import Account
from web3 import AsyncWeb3

from chain.client import connect
from chain.deploy import deploy_collectible
from chain.follower import TransferFollower
from chain.minter import ChainUnavailable, Minter, rpc
from chain.worker import MintWorker
from infra.db import create_pool
from infra.settings import Settings, SettingsError

log = logging.getLogger("geohunt.chain")


def require_chain(settings: Settings) -> tuple[str, str]:
    if not settings.chain_rpc_url:
        raise SettingsError("CHAIN_RPC_URL is required to mint")
    if not settings.minter_private_key:
        raise SettingsError("MINTER_PRIVATE_KEY is required to mint")
    return settings.chain_rpc_url, settings.minter_private_key


def token_base_uri(settings: Settings) -> str:
    return f"{settings.public_base_url}/v1/tokens/"


async def recorded_contract(db: asyncpg.Pool | asyncpg.Connection, chain_id: int) -> str | None:
    return await db.fetchval(
        "SELECT address FROM chain_deployments WHERE chain_id = $1 ORDER BY id DESC LIMIT 1",
        chain_id,
    )


async def contract_address(settings: Settings, pool: asyncpg.Pool, w3: AsyncWeb3) -> str | None:
    """CONTRACT_ADDRESS when set, otherwise the latest `geohunt chain deploy` on this chain."""
    if settings.contract_address:
        return settings.contract_address
    try:
        chain_id = int(await w3.eth.chain_id)
    except Exception as err:  # any transport failure: the chain is not reachable yet
        raise ChainUnavailable(str(err)) from None
    return await recorded_contract(pool, chain_id)


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
        await conn.execute(
            "INSERT INTO chain_deployments (chain_id, address, base_uri, block_number)"
            " VALUES ($1, $2, $3, $4)",
            chain_id,
            address,
            base_uri,
            before,
        )
    finally:
        await conn.close()
    return chain_id, address


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Mint until `stop` is set (or SIGTERM/SIGINT when no event is given)."""
    rpc_url, key = require_chain(settings)
    assert settings.database_url
    stop = stop or _stop_on_signals()
    w3 = connect(rpc_url, timeout_s=settings.mint.rpc_timeout_s)
    pool = await create_pool(settings)
    try:
        address = await _wait_for_contract(settings, pool, w3, stop)
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
    stop = stop or _stop_on_signals()
    w3 = connect(settings.chain_rpc_url, timeout_s=settings.mint.rpc_timeout_s)
    pool = await create_pool(settings)
    try:
        address = await _wait_for_contract(settings, pool, w3, stop)
        if address is None:
            return
        chain_id = await _chain_id(w3, stop)
        if chain_id is None:
            return
        deployed = await pool.fetchval(
            "SELECT block_number FROM chain_deployments WHERE chain_id = $1 AND lower(address) = $2"
            " AND block_number IS NOT NULL ORDER BY id DESC LIMIT 1",
            chain_id,
            address.lower(),
        )
        start = settings.follow.from_block if deployed is None else int(deployed)
        follower = TransferFollower(pool, w3, chain_id, address, settings.follow, start)
        await follower.run(stop)
    finally:
        await pool.close()
        await w3.provider.disconnect()


async def _chain_id(w3: AsyncWeb3, stop: asyncio.Event) -> int | None:
    while not stop.is_set():
        try:
            return int(await rpc(w3.eth.chain_id))
        except ChainUnavailable as err:
            log.warning("chain unavailable: %s", err)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 2.0)
    return None


async def _wait_for_contract(
    settings: Settings, pool: asyncpg.Pool, w3: AsyncWeb3, stop: asyncio.Event
) -> str | None:
    while not stop.is_set():
        try:
            address = await contract_address(settings, pool, w3)
        except ChainUnavailable as err:
            log.warning("chain unavailable: %s", err)
        else:
            if address is not None:
                return address
            log.error("no contract: set CONTRACT_ADDRESS or run `geohunt chain deploy`")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 2.0)
    return None


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
