"""One phase of the storm: the generator processes started on one timetable, the server
watched meanwhile, and their results merged."""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bench.report import percentiles
from bench.scratch import REPOSITORY
from bench.storm.generator import by_kind
from bench.storm.watch import OUR_POSTGRES_SQL, CpuMark, Watch, cpu_shares, listen_overflows

READY_TIMEOUT_S = 120.0
START_MARGIN_S = 0.3


@dataclass
class Load:
    """How a phase loads the server: `mode` open (a rate) or closed (connections)."""

    label: str
    mode: str
    duration_s: float
    rate: float = 0.0
    connections: int = 0
    request: str = "scan"  # or "trivial": GET /bench/trivial


@dataclass
class Target:
    port: int
    server_pid: int
    plan_path: Path  # the tokens and bodies (JSON) the generators read
    workdir: Path
    procs: int  # generator processes
    timeout_s: float  # a client gives up this long after its request was due
    probe_rate: float
    warm: int  # warm connections of each generator process (open loops)
    db: asyncpg.Connection | None = None  # to tell this database's PostgreSQL processes


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _spawn(target: Target, load: Load, base: int, p: int) -> asyncio.subprocess.Process:
    spec = {
        "port": target.port,
        "plan": str(target.plan_path),
        "mode": load.mode,
        "request": load.request,
        "rate": load.rate,
        "duration": load.duration_s,
        "connections": max(1, load.connections // target.procs),
        "timeout": target.timeout_s,
        "base": base,
        "proc": p,
        "procs": target.procs,
        "warm": max(1, load.connections // target.procs) if load.mode == "closed" else target.warm,
        "out": str(target.workdir / f"gen-{load.label}-{p}.json"),
    }
    path = target.workdir / f"gen-{load.label}-{p}.spec.json"
    path.write_text(json.dumps(spec))
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.storm.generator", str(path),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=REPOSITORY,
    )  # fmt: skip


async def run_phase(target: Target, load: Load, base: int) -> dict[str, Any]:
    """`load` from pair index `base` on; the merged results, the probes, RSS and CPU shares."""
    procs = [await _spawn(target, load, base, p) for p in range(target.procs)]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), READY_TIMEOUT_S)
            if line.strip() != b"ready":
                raise RuntimeError(f"a load generator did not start ({proc.returncode})")
        watch = Watch(target.port, target.server_pid, target.probe_rate)
        stop = asyncio.Event()
        before, own = CpuMark.take(target.server_pid), _own_cpu()
        overflows = listen_overflows()
        watching = asyncio.create_task(watch.run(stop))
        go = f"{time.time() + START_MARGIN_S}\n".encode()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(go)
            await proc.stdin.drain()
            proc.stdin.close()
        codes = await asyncio.gather(*(proc.wait() for proc in procs))
        stop.set()
        await watching
        after, own = CpuMark.take(target.server_pid), _own_cpu() - own
        overflows = listen_overflows() - overflows
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    if any(codes):
        raise RuntimeError(f"a load generator failed: exit codes {codes}")
    parts = [
        json.loads((target.workdir / f"gen-{load.label}-{p}.json").read_text())
        for p in range(target.procs)
    ]
    merged = merge(load, parts)
    pids = None
    if target.db is not None:
        pids = {r["pid"] for r in await target.db.fetch(OUR_POSTGRES_SQL)}
    merged["cpu_pct"] = cpu_shares(before, after, merged["loadgen_cpu_s"], own, pids)
    merged.update(watch.summary())
    merged["listen_overflows"] = overflows
    return merged


def merge(load: Load, parts: list[dict[str, Any]]) -> dict[str, Any]:
    statuses: dict[str, int] = {}
    latencies, wire = by_kind(), by_kind()
    by_second: dict[int, list[float]] = {}
    for part in parts:
        for code, n in part["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
        for key, into in (("latencies_ms", latencies), ("wire_ms", wire)):
            for kind, values in part[key].items():
                into[kind] += values
        for second, values in part.get("wire_201_by_second", {}).items():
            by_second.setdefault(int(second), []).extend(values)
    duration = max(p["duration_s"] for p in parts)
    sent = sum(p["sent"] for p in parts)
    if load.mode == "open":
        used = sent
    else:  # process p of P used pairs p, p + P, ...: the highest one bounds them all
        used = len(parts) * max(p["sent"] for p in parts)
    accepted = statuses.get("201", 0)
    return {
        "label": load.label,
        "mode": load.mode,
        "rate_target": load.rate,
        "connections": load.connections,
        "duration_s": round(duration, 3),
        "sent": sent,
        "used": used,
        "statuses": dict(sorted(statuses.items())),
        "accepted_per_s": round(accepted / duration, 1) if duration else 0.0,
        "answered_per_s": round(sum(statuses.values()) / duration, 1) if duration else 0.0,
        "latency_ms": {kind: percentiles(values) for kind, values in latencies.items()},
        # From sending to the answer's arrival at the client's socket (the kernel's timestamp).
        "wire_ms": {kind: percentiles(values) for kind, values in wire.items()},
        # The 201s' p99 on the wire in each second of the phase, in order (seconds with none
        # left out).
        "wire_201_p99_by_second": [percentiles(by_second[s])["p99"] for s in sorted(by_second)],
        "find_ids": [i for p in parts for i in p["find_ids"]],
        "abandoned": [i for p in parts for i in p["abandoned"]],
        "errors": [i for p in parts for i in p["errors"]],
        "error_kinds": dict(sum((Counter(p["error_kinds"]) for p in parts), Counter())),
        # The worst process's: how late the client itself was in sending.
        "send_lag_ms": {
            k: max(p["send_lag_ms"].get(k, 0.0) for p in parts) for k in ("p50", "p99", "max")
        },
        "connections_opened": sum(p["connections_opened"] for p in parts),
        # Of the abandoned: never sent, their connection still being opened (the listen queue).
        "abandoned_unsent": sum(p["abandoned_unsent"] for p in parts),
        "loadgen_cpu_s": sum(p["cpu_s"] for p in parts),
    }
