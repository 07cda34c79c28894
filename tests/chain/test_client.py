"""The chain client's connections to the node: web3's own session opens one for each request
and closes it; `keep_connections` has the client reuse them until it disconnects."""

from __future__ import annotations

from urllib.parse import urlsplit

import psutil
from web3 import AsyncWeb3

from chain.anvil import AnvilProcess
from chain.client import connect, keep_connections


def open_to(url: str) -> set[int]:
    """The local ports of this process's established connections to the node at `url`."""
    port = urlsplit(url).port
    return {
        c.laddr.port
        for c in psutil.Process().net_connections(kind="tcp")
        if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
    }


async def block_numbers(w3: AsyncWeb3, times: int) -> None:
    for _ in range(times):
        await w3.provider.make_request("eth_blockNumber", [])  # type: ignore[arg-type]


async def test_kept_connections_serve_one_request_after_another(anvil: AnvilProcess) -> None:
    before = open_to(anvil.url)
    w3 = connect(anvil.url)
    await keep_connections(w3)
    try:
        await block_numbers(w3, 1)
        first = open_to(anvil.url) - before
        await block_numbers(w3, 5)

        assert len(first) == 1
        assert open_to(anvil.url) - before == first
        # No request went through web3's thread pool (its session lookup under a lock).
        assert not w3.provider._request_session_manager.session_pool._threads  # type: ignore[attr-defined]
    finally:
        await w3.provider.disconnect()
    assert open_to(anvil.url) - before == set()


async def test_without_them_each_request_has_a_connection_of_its_own(
    anvil: AnvilProcess,
) -> None:
    before = open_to(anvil.url)
    w3 = connect(anvil.url)
    try:
        await block_numbers(w3, 3)

        assert open_to(anvil.url) - before == set()  # closed after each answer
    finally:
        await w3.provider.disconnect()


async def test_a_client_that_already_has_a_session_keeps_it(anvil: AnvilProcess) -> None:
    before = open_to(anvil.url)
    w3 = connect(anvil.url)
    try:
        await block_numbers(w3, 1)  # web3 caches its own session
        await keep_connections(w3)  # too late: that one stays, none is made
        await block_numbers(w3, 2)

        assert open_to(anvil.url) - before == set()
        assert w3.provider._request_session_manager.session_pool._threads  # type: ignore[attr-defined]
    finally:
        await w3.provider.disconnect()
