"""`geohunt demo` on chain: its own anvil, the contract deployed once per chain state, a worker
beside the server, and the showcase hunter's finds minted."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from chain.artifact import load_artifact
from chain.client import connect
from hunt_engine.codes import static_code
from infra.settings import Settings
from server.app import create_app
from server.demo import run as demo
from server.demo.on_chain import demo_chain
from server.http.auth import Role
from tests.support.api import Api


async def test_demo_starts_a_chain_deploys_once_and_mints_the_showcase(
    settings: Settings, own_database: str, tmp_path: Path, aiohttp_client: Any
) -> None:
    local = dataclasses.replace(
        settings,
        database_url=own_database,
        chain_rpc_url=None,
        minter_private_keys=(),
        contract_address=None,
        state_dir=str(tmp_path),
    )
    async with demo_chain(local) as chain:
        assert chain is not None and chain.anvil is not None and chain.chain_id == 31337
        api = Api(await aiohttp_client(create_app(chain.settings)), chain.settings)
        organiser, _ = api.issuer.issue(Role.ORGANISER, "demo-test", 3600)
        seeded = await demo.seed(api.client, organiser, datetime.now(UTC))

        def code_of(clue_id: int) -> str:
            return static_code(api.settings.qr_keyring, clue_id)

        text = await demo.showcase_mint(api.client, seeded, code_of, chain.settings, chain)
        assert text.count(": minted, 0x") == 2, text
        first = chain.contract
        w3 = connect(chain.settings.chain_rpc_url or "")
        try:
            contract = w3.eth.contract(address=first, abi=load_artifact().abi)
            assert await contract.functions.balanceOf(_wallet(text)).call() == 2
        finally:
            await w3.provider.disconnect()
    assert not chain.anvil.running
    # The chain's state was kept: the next demo finds its contract instead of deploying again.
    async with demo_chain(local) as again:
        assert again is not None and again.contract == first


def _wallet(text: str) -> str:
    marker = "with wallet "
    start = text.index(marker) + len(marker)
    return to_checksum_address(text[start : start + 42])
