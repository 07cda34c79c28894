"""The scan-path benchmark's phases, in order, against one server process (restarted once, to
load the 100,000-clue catalog):

1. warm-ups (not reported; enough scans that every hunter's state is cached);
2. closed-loop saturation of (a) GET /bench/trivial, (b) POST /bench/insert, (c) POST /v1/scans:
   same connections, same duration, in interleaved rounds (a b c a b c ...);
3. open loop: c at a steady rate (default 300/s), latency from each request's due time;
4. c again with every scan in flight on one collectible (the hot spot);
5. the server stops, the hunt gets its extra clues in bulk, the server starts again (its catalog
   now holds them all), and c is measured again, closed and open.
"""

from __future__ import annotations

import math
from typing import Any

from bench import cpu, seed
from bench.loads import Bench, Options
from bench.scratch import scratch_stack

UNKNOWN_B_RATE = 10_000.0  # without a warm-up to measure it: more than this machine does


def hunter_count(opts: Options, b_rate: float, closed_runs: int, open_runs: int) -> int:
    """Enough (hunter, collectible) pairs for the scan loads of one plan, with c's rate taken
    as 1.5 times b's at most (a scan does an INSERT and more)."""
    closed_s = closed_runs * (opts.rounds * opts.duration + 4 * opts.warmup + 2)
    need = closed_s * b_rate * 1.5 + open_runs * opts.rate * opts.open_duration
    return max(opts.hunters if open_runs else 200, math.ceil(need / opts.collectibles))


async def run(opts: Options) -> dict[str, Any]:
    env = {"GEOHUNT_DB_POOL_MAX": str(opts.pool_max)}
    async with scratch_stack("scan", env=env, keep=opts.keep_db, log=opts.log) as stack:
        bench = Bench(opts, stack)
        results = bench.results
        results["services"] = await stack.service_facts()
        results["background_busy_pct"] = await cpu.background_busy_pct(1.0)
        if results["background_busy_pct"] > 10:
            opts.log(f"warning: the machine is already {results['background_busy_pct']}% busy")
        bench.choose_generator()
        opts.log(f"seeding {opts.collectibles} collectibles and clues in {stack.name}")
        plan = await seed.seed_hunt(stack.db, stack.settings, opts.collectibles)
        bench.plans["spread"] = plan
        results["server_start_s"] = round(await stack.start(), 2)
        await small_hunt(bench)
        await large_hunt(bench)
        results["hunters"] = len(plan.tokens)
        results["hot_hunters"] = len(bench.plans["hot"].tokens) if opts.hot else 0
        results["pairs_used"] = plan.next_index
        results["pairs"] = plan.capacity
        results["finds"] = await stack.db.fetchval("SELECT count(*) FROM finds")
        results["non_201"] = bench.non_201
        results["shed"] = bench.shed
        return results


async def small_hunt(bench: Bench) -> None:
    """a, b and c closed, c open, then c on the hot spot: the hunt of `collectibles` clues."""
    opts = bench.opts
    opts.log(f"phase 1: a, b, c closed loop; c open loop (hunt of {opts.collectibles} clues)")
    await bench.warm_up("trivial", 200)
    warm_b = await bench.warm_up("insert", 201)
    b_rate = warm_b.rate() if warm_b is not None else UNKNOWN_B_RATE
    hunters = hunter_count(opts, b_rate, closed_runs=2, open_runs=2)
    plan = await bench.add_hunters("spread", hunters)
    opts.log(f"  {hunters} hunters: {plan.capacity} distinct (hunter, collectible) pairs")
    await bench.warm("spread", "scan")
    await bench.rounds(
        [("trivial", "trivial", 200), ("insert", "insert", 201), ("spread", "scan", 201)]
    )
    await bench.measured("open", "scan", bench.open)
    if opts.hot:
        await bench.add_hunters("hot", hunter_count(opts, b_rate, 1, 0))
        await bench.warm("hot", "scan_hot")
        await bench.rounds([("hot", "scan_hot", 201)])


async def large_hunt(bench: Bench) -> None:
    """The extra clues imported in bulk, the server restarted to load them, c again."""
    opts, results, server, db = bench.opts, bench.results, bench.server, bench.stack.db
    plan = bench.plans["spread"]
    extra = opts.big_clues - opts.collectibles
    opts.log(f"phase 2: {extra} more clues, server restarted, c again")
    await server.stop()
    results["import_s"] = round(await seed.import_extra_clues(db, plan, extra), 2)
    results["clues_big"] = await db.fetchval(
        "SELECT count(*) FROM clues WHERE hunt_id = $1", plan.hunt_id
    )
    results["catalog_start_s"] = round(await server.start(), 2)
    await bench.warm("spread", "scan_big")
    await bench.rounds([("spread", "scan_big", 201)])
    await bench.measured("open", "scan_big", bench.open)
