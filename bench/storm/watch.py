"""What the storm watches during each phase, from the benchmark's own process: `/healthz` at a
steady rate (each probe on a new connection, as a load balancer's check is), the server's
memory (RSS of the server process and all its workers, once a second) and the CPU each party
spent."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench import cpu, loadgen
from bench.report import percentiles

# The database's own backends and PostgreSQL's shared processes (WAL writer, checkpointer...):
# other jobs' databases on the same PostgreSQL are not this benchmark's cost.
OUR_POSTGRES_SQL = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() OR datname IS NULL"
)
PROBE_TIMEOUT_S = 5.0
RSS_EVERY_S = 1.0


def listen_overflows() -> int:
    """The kernel's count of connections dropped because a listen queue was full (all of the
    machine's sockets, since boot): the client retries its handshake or data after 1 s, 3 s...,
    a wait no admission queue sees."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return 0
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:], strict=False))
            return int(table.get("ListenOverflows", 0))
    return 0


def server_tree(pid: int) -> list[psutil.Process]:
    """The server process and its workers (`--workers N` runs them as its children)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_rss_mb(pid: int) -> float:
    total = 0
    for proc in server_tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return round(total / 2**20, 1)


def tree_cpu_s(pid: int) -> float:
    total = 0.0
    for proc in server_tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            t = proc.cpu_times()
            total += t.user + t.system
    return total


@dataclass
class CpuMark:
    server: float
    postgres: dict[int, float]
    redis: dict[int, float]
    machine: float
    wall: float

    @classmethod
    def take(cls, server_pid: int) -> CpuMark:
        return cls(
            tree_cpu_s(server_pid),
            cpu._by_name("postgres"),
            cpu._by_name("redis-server"),
            cpu.machine_busy(),
            time.time(),
        )


def postgres_s(before: CpuMark, after: CpuMark, pids: set[int] | None) -> float:
    """CPU seconds of PostgreSQL's processes between the marks (only `pids`, if given)."""
    if pids is None:
        return cpu._delta(before.postgres, after.postgres)
    return cpu._delta(
        {p: t for p, t in before.postgres.items() if p in pids},
        {p: t for p, t in after.postgres.items() if p in pids},
    )


def cpu_shares(
    before: CpuMark,
    after: CpuMark,
    loadgen_s: float,
    own_s: float,
    postgres_pids: set[int] | None = None,
) -> dict[str, float]:
    """Each party's share of the machine's CPU time over the phase, in % of all cores (the
    benchmark's own process, which probes and samples, is `bench`; PostgreSQL counts only
    `postgres_pids` when given)."""
    wall = max(after.wall - before.wall, 1e-9) * (psutil.cpu_count() or 1)
    spent = {
        "server": after.server - before.server,
        "postgres": postgres_s(before, after, postgres_pids),
        "redis": cpu._delta(before.redis, after.redis),
        "loadgen": loadgen_s,
        "bench": own_s,
    }
    busy = after.machine - before.machine
    spent["other"] = max(0.0, busy - sum(spent.values()))
    shares = {k: round(v / wall * 100, 1) for k, v in spent.items()}
    shares["busy"] = round(busy / wall * 100, 1)
    return shares


@dataclass
class Watch:
    """Probes `/healthz` at `probe_rate` per second and samples RSS until stopped."""

    port: int
    server_pid: int
    probe_rate: float
    probes: Counter[str] = field(default_factory=Counter)
    probe_ms: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    async def probe(self, due: float) -> None:
        loop = asyncio.get_running_loop()
        conn = None
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                conn = await loadgen.Connection.open(self.port)
                status = await conn.exchange(loadgen.http_request("GET", "/healthz", self.port))
            self.probes[str(status)] += 1
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
            self.probes["error"] += 1
        finally:
            if conn is not None:
                conn.close()
        self.probe_ms.append((loop.time() - due) * 1000)

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        n = 0
        tasks: set[asyncio.Task[None]] = set()
        next_rss = start
        while not stop.is_set():
            now = loop.time()
            if now >= next_rss:
                self.rss_mb.append(tree_rss_mb(self.server_pid))
                next_rss += RSS_EVERY_S
            due = start + n / self.probe_rate
            if now >= due:
                task = asyncio.create_task(self.probe(due))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                n += 1
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(due, next_rss) - now)
        if tasks:
            await asyncio.gather(*tasks)
        self.rss_mb.append(tree_rss_mb(self.server_pid))

    def summary(self) -> dict[str, Any]:
        return {
            "probes": dict(self.probes),
            "probe_ms": percentiles(self.probe_ms),
            "rss_mb": {
                "first": self.rss_mb[0] if self.rss_mb else 0.0,
                "max": max(self.rss_mb, default=0.0),
                "last": self.rss_mb[-1] if self.rss_mb else 0.0,
            },
        }
