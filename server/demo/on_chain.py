"""The demo's chain: a local anvil when no CHAIN_RPC_URL is set, the collectible contract
deployed (once per chain state), a mint worker beside the server, and a hunter who signs in
with Ethereum so that the demo's finds show up on chain."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils.address import to_checksum_address

from chain.anvil import DEV_ACCOUNTS, AnvilProcess
from chain.client import connect
from chain.deployments import recorded_contract
from infra.settings import Settings
from server.bootstrap.chain_jobs import deploy, run_follower, run_worker

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # siwe's grammar warns on import; see server/identity/siwe.py
    from siwe import SiweMessage

log = logging.getLogger("geohunt.demo")

ANVIL_STATE_FILE = "anvil-state.json"
MINT_WAIT_S = 30.0


@dataclass(frozen=True)
class DemoChain:
    settings: Settings
    anvil: AnvilProcess | None
    chain_id: int
    contract: str


@contextlib.asynccontextmanager
async def demo_chain(settings: Settings) -> AsyncIterator[DemoChain | None]:
    """Yield the chain the demo mints on, with a worker and a Transfer follower running; None
    (and a warning) when there is none to be had, so the rest of the demo still runs."""
    anvil: AnvilProcess | None = None
    if settings.chain_rpc_url is None:
        anvil = AnvilProcess(state_path=Path(settings.state_dir) / ANVIL_STATE_FILE)
        try:
            await asyncio.to_thread(anvil.start)
        except Exception as err:  # no binary (npm ci not run), no port...: demo without chain
            log.warning("no local chain, finds will wait unminted: %s", err)
            yield None
            return
        # anvil's first dev account: public, funded, for a local chain only.
        keys = settings.minter_private_keys or (DEV_ACCOUNTS[0][1],)
        settings = dataclasses.replace(
            settings,
            chain_rpc_url=anvil.url,
            minter_private_keys=keys,
            # The fan app's "demo test wallet": another public dev key, never a minter's.
            demo_wallet_key=settings.demo_wallet_key
            or next(key for _, key in DEV_ACCOUNTS[1:] if key not in keys),
        )
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    try:
        chain_id, contract = await _contract(settings)
        settings = dataclasses.replace(settings, contract_address=contract)
        tasks.append(asyncio.create_task(run_worker(settings, stop)))
        # A local chain mines a block only for a transaction: one confirmation is enough there.
        follow = dataclasses.replace(settings.follow, confirmations=1) if anvil else settings.follow
        tasks.append(
            asyncio.create_task(run_follower(dataclasses.replace(settings, follow=follow), stop))
        )
        yield DemoChain(settings, anvil, chain_id, contract)
    finally:
        stop.set()
        for task in tasks:
            await task
        if anvil is not None:
            await asyncio.to_thread(anvil.stop)


async def _contract(settings: Settings) -> tuple[int, str]:
    """The configured contract, else the one the demo deployed on this chain earlier (when the
    chain still holds it), else a new deployment."""
    assert settings.chain_rpc_url and settings.database_url
    w3 = connect(settings.chain_rpc_url)
    try:
        chain_id = int(await w3.eth.chain_id)
        if settings.contract_address:
            return chain_id, settings.contract_address
        conn = await asyncpg.connect(settings.database_url)
        try:
            address = await recorded_contract(conn, chain_id)
        finally:
            await conn.close()
        if address is not None and await w3.eth.get_code(to_checksum_address(address)):
            return chain_id, address
    finally:
        await w3.provider.disconnect()
    chain_id, address = await deploy(settings)
    log.info("deployed the collectible contract at %s on chain %d", address, chain_id)
    return chain_id, address


def siwe_body(base_url: str, nonce: str, key: str) -> dict[str, str]:
    """A signed EIP-4361 sign-in for POST /v1/auth/siwe."""
    account = Account.from_key(key)
    now = datetime.now(UTC)
    message = SiweMessage(
        domain=base_url.split("://", 1)[1],
        address=account.address,
        statement="Sign in to geohunt.",
        uri=base_url,
        version="1",
        chain_id=1,
        issued_at=now.isoformat().replace("+00:00", "Z"),
        expiration_time=(now + timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
        nonce=nonce,
    ).prepare_message()
    signature = Account.sign_message(encode_defunct(text=message), account.key).signature
    return {"message": message, "signature": "0x" + bytes(signature).hex()}


async def wait_minted(
    finds: Any, deadline_s: float = MINT_WAIT_S, interval_s: float = 0.2
) -> list[dict[str, Any]]:
    """Poll `finds()` (an async callable returning /v1/me/finds) until every find is minted or
    failed, or the deadline passes; return the last answer."""
    end = time.monotonic() + deadline_s
    while True:
        listed: list[dict[str, Any]] = await finds()
        if all(f["mint"]["status"] in ("minted", "failed") for f in listed):
            return listed
        if time.monotonic() > end:
            return listed
        await asyncio.sleep(interval_s)
