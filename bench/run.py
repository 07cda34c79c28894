"""The benchmark's phases, in order, against one server process (restarted once, to load the
100,000-clue catalog):

1. warm-ups (not reported; enough scans that every hunter's state is cached);
2. closed-loop saturation of (a) GET /bench/trivial, (b) POST /bench/insert, (c) POST /v1/scans:
   same connections, same duration, in interleaved rounds (a b c a b c ...);
3. open loop: c at a steady rate (default 300/s), latency from each request's due time;
4. c again with every scan in flight on one collectible (the hot spot);
5. the server stops, the hunt gets its extra clues in bulk, the server starts again (its catalog
   now holds them all), and c is measured again, closed and open.

Every measurement starts after `VACUUM ANALYZE` and, if other jobs keep the machine busy, a
bounded wait for them to stop; each records the CPU that every party spent on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from redis.asyncio import Redis

from bench import cpu, loadgen, seed
from bench.loadgen import LoadResult
from bench.wrk import Wrk, find_wrk
from infra.db import init_connection
from infra.embedded import resolve_service_urls
from infra.migrate import drop_database
from infra.settings import Settings

READY_TIMEOUT_S = 300.0
# `bench` is not installed with the package: its modules run from the checkout.
REPOSITORY = Path(__file__).resolve().parents[1]
UNKNOWN_B_RATE = 10_000.0  # without a warm-up to measure it: more than this machine does


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
    log: Callable[[str], None] = field(default=lambda text: print(text, file=sys.stderr))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    def __init__(self, env: dict[str, str], port: int, log_path: Path) -> None:
        self.env, self.port, self.log_path = env, port, log_path
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self) -> float:
        """Start and wait until it answers; the seconds that took."""
        started = time.perf_counter()
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.server", "--port", str(self.port),
                env=self.env, stdout=log, stderr=log, cwd=REPOSITORY,
            )  # fmt: skip
        while time.perf_counter() - started < READY_TIMEOUT_S:
            if self.proc.returncode is not None:
                break
            with contextlib.suppress(OSError, asyncio.IncompleteReadError, ValueError):
                if await loadgen.get_status(self.port, "/bench/trivial") == 200:
                    return time.perf_counter() - started
            await asyncio.sleep(0.1)
        tail = self.log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the benchmark server did not start:\n{tail}")

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            # Bounded: a server whose shutdown hangs must not stall the benchmark.
            await asyncio.wait_for(self.proc.wait(), 5)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


class Bench:
    """The load of each phase, with the CPU it cost, against one (re)started server."""

    def __init__(self, opts: Options, workdir: Path) -> None:
        self.opts, self.workdir = opts, workdir
        self.results: dict[str, Any] = {"closed": {}, "open": {}, "warmup": {}, "rounds": {}}
        self.non_201: dict[str, dict[str, int]] = {}
        self.wrk: Wrk | None = None
        self.server: ServerProcess
        self.conn: asyncpg.Connection  # to the benchmark's database
        # One plan per order, each with its own hunters: the orders map pair indices to
        # different (hunter, collectible) pairs, so they must not share hunters.
        self.plans: dict[str, seed.ScanPlan] = {}

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
            await self.conn.execute("VACUUM ANALYZE")
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
        wrong = {str(k): v for k, v in result.statuses.items() if k != expected}
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
        for _, label, _ in loads:
            parts = [self.results["rounds"][f"{label}.r{r}"] for r in range(self.opts.rounds)]
            self.results["closed"][label] = combine(parts)

    async def add_plan(
        self, conn: asyncpg.Connection, settings: Settings, order: str, hunters: int
    ) -> None:
        spread = self.plans.get("spread")
        plan = self.plans[order] = seed.ScanPlan(spread.hunt_id, spread.keys, spread.bodies)
        await seed.add_hunters(conn, settings, plan, hunters)
        if self.wrk is not None:
            self.wrk.write_plan(order, plan.tokens, plan.bodies)


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


def _hunter_count(opts: Options, b_rate: float, closed_runs: int, open_runs: int) -> int:
    """Enough (hunter, collectible) pairs for the scan loads of one plan, with c's rate taken
    as 1.5 times b's at most (a scan does an INSERT and more)."""
    closed_s = closed_runs * (opts.rounds * opts.duration + 4 * opts.warmup + 2)
    need = closed_s * b_rate * 1.5 + open_runs * opts.rate * opts.open_duration
    return max(opts.hunters if open_runs else 200, math.ceil(need / opts.collectibles))


async def _service_facts(conn: asyncpg.Connection, redis: Redis) -> dict[str, str]:
    facts = {"postgresql": await conn.fetchval("SHOW server_version")}
    for name in ("synchronous_commit", "fsync", "shared_buffers"):
        facts[name] = await conn.fetchval(f"SHOW {name}")
    info = await redis.info("server")
    facts["redis"] = str(info.get("redis_version"))
    return facts


