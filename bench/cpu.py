"""CPU seconds spent by each party of a phase: the server, PostgreSQL, Redis, the generator.

On two cores every party competes with the others, so CPU per request says where a request's
cost goes better than throughput alone does.
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from dataclasses import dataclass

import psutil

PARTIES = ("server", "postgres", "redis", "loadgen")
_TICK = os.sysconf("SC_CLK_TCK")


def _times(proc: psutil.Process) -> float:
    try:
        t = proc.cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0
    return float(t.user + t.system)


def _by_name(name: str) -> dict[int, float]:
    found = {}
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] == name:
            found[proc.pid] = _times(proc)
    return found


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (every core, every process, the kernel)."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / _TICK


def _own(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Snapshot:
    server: float
    postgres: dict[int, float]
    redis: dict[int, float]
    children: float  # exited children (wrk, once waited for)
    self_cpu: float
    machine: float
    wall: float


def snapshot(server_pid: int) -> Snapshot:
    return Snapshot(
        server=_times(psutil.Process(server_pid)),
        postgres=_by_name("postgres"),
        redis=_by_name("redis-server"),
        children=_own(resource.RUSAGE_CHILDREN),
        self_cpu=_own(resource.RUSAGE_SELF),
        machine=machine_busy(),
        wall=time.time(),
    )


def _delta(before: dict[int, float], after: dict[int, float]) -> float:
    # A process that appeared meanwhile (a new pool connection's backend) counts from zero.
    return sum(max(0.0, t - before.get(pid, 0.0)) for pid, t in after.items())


def usage(before: Snapshot, after: Snapshot, requests: int, external: bool) -> dict[str, float]:
    """Microseconds of CPU per completed request, by party, and the machine's busy share.

    `other` is what the machine spent beyond the four parties: the kernel's share not charged to
    a process, and any other load on the machine (a run beside another job shows it here).
    """
    spent = {
        "server": after.server - before.server,
        "postgres": _delta(before.postgres, after.postgres),
        "redis": _delta(before.redis, after.redis),
        "loadgen": (after.children - before.children)
        if external
        else (after.self_cpu - before.self_cpu),
    }
    busy = after.machine - before.machine
    spent["other"] = max(0.0, busy - sum(spent.values()))
    per = {k: round(v / requests * 1e6, 1) if requests else 0.0 for k, v in spent.items()}
    wall = max(after.wall - before.wall, 1e-9)
    per["busy_pct"] = round(busy / (wall * (os.cpu_count() or 1)) * 100, 1)
    return per


async def background_busy_pct(seconds: float = 2.0) -> float:
    """How busy the machine is before the benchmark starts: other jobs skew every number."""
    before, started = machine_busy(), time.time()
    await asyncio.sleep(seconds)
    wall = time.time() - started
    return round((machine_busy() - before) / (wall * (os.cpu_count() or 1)) * 100, 1)


async def wait_quiet(max_wait_s: float, busy_below_pct: float = 15.0) -> tuple[float, float]:
    """Wait (at most `max_wait_s`) until the machine is quiet for a second: other jobs on it
    (a test run, a build) would take CPU from the parties measured. (seconds waited, busy %)."""
    started = time.time()
    while True:
        busy = await background_busy_pct(1.0)
        waited = time.time() - started
        if busy < busy_below_pct or waited >= max_wait_s:
            return round(waited, 1), busy
