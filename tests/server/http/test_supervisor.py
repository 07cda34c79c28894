"""`geohunt serve --workers N`: N processes listening on one port (SO_REUSEPORT) under a parent
that forwards SIGTERM to them and waits for all (exit 0); a child that dies unasked stops the
others and the parent exits 1; `--workers 1` serves in the process itself."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import psutil
import pytest

from infra.settings import Settings
from tests.support.api import TEST_SECRET
from tests.support.processes import GEOHUNT, free_port

BOUND_S = 60.0  # a bound against hanging, never a measurement


def listeners(pid: int, port: int) -> int:
    """Listening sockets of process `pid` on `port`."""
    try:
        sockets = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.NoSuchProcess:
        return 0
    return sum(1 for s in sockets if s.status == psutil.CONN_LISTEN and s.laddr.port == port)


def alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


class Serve:
    def __init__(self, proc: asyncio.subprocess.Process, port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log

    def children(self) -> list[int]:
        return [child.pid for child in psutil.Process(self.proc.pid).children()]

    async def ready(self, processes: int) -> None:
        """Until every process listens and /healthz answers."""
        deadline = time.monotonic() + BOUND_S
        url = f"http://127.0.0.1:{self.port}/healthz"
        async with aiohttp.ClientSession() as session:
            while True:
                assert self.proc.returncode is None, self.log.read_text()[-3000:]
                assert time.monotonic() < deadline, self.log.read_text()[-3000:]
                pids = self.children() or [self.proc.pid]
                if sum(listeners(pid, self.port) for pid in pids) == processes:
                    try:
                        async with session.get(url) as answer:
                            if answer.status == 200:
                                return
                    except aiohttp.ClientError:
                        pass
                await asyncio.sleep(0.1)

    async def exit_code(self) -> int:
        return await asyncio.wait_for(self.proc.wait(), BOUND_S)


Start = Callable[..., Awaitable[Serve]]


@pytest.fixture
async def serve(settings: Settings, tmp_path: Path) -> AsyncIterator[Start]:
    started: list[Serve] = []

    async def start(*args: str) -> Serve:
        port = free_port()
        log = tmp_path / f"serve-{len(started)}.log"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            "GEOHUNT_SECRET": TEST_SECRET,
            "DATABASE_URL": settings.database_url or "",
            "REDIS_URL": settings.redis_url or "",
            "GEOHUNT_REDIS_PREFIX": settings.redis_prefix,
            "GEOHUNT_DB_POOL_MAX": "4",
        }
        with log.open("ab") as out:
            proc = await asyncio.create_subprocess_exec(
                GEOHUNT, "serve", "--port", str(port), *args, env=env, stdout=out, stderr=out
            )
        started.append(Serve(proc, port, log))
        return started[-1]

    yield start
    for server in started:
        if server.proc.returncode is None:
            for pid in server.children():
                os.kill(pid, signal.SIGKILL)
            server.proc.kill()
            await server.proc.wait()


async def test_workers_share_the_port_and_stop_together(serve: Start) -> None:
    server: Serve = await serve("--workers", "2")
    await server.ready(processes=2)
    children = server.children()
    assert len(children) == 2
    assert listeners(server.proc.pid, server.port) == 0  # the parent serves nothing itself
    server.proc.send_signal(signal.SIGTERM)
    assert await server.exit_code() == 0
    assert not any(alive(pid) for pid in children)


async def test_a_child_that_dies_unasked_stops_the_others(serve: Start) -> None:
    server: Serve = await serve("--workers", "2")
    await server.ready(processes=2)
    first, second = server.children()
    os.kill(first, signal.SIGKILL)
    assert await server.exit_code() == 1
    assert "exited (-9) unasked" in server.log.read_text()
    assert not alive(second)


async def test_one_worker_serves_in_the_process_itself(serve: Start) -> None:
    server: Serve = await serve("--workers", "1")
    await server.ready(processes=1)
    assert server.children() == [] and listeners(server.proc.pid, server.port) == 1
    # Its start-up heap is left out of garbage collection (infra/heap.py): the modules, the
    # catalog and the libraries' machinery, well over ten thousand objects.
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{server.port}/metrics") as answer:
            text = await answer.text()
    frozen = [line for line in text.splitlines() if line.startswith("geohunt_heap_frozen_objects")]
    assert len(frozen) == 1 and float(frozen[0].split()[1]) > 10_000, frozen
    server.proc.send_signal(signal.SIGTERM)
    assert await server.exit_code() == 0