async def run(opts: Options) -> dict[str, Any]:
    log = opts.log
    base_env = {**os.environ, "GEOHUNT_SECRET": secrets.token_urlsafe(36)}
    base_env.pop("GEOHUNT_DEV", None)
    admin = await asyncio.to_thread(resolve_service_urls, Settings.from_env(base_env))
    assert admin.database_url and admin.redis_url
    db_name, db_url = await seed.create_database(admin.database_url)
    port = free_port()
    prefix = f"geohunt-bench-{db_name.rsplit('_', 1)[1]}:"
    env = {
        **base_env,
        "DATABASE_URL": db_url,
        "REDIS_URL": admin.redis_url,
        "GEOHUNT_REDIS_PREFIX": prefix,
        "GEOHUNT_DB_POOL_MAX": str(opts.pool_max),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    settings = Settings.from_env(env)
    workdir = Path(tempfile.mkdtemp(prefix="geohunt-bench-"))
    bench = Bench(opts, workdir)
    bench.server = ServerProcess(env, port, workdir / "server.log")
    bench.conn = conn = await asyncpg.connect(db_url)
    redis = Redis.from_url(admin.redis_url)
    await init_connection(conn)
    results = bench.results
    try:
        results["services"] = await _service_facts(conn, redis)
        results["background_busy_pct"] = await cpu.background_busy_pct(1.0)
        if results["background_busy_pct"] > 10:
            log(f"warning: the machine is already {results['background_busy_pct']}% busy")
        binary = find_wrk(opts.install) if opts.loadgen in ("auto", "wrk") else None
        if opts.loadgen == "wrk" and binary is None:
            raise RuntimeError("wrk is not installed (apt-get install wrk)")
        if binary is not None:
            bench.wrk = Wrk(binary, workdir, port)
        results["generator"] = "wrk" if bench.wrk else "python"
        log(f"seeding {opts.collectibles} collectibles and clues in {db_name}")
        plan = await seed.seed_hunt(conn, settings, opts.collectibles)
        bench.plans["spread"] = plan
        results["server_start_s"] = round(await bench.server.start(), 2)

        log(f"phase 1: a, b, c closed loop; c open loop (hunt of {opts.collectibles} clues)")
        await bench.warm_up("trivial", 200)
        warm_b = await bench.warm_up("insert", 201)
        b_rate = warm_b.rate() if warm_b is not None else UNKNOWN_B_RATE
        hunters = _hunter_count(opts, b_rate, closed_runs=2, open_runs=2)
        await seed.add_hunters(conn, settings, plan, hunters)
        if bench.wrk is not None:
            bench.wrk.write_plan("spread", plan.tokens, plan.bodies)
        log(f"  {hunters} hunters: {plan.capacity} distinct (hunter, collectible) pairs")
        await bench.warm("spread", "scan")
        await bench.rounds(
            [("trivial", "trivial", 200), ("insert", "insert", 201), ("spread", "scan", 201)]
        )
        await bench.measured("open", "scan", bench.open)
        if opts.hot:
            await bench.add_plan(conn, settings, "hot", _hunter_count(opts, b_rate, 1, 0))
            await bench.warm("hot", "scan_hot")
            await bench.rounds([("hot", "scan_hot", 201)])

        extra = opts.big_clues - opts.collectibles
        log(f"phase 2: {extra} more clues, server restarted, c again")
        await bench.server.stop()
        results["import_s"] = round(await seed.import_extra_clues(conn, plan, extra), 2)
        results["clues_big"] = await conn.fetchval(
            "SELECT count(*) FROM clues WHERE hunt_id = $1", plan.hunt_id
        )
        results["catalog_start_s"] = round(await bench.server.start(), 2)
        await bench.warm("spread", "scan_big")
        await bench.rounds([("spread", "scan_big", 201)])
        await bench.measured("open", "scan_big", bench.open)
        results["hunters"] = len(plan.tokens)
        results["hot_hunters"] = len(bench.plans["hot"].tokens) if opts.hot else 0
        results["pairs_used"] = plan.next_index
        results["pairs"] = plan.capacity
        results["finds"] = await conn.fetchval("SELECT count(*) FROM finds")
        results["non_201"] = bench.non_201
        return results
    finally:
        await bench.server.stop()
        await conn.close()
        with contextlib.suppress(Exception):
            keys = [k async for k in redis.scan_iter(match=prefix + "*", count=1000)]
            if keys:
                await redis.delete(*keys)
        await redis.aclose()
        if opts.keep_db:
            log(f"kept database {db_name}; server log {workdir / 'server.log'}")
        else:
            await drop_database(admin.database_url, db_name)
            shutil.rmtree(workdir, ignore_errors=True)
