"""A fresh anvil with the contract deployed, for each run of the minting benchmark."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from chain.anvil import DEV_ACCOUNTS, AnvilProcess
from chain.client import connect, keep_connections
from chain.deploy import deploy_collectible, grant_minter
from infra.settings import Settings

DEPLOYER = DEV_ACCOUNTS[0]
MINTER = DEV_ACCOUNTS[4]
SAFETY_BLOCK_S = 1.0

# The two-key phase's keys: MINTER and this one, both given the minter role on every chain.
SECOND_MINTER = DEV_ACCOUNTS[5]


@contextlib.asynccontextmanager
async def fresh_chain(
    settings: Settings, db: asyncpg.Connection
) -> AsyncIterator[tuple[Settings, Any]]:
    """A new anvil with the contract deployed, for one run: anvil slows down as its state
    grows, so no run inherits another's chain. The new chain starts the signer's nonces at 0
    again, so the previous chain's transaction ledger (whose nonces it would collide with) is
    emptied first; its finds stay, minted there. (settings naming the chain, web3 client)"""
    await db.execute("TRUNCATE mint_txs, mint_batches, mint_signers, mint_jobs, moment_mints")
    # Automine, as a dev chain runs, plus a block a second for what automine leaves pending
    # under concurrent senders (it stalled a two-key run for 30 s, until the worker replaced
    # its transactions, in half of such runs): the same chain for the worker and the bare script.
    anvil = AnvilProcess(block_time=SAFETY_BLOCK_S, mixed_mining=True)
    await asyncio.to_thread(anvil.start)
    w3 = connect(anvil.url)
    # As the worker's client does (server/bootstrap/chain_jobs.py): the bare script pays no
    # new connection, nor web3's thread hop, per request either.
    await keep_connections(w3)
    try:
        contract = await deploy_collectible(
            w3, DEPLOYER[1], base_uri="http://bench/", minter=MINTER[0]
        )
        await grant_minter(w3, DEPLOYER[1], contract, SECOND_MINTER[0])
        yield dataclasses.replace(settings, chain_rpc_url=anvil.url, contract_address=contract), w3
    finally:
        await w3.provider.disconnect()
        await asyncio.to_thread(anvil.stop)
