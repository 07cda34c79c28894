"""Chain fixtures on a real anvil (from `npm ci`), registered once for the whole suite by
tests/conftest.py (`pytest_plugins`): importing them into a test module or another conftest would
start a second session anvil."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

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
