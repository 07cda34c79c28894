"""Which contract a process works with: CONTRACT_ADDRESS, or the deployments recorded in the
database; waiting for the chain and for a contract. The wiring of the worker, the follower and
`geohunt chain deploy` is the composition root's (server/bootstrap)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from web3 import AsyncWeb3

from chain.client import ChainUnavailable, rpc
from chain.queries import DEPLOYED_BLOCK_SQL, RECORDED_CONTRACT_SQL
from infra.settings import Settings, SettingsError

log = logging.getLogger("geohunt.chain")


def require_chain(settings: Settings) -> tuple[str, tuple[str, ...]]:
    """The node's URL and the minting keys (the first deploys)."""
    if not settings.chain_rpc_url:
        raise SettingsError("CHAIN_RPC_URL is required to mint")
    if not settings.minter_private_keys:
        raise SettingsError(
            "MINTER_PRIVATE_KEY is required to mint (or MINTER_PRIVATE_KEYS, for several keys)"
        )
    return settings.chain_rpc_url, settings.minter_private_keys


def token_base_uri(settings: Settings) -> str:
    return f"{settings.public_base_url}/v1/tokens/"


async def recorded_contract(db: asyncpg.Pool | asyncpg.Connection, chain_id: int) -> str | None:
    address: str | None = await db.fetchval(
        RECORDED_CONTRACT_SQL,
        chain_id,
    )
    return address


async def contract_address(
    settings: Settings, pool: asyncpg.Pool, w3: AsyncWeb3[Any]
) -> str | None:
    """CONTRACT_ADDRESS when set, otherwise the latest `geohunt chain deploy` on this chain."""
    if settings.contract_address:
        return settings.contract_address
    try:
        chain_id = int(await w3.eth.chain_id)
    except Exception as err:  # any transport failure: the chain is not reachable yet
        raise ChainUnavailable(str(err)) from None
    return await recorded_contract(pool, chain_id)


async def wait_for_chain_id(w3: AsyncWeb3[Any], stop: asyncio.Event) -> int | None:
    while not stop.is_set():
        try:
            return int(await rpc(w3.eth.chain_id))
        except ChainUnavailable as err:
            log.warning("chain unavailable: %s", err)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 2.0)
    return None


async def wait_for_contract(
    settings: Settings, pool: asyncpg.Pool, w3: AsyncWeb3[Any], stop: asyncio.Event
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


async def deployed_block(pool: asyncpg.Pool, chain_id: int, address: str) -> int | None:
    """The block before the recorded deployment of `address`, where its events begin."""
    block = await pool.fetchval(DEPLOYED_BLOCK_SQL, chain_id, address.lower())
    return None if block is None else int(block)
