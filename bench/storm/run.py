"""The storm's phases on one scratch stack: the hunt seeded, the server started as
`geohunt serve` starts it, a warm-up, the capacity (closed loop), then the open loop at each
multiple of it; after each phase, its finds checked against its answers."""

from __future__ import annotations

import asyncio
import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import psutil

from bench import cpu, seed
from bench.scratch import Stack, log_stderr, scratch_stack
from bench.storm.load import Load, Target, run_phase

RATE_CEILING = 4000  # scans/s: more than this 2-core machine accepts, for sizing the seed
SETTLE_S = 2.0  # after a phase: work the server still does for clients that gave up
ABANDONED_FINDS_SQL = """
SELECT count(*) FROM finds f
JOIN unnest($1::bigint[], $2::bigint[]) AS a(hunter, collectible)
  ON f.hunter_id = a.hunter AND f.collectible_id = a.collectible
"""


@dataclass
class Options:
    duration: float = 30.0  # seconds of each open-loop phase
    capacity_duration: float = 10.0
    warmup: float = 5.0
    multipliers: list[float] = field(default_factory=lambda: [1.0, 2.0, 5.0])
    workers: int = os.cpu_count() or 1  # as `geohunt serve` runs by default
    generators: int = 2  # load-generator processes
    connections: int = 32  # of the closed loops
    collectibles: int = 200
    hunters: int = 4000  # at least
    timeout: float = 5.0
    probe_rate: float = 20.0
    warm: int = 100  # warm connections of each generator process
    quiet_wait: float = 60.0
    keep_db: bool = False
    # Offer multiples of this many scans/s instead of the measured capacity: two versions of
    # the server then meet the same load (the capacity measured alone moves from run to run).
    rate: float | None = None


class Storm:
    def __init__(self, opts: Options, stack: Stack, plan: seed.ScanPlan) -> None:
        self.opts, self.stack, self.plan = opts, stack, plan
        self.plan_path = stack.workdir / "plan.json"
        self.collectible_ids: list[int] = []

    async def write_plan(self) -> None:
        rows = await self.stack.db.fetch(
            "SELECT key, id FROM collectibles WHERE hunt_id = $1", self.plan.hunt_id
        )
        ids = {r["key"]: r["id"] for r in rows}
        self.collectible_ids = [ids[k] for k in self.plan.keys]
        bodies = [b.decode() for b in self.plan.bodies]
        self.plan_path.write_text(json.dumps({"tokens": self.plan.tokens, "bodies": bodies}))

    def check_pairs(self, needed: int) -> None:
        """The next `needed` requests must be distinct pairs. Hunters are never added once
        scans began: `seed.pair` maps an index by the number of hunters, so a pair used
        before more hunters came could come again after."""
        if self.plan.next_index + needed > self.plan.capacity:
            raise RuntimeError(
                f"{needed:,} more scans need more (hunter, collectible) pairs than the"
                f" {self.plan.capacity:,} of {len(self.plan.tokens):,} hunters: raise --hunters"
            )

    def target(self) -> Target:
        server = self.stack.server
        opts = self.opts
        return Target(
            server.port, server.pid, self.plan_path, self.stack.workdir, opts.generators,
            opts.timeout, opts.probe_rate, opts.warm, self.stack.db,
        )  # fmt: skip

    async def phase(self, load: Load) -> dict[str, Any]:
        db = self.stack.db
        await db.execute("VACUUM ANALYZE")
        quiet = await cpu.wait_quiet(self.opts.quiet_wait) if self.opts.quiet_wait > 0 else None
        finds_before = await db.fetchval("SELECT count(*) FROM finds")
        result = await run_phase(self.target(), load, self.plan.next_index)
        result["base"] = self.plan.next_index
        self.plan.take(result["used"])
        await asyncio.sleep(SETTLE_S)
        result["finds"] = await db.fetchval("SELECT count(*) FROM finds") - finds_before
        await self.check(result)
        if quiet is not None:
            result["waited_for_quiet_s"], result["busy_before_pct"] = quiet
        log_stderr(f"  {load.label}: {json.dumps(result)}")
        return result

    async def check(self, result: dict[str, Any]) -> None:
        """Durability of the 201s and the finds of clients that gave up (lists dropped)."""
        db = self.stack.db
        ids = result.pop("find_ids")
        stored = await db.fetchval("SELECT count(*) FROM finds WHERE id = ANY($1::bigint[])", ids)
        result["accepted"] = len(ids)
        result["accepted_distinct"] = len(set(ids))
        result["accepted_stored"] = stored
        for kind in ("abandoned", "errors"):
            indices = result.pop(kind)
            if indices and result.get("rate_target"):
                # When, in the phase's timetable, the requests were due (seconds).
                due = sorted((i - result["base"]) / result["rate_target"] for i in indices)
                result[f"{kind}_due_s"] = [round(due[0], 2), round(due[-1], 2)]
            hunters, collectibles = [], []
            for i in indices:
                h, c = seed.pair(i, len(self.plan.tokens), len(self.plan.bodies), "spread")
                hunters.append(self.plan.hunter_ids[h])
                collectibles.append(self.collectible_ids[c])
            result[kind] = len(indices)
            result[f"{kind}_finds"] = await db.fetchval(ABANDONED_FINDS_SQL, hunters, collectibles)
        # Finds no answer accounts for: a 503 or another refusal whose scan was claimed anyway.
        result["unexplained_finds"] = (
            result["finds"] - stored - result["abandoned_finds"] - result["errors_finds"]
        )


