"""Chain fixtures on a real anvil (from `npm ci`), registered once for the whole suite by
tests/conftest.py (`pytest_plugins`): importing them into a test module or another conftest would
start a second session anvil.

`anvil` and `w3` are the session's chain; `own_anvil` and `own_w3` a chain of one test's own,
for the tests that stop, restart or mine it themselves, or need its blocks to themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import AsyncWeb3

from chain.anvil import DEV_ACCOUNTS, AnvilProcess
from chain.client import connect
from chain.deploy import deploy_collectible

TEST_BASE_URI = "http://geohunt.test/v1/tokens/"


@pytest.fixture(scope="session")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilProcess]:
    """One automining anvil for the session. It keeps its state in a file, so a test may
    `anvil.restart()` it (same URL) and find the chain as it was."""
    node = AnvilProcess(state_path=tmp_path_factory.mktemp("anvil") / "state.json")
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
async def w3(anvil: AnvilProcess) -> AsyncIterator[AsyncWeb3]:
    client = connect(anvil.url)
    try:
        yield client
    finally:
        await client.provider.disconnect()


@pytest.fixture
def own_anvil(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnvilProcess]:
    """An anvil of the test's own, automining unless the test (or its module, by `pytestmark`)
    is marked `own_anvil` with AnvilProcess's keywords, e.g.
    `pytest.mark.own_anvil(block_time=0.5, gas_limit=100_000_000)`; `keep_state=True` gives it
    a state file, so that a test may stop and start it and find the chain as it was. Its log
    is kept in the test's tmp_path."""
    marker = request.node.get_closest_marker("own_anvil")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    if options.pop("keep_state", False):
        options["state_path"] = tmp_path / "anvil-state.json"
    node = AnvilProcess(log_path=tmp_path / "anvil.log", **options)
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
async def own_w3(own_anvil: AnvilProcess) -> AsyncIterator[AsyncWeb3]:
    client = connect(own_anvil.url)
    try:
        yield client
    finally:
        await client.provider.disconnect()


@pytest.fixture(scope="session")
def deployer() -> tuple[str, str]:
    """(address, private key) of anvil's first dev account: deploys and administers."""
    return DEV_ACCOUNTS[0]


@pytest.fixture(scope="session")
def minter_account() -> tuple[str, str]:
    """(address, private key) of the account holding MINTER_ROLE on `collectible`."""
    return DEV_ACCOUNTS[1]


@pytest.fixture
async def collectible(
    w3: AsyncWeb3, deployer: tuple[str, str], minter_account: tuple[str, str]
) -> str:
    """The checksum address of a GeohuntCollectible deployed for this test alone."""
    return await deploy_collectible(
        w3, deployer[1], base_uri=TEST_BASE_URI, minter=minter_account[0]
    )
