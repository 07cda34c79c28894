"""AnvilProcess: found from `npm ci`, started on a free port, stopped without leaving a process
behind, whatever way it ends."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from eth_account import Account
from web3 import AsyncWeb3

import chain.anvil_binary
from chain.anvil import DEV_ACCOUNTS, AnvilProcess
from chain.anvil_binary import AnvilError, anvil_binary
from chain.client import connect

REPO = Path(__file__).resolve().parents[2]


def anvil_children() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if p.name() == "anvil"]


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_gone(pid: int, within_s: float = 20) -> bool:
    """Polls until `pid` is gone; the bound is for liveness, not speed."""
    deadline = time.monotonic() + within_s
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return gone(pid)


def test_binary_is_the_one_npm_installed() -> None:
    binary = anvil_binary()
    assert binary.is_relative_to(REPO / "node_modules" / "@foundry-rs")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    assert "1.7.1" in version.stdout


async def test_dev_accounts_are_the_nodes_and_their_keys_match(w3: AsyncWeb3) -> None:
    assert await w3.eth.accounts == [address for address, _ in DEV_ACCOUNTS]
    for address, key in DEV_ACCOUNTS:
        assert Account.from_key(key).address == address
    assert await w3.eth.chain_id == 31337


def test_stop_ends_the_process_and_the_context_manager_stops_it() -> None:
    with AnvilProcess() as node:
        pid = node.pid
        assert node.url == f"http://127.0.0.1:{node.port}"
        assert psutil.Process(pid).name() == "anvil"
    assert gone(pid)
    assert not node.running
    assert pid not in [p.pid for p in anvil_children()]
    node.stop()  # a second stop is harmless


def test_kill_ends_the_process() -> None:
    node = AnvilProcess()
    node.start()
    pid = node.pid
    node.kill()
    assert gone(pid)
    with pytest.raises(AnvilError, match="not running"):
        _ = node.pid


def test_start_twice_is_refused() -> None:
    with AnvilProcess() as node:
        with pytest.raises(AnvilError, match="already started"):
            node.start()


def test_busy_port_fails_clearly_and_leaves_no_process() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        before = {p.pid for p in anvil_children()}

        with pytest.raises(AnvilError, match=f"exited with code .* on port {port}") as failed:
            AnvilProcess(port=port).start()

    assert "in use" in str(failed.value).lower()  # the log tail says why
    assert {p.pid for p in anvil_children()} == before


async def test_fractional_block_time_mines_without_transactions(tmp_path: Path) -> None:
    with AnvilProcess(block_time=0.2, log_path=tmp_path / "anvil.log") as node:
        assert "0.2" in psutil.Process(node.pid).cmdline()
        w3 = connect(node.url)
        try:
            deadline = time.monotonic() + 20  # liveness bound only: 0.2 s blocks need ~0.4 s
            while await w3.eth.block_number < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert await w3.eth.block_number >= 2
        finally:
            await w3.provider.disconnect()


async def test_mixed_mining_mines_each_transaction_as_it_comes_and_blocks_between(
    tmp_path: Path,
) -> None:
    with AnvilProcess(block_time=3, mixed_mining=True, log_path=tmp_path / "a.log") as node:
        assert "--mixed-mining" in psutil.Process(node.pid).cmdline()
        w3 = connect(node.url)
        try:
            started = await w3.eth.block_number
            _, key = DEV_ACCOUNTS[0]
            tx = {
                "to": DEV_ACCOUNTS[1][0], "value": 1, "gas": 21_000, "nonce": 0,
                "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9, "chainId": 31337,
            }  # fmt: skip
            sent = await w3.eth.send_raw_transaction(
                Account.from_key(key).sign_transaction(tx).raw_transaction
            )
            # Mined as it came: well before the first interval block, 3 s after the start.
            receipt = await w3.eth.wait_for_transaction_receipt(sent, 1.5, poll_latency=0.02)
            assert receipt["status"] == 1
            block = receipt["blockNumber"]
            assert block == started + 1
            deadline = time.monotonic() + 20  # liveness bound only: 3 s blocks
            while await w3.eth.block_number <= block and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert await w3.eth.block_number > block  # and a block with no transaction
        finally:
            await w3.provider.disconnect()


def test_mixed_mining_needs_a_block_time() -> None:
    with pytest.raises(ValueError, match="block_time"):
        AnvilProcess(mixed_mining=True)


@pytest.mark.parametrize("block_time", [0, -1, float("nan"), float("inf")])
def test_block_time_must_be_positive_and_finite(block_time: float) -> None:
    with pytest.raises(ValueError, match="block_time"):
        AnvilProcess(block_time=block_time)


def test_a_killed_owner_leaves_no_anvil(tmp_path: Path) -> None:
    # The owner dies by SIGKILL: no atexit, no finally; the kernel's parent-death signal ends it.
    script = textwrap.dedent(
        """
        import sys, time
        from pathlib import Path
        from chain.anvil import AnvilProcess
        node = AnvilProcess(log_path=Path(sys.argv[1]))
        node.start()
        print(node.pid, flush=True)
        time.sleep(120)
        """
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "anvil.log")],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert owner.stdout is not None
        pid = int(owner.stdout.readline())
        assert psutil.Process(pid).name() == "anvil"
    finally:
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait()
        owner.stdout.close()  # type: ignore[union-attr]
    assert wait_gone(pid)


def test_an_owner_that_forgets_to_stop_leaves_no_anvil() -> None:
    script = (
        "from chain.anvil import AnvilProcess\n"
        "node = AnvilProcess()\n"
        "node.start()\n"
        "print(node.pid)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert wait_gone(int(done.stdout))


async def test_chain_id_and_gas_limit_are_passed_on() -> None:
    with AnvilProcess(chain_id=1337, gas_limit=50_000_000) as node:
        w3 = connect(node.url)
        try:
            assert await w3.eth.chain_id == 1337
            assert (await w3.eth.get_block("latest"))["gasLimit"] == 50_000_000
        finally:
            await w3.provider.disconnect()


def test_missing_anvil_says_to_run_npm_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(chain.anvil_binary, "REPO_ROOT", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(AnvilError, match="npm ci"):
        anvil_binary()


def test_connect_makes_no_network_call() -> None:
    w3 = connect("http://127.0.0.1:9", timeout_s=0.5)  # nothing listens on the discard port
    assert w3.provider.endpoint_uri == "http://127.0.0.1:9"  # type: ignore[attr-defined]
