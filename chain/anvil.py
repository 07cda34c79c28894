"""A local anvil (Foundry's dev chain) from the npm package pinned in package.json, for tests,
the demo and local runs.

The process is owned explicitly: `start()` / `stop()` (or `with AnvilProcess() as node:`), no
`__del__`. `stop()` sends SIGTERM so that `--state` is written; a process still alive when the
interpreter exits is stopped by an atexit hook, and on Linux the child also gets SIGTERM when the
thread that started it dies (PR_SET_PDEATHSIG), so a killed test run leaves no anvil behind.
"""

from __future__ import annotations

import atexit
import math
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from chain.anvil_binary import (
    AnvilError,
    anvil_binary,
    die_with_parent,
    listens_on,
    rpc_call,
)
from infra.ports import free_port

START_TIMEOUT_S = 30.0

# Derived from anvil's default mnemonic "test test test test test test test test test test test
# junk" (m/44'/60'/0'/0/i), each funded with 10,000 ETH. Public knowledge: never use on a real
# chain. tests/chain checks them against a running anvil's eth_accounts.
DEV_ACCOUNTS: tuple[tuple[str, str], ...] = (
    (
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    ),
    (
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    ),
    (
        "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
        "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    ),
    (
        "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
        "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    ),
    (
        "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
        "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    ),
    (
        "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
        "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    ),
    (
        "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
        "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    ),
    (
        "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
        "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    ),
    (
        "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
        "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    ),
    (
        "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
        "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
    ),
)


class AnvilProcess:
    """One anvil on 127.0.0.1; automine unless `block_time` (seconds, > 0, fractions allowed:
    anvil 1.7 takes e.g. 0.2 for five blocks a second) is given. With `mixed_mining`, both:
    a block for each transaction as it comes, and one every `block_time` besides, which mines
    what automine left behind (under concurrent senders it can leave ready transactions
    pending for good: foundry-rs/foundry#10122)."""

    def __init__(
        self,
        *,
        port: int | None = None,
        state_path: Path | None = None,
        block_time: float | None = None,
        chain_id: int = 31337,
        gas_limit: int | None = None,
        log_path: Path | None = None,
        mixed_mining: bool = False,
    ) -> None:
        if block_time is not None and not (math.isfinite(block_time) and block_time > 0):
            raise ValueError(f"block_time must be a positive number of seconds: {block_time!r}")
        if mixed_mining and block_time is None:
            raise ValueError("mixed_mining needs a block_time")
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"port out of range: {port}")
        self._port = port
        self.state_path = state_path
        self.block_time = block_time
        self.mixed_mining = mixed_mining
        self.chain_id = chain_id
        self.gas_limit = gas_limit
        self.log_path = log_path
        self._own_log: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # -- what callers read -------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise AnvilError("anvil has no port yet: call start() first")
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise AnvilError("anvil is not running")
        return self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> str:
        """Starts anvil and returns its URL once `eth_chainId` answers from this process."""
        if self._proc is not None:
            raise AnvilError(f"anvil already started (pid {self._proc.pid})")
        # A port picked by free_port() can be taken before anvil binds it: pick another then.
        attempts = 3 if self._port is None else 1
        for attempt in range(attempts):
            port = self._port if self._port is not None else free_port()
            try:
                self._launch(port)
                self._wait_ready(port)
            except AnvilError:
                self._reap()
                if attempt == attempts - 1:
                    raise
                continue
            self._port = port
            return self.url
        raise AssertionError("unreachable")

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM, so anvil writes `--state`, then wait. Raises if it had to be killed."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                self._reap()
                raise AnvilError(
                    f"anvil (pid {proc.pid}) ignored SIGTERM for {timeout}s and was killed; "
                    "its state was not saved"
                ) from None
        self._reap()

    def kill(self) -> None:
        """SIGKILL, as a crash would: `--state` is not written."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        self._reap()

    def restart(self) -> str:
        """stop() then start() on the same port and state file."""
        port = self._port
        self.stop()
        self._port = port
        return self.start()

    def __enter__(self) -> AnvilProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def log_tail(self, lines: int = 20) -> str:
        path = self.log_path or self._own_log
        if path is None or not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # -- internals ---------------------------------------------------------------------------

    def _command(self, port: int) -> list[str]:
        cmd = [str(anvil_binary()), "--silent", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--chain-id", str(self.chain_id)]
        if self.state_path is not None:
            cmd += ["--state", str(self.state_path)]
        if self.block_time is not None:
            cmd += ["--block-time", repr(float(self.block_time))]
        if self.mixed_mining:
            cmd += ["--mixed-mining"]
        if self.gas_limit is not None:
            cmd += ["--gas-limit", str(self.gas_limit)]
        return cmd

    def _launch(self, port: int) -> None:
        if self.log_path is None and self._own_log is None:
            fd, name = tempfile.mkstemp(prefix="anvil-", suffix=".log")
            os.close(fd)
            self._own_log = Path(name)
        log_file = self.log_path or self._own_log
        assert log_file is not None
        with open(log_file, "ab") as log:
            self._proc = subprocess.Popen(  # noqa: S603 - fixed binary, arguments we build
                self._command(port),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent(),
            )
        _LIVE.add(self)

    def _wait_ready(self, port: int) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            code = self._proc.poll()
            if code is not None:
                raise AnvilError(
                    f"anvil exited with code {code} on port {port}:\n{self.log_tail()}"
                )
            # Only an answer from our own process counts, not from another node on that port.
            if listens_on(self._proc.pid, port):
                try:
                    chain_id = rpc_call(port, "eth_chainId")
                except (OSError, ValueError) as exc:
                    last_error = str(exc)
                else:
                    if int(chain_id, 16) != self.chain_id:
                        raise AnvilError(f"anvil on port {port} answered chain id {chain_id}")
                    return
            time.sleep(0.05)
        raise AnvilError(
            f"anvil did not answer eth_chainId on port {port} within {START_TIMEOUT_S}s "
            f"({last_error}):\n{self.log_tail()}"
        )

    def _reap(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        _LIVE.discard(self)
        if self._own_log is not None:  # errors have quoted its tail already
            self._own_log.unlink(missing_ok=True)
            self._own_log = None


# Strong references: a node its owner forgot is still stopped when the interpreter exits.
_LIVE: set[AnvilProcess] = set()


@atexit.register
def _stop_leftovers() -> None:
    for node in list(_LIVE):
        try:
            node.stop(timeout=5)
        except AnvilError:
            pass
