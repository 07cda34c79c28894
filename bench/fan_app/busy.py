"""How busy the machine was while the claims were measured, and how much of that was jobs
other than this benchmark's parties: this process and its descendants (the server, Playwright's
driver, Chromium and the processes it started, counted when they end through their parents),
PostgreSQL and Redis (which other jobs may use too: their share is counted as ours)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import psutil

from bench import cpu

SERVICES = ("postgres", "redis-server")


def _seconds(proc: psutil.Process) -> float:
    """CPU seconds of a process and of the children it has reaped."""
    try:
        t = proc.cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0
    return float(t.user + t.system + t.children_user + t.children_system)


def _ours() -> dict[int, float]:
    me = psutil.Process()
    tree = [me, *me.children(recursive=True)]
    services = [p for p in psutil.process_iter(["name"]) if p.info["name"] in SERVICES]
    return {p.pid: _seconds(p) for p in [*tree, *services]}


@dataclass
class Sample:
    machine: float
    ours: dict[int, float]
    wall: float


def sample() -> Sample:
    return Sample(cpu.machine_busy(), _ours(), time.time())


def between(before: Sample, after: Sample) -> dict[str, float]:
    """The machine's busy share (% of all its CPUs) and the others' (% of one CPU)."""
    wall = max(after.wall - before.wall, 1e-9)
    busy = after.machine - before.machine
    ours = sum(max(0.0, t - before.ours.get(pid, 0.0)) for pid, t in after.ours.items())
    return {
        "busy_pct": round(100 * busy / (wall * (os.cpu_count() or 1)), 1),
        "others_pct_of_a_cpu": round(100 * max(0.0, busy - ours) / wall, 1),
    }
