"""CPU seconds by party during a measured phase: anvil, the worker, the API server, PostgreSQL
(this run's database's backends), this process (the fans' client, or the bare script) and the
rest of the machine. On two cores they all compete, so where the CPU goes says much of where
the time goes."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass

import psutil

from bench.cpu import machine_busy

PARTIES = ("anvil", "worker", "server", "postgres", "bench")


def _party(proc: psutil.Process, database: str) -> str | None:
    try:
        name, cmdline = proc.name(), " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    if name == "anvil":
        return "anvil"
    if "bench.server" in cmdline:
        return "server"
    if cmdline.endswith("geohunt worker"):
        return "worker"
    # The backends of this run's database (a backend's title names it); other jobs' backends,
    # and the server's shared processes, fall in `other`.
    if name == "postgres" and f" {database} " in cmdline:
        return "postgres"
    return None


def _cpu(proc: psutil.Process) -> float:
    try:
        t = proc.cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0
    return float(t.user + t.system)


@dataclass
class Snapshot:
    by_pid: dict[int, tuple[str, float]]
    own: float
    machine: float
    wall: float


def snapshot(database: str) -> Snapshot:
    procs = psutil.Process().children(recursive=True) + [
        p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"
    ]
    by_pid = {}
    for proc in procs:
        party = _party(proc, database)
        if party is not None:
            by_pid[proc.pid] = (party, _cpu(proc))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return Snapshot(by_pid, usage.ru_utime + usage.ru_stime, machine_busy(), time.time())


def per_swap(before: Snapshot, after: Snapshot, swaps: int) -> dict[str, float]:
    """Milliseconds of CPU per swap by party, `other` (the kernel's share, other jobs on the
    machine), and how busy the machine was (% of all cores)."""
    spent = dict.fromkeys(PARTIES, 0.0)
    for pid, (party, cpu) in after.by_pid.items():
        # A process that appeared meanwhile (a new connection's backend) counts from zero.
        spent[party] += max(0.0, cpu - before.by_pid.get(pid, (party, 0.0))[1])
    spent["bench"] = after.own - before.own
    busy = after.machine - before.machine
    spent["other"] = max(0.0, busy - sum(spent.values()))
    result = {k: round(v / max(swaps, 1) * 1000, 2) for k, v in spent.items()}
    wall = max(after.wall - before.wall, 1e-9)
    result["busy_pct"] = round(busy / (wall * (os.cpu_count() or 1)) * 100, 1)
    return result
