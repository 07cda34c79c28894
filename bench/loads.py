"""Measured loads against the benchmark server, shared by the scan-path and AR-hints benchmarks:
closed loops (wrk, or the Python fallback) and open loops of scans, warm-ups, interleaved
rounds, and the CPU that every party spent on each.

Every measurement starts after `VACUUM ANALYZE` and, if other jobs keep the machine busy, a
bounded wait for them to stop.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import cpu, loadgen, seed
from bench.loadgen import LoadResult
from bench.scratch import Stack, log_stderr
from bench.wrk import Wrk, find_wrk


@dataclass
class Options:
    duration: int = 7  # seconds of each closed-loop measurement, in each round
    rounds: int = 3
    open_duration: float = 30.0
    rate: float = 300.0
    warmup: int = 3
    connections: int = 32
    collectibles: int = 100
    big_clues: int = 100_000
    hunters: int = 2000
    pool_max: int = 10
    hot: bool = True  # also c with every scan in flight on one collectible
    loadgen: str = "auto"  # auto, wrk or python
    install: bool = True
    profile_dir: Path | None = None
    keep_db: bool = False
    quiet_wait_s: float = 120.0  # before each measurement, wait this long at most for quiet
    log: Callable[[str], None] = field(default=log_stderr)


class Bench:
    """The load of each phase, with the CPU it cost, against the stack's (re)started server."""

    def __init__(self, opts: Options, stack: Stack) -> None:
        self.opts, self.stack = opts, stack
        self.server = stack.server
        self.results: dict[str, Any] = {"closed": {}, "open": {}, "warmup": {}, "rounds": {}}
        self.non_201: dict[str, dict[str, int]] = {}
        # Measured loads' 503s: admission control shedding while the machine stalls (a
        # checkpoint, other jobs), reported beside the answers; not a broken harness.
        self.shed: dict[str, int] = {}
        self.wrk: Wrk | None = None
        # One plan per order, each with its own hunters: the orders map pair indices to
        # different (hunter, collectible) pairs, so they must not share hunters.
        self.plans: dict[str, seed.ScanPlan] = {}

    def choose_generator(self) -> str | None:
        """wrk when asked for or found (else the Python generator); wrk's path, if used."""
        opts = self.opts
        binary = find_wrk(opts.install) if opts.loadgen in ("auto", "wrk") else None
        if opts.loadgen == "wrk" and binary is None:
            raise RuntimeError("wrk is not installed (apt-get install wrk)")
        if binary is not None:
            self.wrk = Wrk(binary, self.stack.workdir, self.server.port)
        self.results["generator"] = "wrk" if binary else "python"
        return binary

    def write_plan(self, order: str) -> None:
        if self.wrk is not None:
            plan = self.plans[order]
            self.wrk.write_plan(order, plan.tokens, plan.bodies)

    async def add_hunters(self, order: str, hunters: int) -> seed.ScanPlan:
        """`hunters` more hunters in the plan of `order`; a new order's plan scans the spread
        plan's clues with hunters of its own."""
        if order not in self.plans:
            spread = self.plans["spread"]
            self.plans[order] = seed.ScanPlan(spread.hunt_id, spread.keys, spread.bodies)
        plan = self.plans[order]
        await seed.add_hunters(self.stack.db, self.stack.settings, plan, hunters)
        self.write_plan(order)
        return plan

    # --- load -----------------------------------------------------------------------------

    def scan_request(self, order: str, i: int) -> bytes:
        token, body = self.plans[order].request(i, order)
        headers = f"Authorization: Bearer {token}\r\n"
        return loadgen.http_request("POST", "/v1/scans", self.server.port, headers, body)

    async def closed(self, kind: str, seconds: int) -> LoadResult:
        """kind: trivial, insert, or the order of a scan load (spread, hot)."""
        plan = self.plans.get(kind)
        base = plan.next_index if plan else 0
        if self.wrk is not None:
            mode = "scan" if plan else kind
            result = await self.wrk.run(mode, self.opts.connections, seconds, base, kind)
        else:
            port = self.server.port
            fixed = {
                "trivial": loadgen.http_request("GET", "/bench/trivial", port),
                "insert": loadgen.http_request("POST", "/bench/insert", port, body=b'{"n":1}'),
            }.get(kind)
            build = (lambda n: fixed) if fixed else (lambda n: self.scan_request(kind, base + n))
            result = await loadgen.closed_loop(port, build, self.opts.connections, seconds)
        if plan:
            plan.take(result.used)
        return result

    async def open(self) -> LoadResult:
        plan = self.plans["spread"]
        base = plan.next_index
        result = await loadgen.open_loop(
            self.server.port,
            lambda n: self.scan_request("spread", base + n),
            self.opts.rate,
            self.opts.open_duration,
        )
        plan.take(result.used)
        return result

    async def measured(
        self,
        group: str,
        label: str,
        run: Callable[[], Awaitable[LoadResult]],
        expected: int = 201,
    ) -> LoadResult:
        external = self.wrk is not None and group != "open"
        quiet = None
        if group != "warmup":
            # Each measurement starts clean: no phase pays autovacuum for another's writes
            # (b leaves tens of thousands of rows behind), and plans see current statistics.
            await self.stack.db.execute("VACUUM ANALYZE")
        if group != "warmup" and self.opts.quiet_wait_s > 0:
            quiet = await cpu.wait_quiet(self.opts.quiet_wait_s)
            if quiet[1] >= 15:
                self.opts.log(f"  the machine is still {quiet[1]}% busy: measuring anyway")
        before = cpu.snapshot(self.server.pid)
        result = await run()
        after = cpu.snapshot(self.server.pid)
        entry = result.as_dict()
        entry["cpu_us_per_request"] = cpu.usage(before, after, result.completed, external)
        if quiet is not None:
            entry["waited_for_quiet_s"], entry["busy_before_pct"] = quiet
        self.results[group][label] = entry
        wrong = {str(k): v for k, v in result.statuses.items() if k not in {expected, 503}}
        if group != "warmup" and result.statuses.get(503):
            self.shed[f"{group}.{label}"] = result.statuses[503]
        if result.errors:
            wrong["errors"] = result.errors
        if wrong:
            self.non_201[f"{group}.{label}"] = wrong
        self.opts.log(f"  {group} {label}: {json.dumps(entry)}")
        await asyncio.sleep(0.5)  # let requests still in flight drain
        return result

    async def warm_up(self, kind: str, expected: int) -> LoadResult | None:
        if self.opts.warmup <= 0:
            return None
        return await self.measured(
            "warmup", kind, lambda: self.closed(kind, self.opts.warmup), expected
        )

    async def warm(self, order: str, label: str) -> None:
        """Until every hunter's state is cached (a cold hunter costs one extra round trip)."""
        done = 0
        for attempt in range(4 if self.opts.warmup > 0 else 0):
            result = await self.measured(
                "warmup", f"{label}-{attempt}", lambda: self.closed(order, self.opts.warmup)
            )
            done += result.completed
            if done >= len(self.plans[order].tokens):
                break

    async def saturate(self, kind: str, label: str, expected: int) -> LoadResult:
        """One closed-loop measurement; under py-spy when asked (which costs CPU: profile in a
        run of its own, not one whose numbers are kept)."""
        spy = None
        if self.opts.profile_dir is not None and kind in self.plans:
            self.opts.profile_dir.mkdir(parents=True, exist_ok=True)
            binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            out = self.opts.profile_dir / f"{label}.txt"
            spy = await asyncio.create_subprocess_exec(
                binary, "record", "--pid", str(self.server.pid),
                "--duration", str(self.opts.duration), "--rate", "100", "--format", "raw",
                "--output", str(out),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
        try:
            return await self.measured(
                "rounds", label, lambda: self.closed(kind, self.opts.duration), expected
            )
        finally:
            if spy is not None:
                await spy.wait()

    async def rounds(self, loads: list[tuple[str, str, int]]) -> None:
        """Each (kind, label, expected status) once per round, interleaved, so that drift and
        other jobs touch them alike; then each label's rounds combined into `closed`."""
        for r in range(self.opts.rounds):
            for kind, label, expected in loads:
                await self.saturate(kind, f"{label}.r{r}", expected)
        self.combine_rounds([label for _, label, _ in loads])

    def combine_rounds(self, labels: list[str]) -> None:
        for label in labels:
            parts = [self.results["rounds"][f"{label}.r{r}"] for r in range(self.opts.rounds)]
            self.results["closed"][label] = combine(parts)


def combine(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one load as one entry: counts and CPU added up, latencies the rounds' median."""
    completed = sum(p["completed"] for p in parts)
    duration = sum(p["duration_s"] for p in parts)
    statuses: dict[str, int] = {}
    for p in parts:
        for code, n in p["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    cpu_keys = [k for k in parts[0]["cpu_us_per_request"] if k != "busy_pct"]
    cpu_use = {
        k: round(sum(p["cpu_us_per_request"][k] * p["completed"] for p in parts) / completed, 1)
        if completed
        else 0.0
        for k in cpu_keys
    }
    cpu_use["busy_pct"] = round(
        sum(p["cpu_us_per_request"]["busy_pct"] * p["duration_s"] for p in parts) / duration, 1
    )
    return {
        **{k: parts[0][k] for k in ("generator", "mode", "rate_target")},
        "duration_s": round(duration, 3),
        "sent": sum(p["sent"] for p in parts),
        "completed": completed,
        "statuses": statuses,
        "errors": sum(p["errors"] for p in parts),
        "latency_ms": {
            k: statistics.median(p["latency_ms"][k] for p in parts) for k in parts[0]["latency_ms"]
        },
        "rate": round(completed / duration, 1),
        "cpu_us_per_request": cpu_use,
        "rounds": len(parts),
    }
