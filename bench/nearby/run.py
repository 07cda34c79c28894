"""The AR hints benchmark's phases on one scratch stack: the hunt seeded, the server started,
sample answers read, then the closed loops in rounds and the open loops."""

from __future__ import annotations

import math
from typing import Any

from bench import cpu, seed
from bench.loads import Bench, Options
from bench.nearby.hints import add_ar_clues, sample_answers
from bench.nearby.load import NearbyBench
from bench.nearby.options import NearbyOptions
from bench.scratch import scratch_stack

# Enough pairs for the scans whatever this machine does: a scan is never faster than this.
MAX_SCAN_RPS = 4000.0


def scan_hunters(opts: NearbyOptions) -> int:
    closed_s = opts.rounds * opts.duration + 4 * opts.warmup + 2
    need = closed_s * MAX_SCAN_RPS + opts.rate * opts.open_duration
    return max(opts.hunters, math.ceil(need / opts.collectibles))


def bench_options(opts: NearbyOptions) -> Options:
    """The options of the scan loads, which run alongside."""
    return Options(
        duration=opts.duration,
        rounds=opts.rounds,
        open_duration=opts.open_duration,
        rate=opts.rate,
        warmup=opts.warmup,
        connections=opts.connections,
        collectibles=opts.collectibles,
        pool_max=opts.pool_max,
        loadgen=opts.loadgen,
        install=opts.install,
        keep_db=opts.keep_db,
        quiet_wait_s=opts.quiet_wait_s,
    )


async def run(opts: NearbyOptions) -> dict[str, Any]:
    scan_opts = bench_options(opts)
    log = scan_opts.log
    env = {"GEOHUNT_DB_POOL_MAX": str(opts.pool_max)}
    async with scratch_stack("nearby", env=env, keep=opts.keep_db, log=log) as stack:
        bench = Bench(scan_opts, stack)
        results, db = bench.results, stack.db
        results["services"] = await stack.service_facts()
        results["background_busy_pct"] = await cpu.background_busy_pct(1.0)
        log(f"seeding a hunt of {opts.clues:,} clues in {stack.name}")
        plan = bench.plans["spread"] = await seed.seed_hunt(db, stack.settings, opts.collectibles)
        await add_ar_clues(db, plan, opts.ar_clues)
        extra = opts.clues - opts.collectibles - opts.ar_clues
        results["import_s"] = round(await seed.import_extra_clues(db, plan, extra), 2)
        results["clues"] = await db.fetchval(
            "SELECT count(*) FROM clues WHERE hunt_id = $1", plan.hunt_id
        )
        slug = await db.fetchval("SELECT slug FROM hunts WHERE id = $1", plan.hunt_id)
        await bench.add_hunters("spread", scan_hunters(opts))
        results["hunters"] = len(plan.tokens)
        results["server_start_s"] = round(await stack.start(), 2)
        nearby = NearbyBench(opts, bench, slug)
        binary = bench.choose_generator()
        if binary is not None:
            bench.write_plan("spread")
            nearby.use_wrk(binary)
        sample = nearby.paths["nearby"][:40]
        results["answers"] = await sample_answers(stack.server.port, plan.tokens[0], sample)
        every = nearby.paths["nearby_all"][:40]
        results["answers_all"] = await sample_answers(stack.server.port, plan.tokens[0], every)

        log("closed loops: nearby, scans, nearby with every hint, interleaved")
        if opts.warmup > 0:
            await nearby.measure("warmup", "nearby", opts.warmup, "nearby")
        await bench.warm("spread", "scan")
        for r in range(opts.rounds):
            await nearby.measure("rounds", f"nearby.r{r}", opts.duration, "nearby")
            await bench.saturate("spread", f"scan.r{r}", 201)
            await nearby.measure("rounds", f"nearby_all.r{r}", opts.duration, "nearby_all")
        bench.combine_rounds(["nearby", "scan", "nearby_all"])

        log(f"open loops at {opts.rate:g}/s: nearby, scans")
        await bench.measured("open", "nearby", nearby.open, 200)
        await bench.measured("open", "scan", bench.open)
        results["unexpected"] = bench.non_201
        return results