async def wait_workers(pid: int, port: int, count: int) -> None:
    """Until `count` processes of the server's tree listen on `port` (the first to listen
    answers the readiness check; its siblings may still be starting)."""
    for _ in range(600):
        listening = 0
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            try:
                conns = proc.net_connections(kind="tcp")
            except psutil.NoSuchProcess:
                continue
            listening += any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in conns)
        if listening >= count:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{count} server processes did not all listen on {port}")


async def start_server(stack: Stack, workers: int) -> float:
    stack.server.args = ["--workers", str(workers)]
    seconds = await stack.start()
    await wait_workers(stack.server.pid, stack.server.port, workers)
    return round(seconds, 2)


async def run(opts: Options) -> dict[str, Any]:
    async with scratch_stack("storm", keep=opts.keep_db) as stack:
        s = stack.settings
        results: dict[str, Any] = {
            "options": {k: v for k, v in vars(opts).items()},
            "services": await stack.service_facts(),
            "admission": {
                "queue_target_ms": round(s.queue_target_s * 1000, 1),
                "queue_interval_ms": round(s.queue_interval_s * 1000, 1),
                "max_inflight": s.max_inflight,
                "scan_budget_ms": round(s.scan_budget_s * 1000, 1),
                "db_pool_max": s.db_pool_max,
            },
        }
        plan = await seed.seed_hunt(stack.db, s, opts.collectibles)
        log_stderr(f"seeding {opts.collectibles} clues and their hunters")
        # Hunters enough, from the start, for every scan at a rate this machine never reaches.
        pairs = max(RATE_CEILING, opts.rate or 0) * (
            opts.warmup + opts.capacity_duration + sum(opts.multipliers) * opts.duration
        )
        hunters = max(opts.hunters, math.ceil(pairs / opts.collectibles))
        await seed.add_hunters(stack.db, s, plan, hunters)
        storm = Storm(opts, stack, plan)
        await storm.write_plan()
        results["server_start_s"] = await start_server(stack, opts.workers)
        log_stderr("warm-up (not reported), then the capacity")
        conns = opts.connections
        await storm.phase(Load("warmup", "closed", opts.warmup, connections=conns))
        results["capacity"] = await storm.phase(
            Load("capacity", "closed", opts.capacity_duration, connections=conns)
        )
        base = opts.rate or max(1.0, results["capacity"]["accepted_per_s"])
        storm.check_pairs(math.ceil(base * sum(opts.multipliers) * opts.duration) + 1)
        results["phases"] = []
        for m in opts.multipliers:
            label = f"{m:g}x"
            log_stderr(f"open loop at {label} the capacity: {base * m:,.0f} scans/s")
            load = Load(label, "open", opts.duration, rate=base * m)
            results["phases"].append({"multiplier": m, **await storm.phase(load)})
        results["hunters"] = len(plan.tokens)
        results["pairs_used"] = plan.next_index
        results["finds_total"] = await stack.db.fetchval("SELECT count(*) FROM finds")
        results["server_log_tail"] = _log_errors(stack)
        return results


def _log_errors(stack: Stack) -> list[str]:
    """The server log's error lines (the last few): a 500 leaves its traceback there."""
    path = stack.server.log_path
    text = path.read_text(errors="replace") if path.exists() else ""
    return [line for line in text.splitlines() if "ERROR" in line][-5:]
