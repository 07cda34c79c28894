"""The live-push benchmark's phases on one scratch stack of two server processes: the hunt
seeded, the servers started, the clients connected, warm-up scans, then the measured scans and
every client's receipts."""

from __future__ import annotations

import os
import time
from typing import Any

from bench import seed
from bench.live.clients import ClientProcesses
from bench.live.measure import cpu_seconds, measure
from bench.live.options import LiveOptions
from bench.live.scans import scan_load
from bench.scratch import Stack, scratch_stack
from server.http.auth import Role, TokenIssuer


async def run(opts: LiveOptions) -> dict[str, Any]:
    async with scratch_stack("live", servers=opts.servers, keep=opts.keep_db, log=print) as stack:
        results: dict[str, Any] = {"services": await stack.service_facts()}
        plan = await seed.seed_hunt(stack.db, stack.settings, opts.collectibles)
        slug = await stack.db.fetchval("SELECT slug FROM hunts WHERE id = $1", plan.hunt_id)
        scans = int(opts.rate * (opts.warmup + opts.duration))
        hunters = -(-scans // opts.collectibles) + 1
        await seed.add_hunters(stack.db, stack.settings, plan, hunters)
        await stack.start()
        token, _ = TokenIssuer(stack.settings.jwt_key).issue(Role.SCREEN, "bench", 6 * 3600, slug)
        path = f"/v1/hunts/{slug}/live?token={token}"
        print(f"connecting {opts.clients} WebSocket clients to {opts.servers} servers")
        started = time.perf_counter()
        clients = ClientProcesses(stack.ports, path, opts.clients, opts.client_processes)
        try:
            await clients.ready()
            results["connect_s"] = round(time.perf_counter() - started, 2)
            results.update(await scans_and_receipts(opts, stack, plan, clients))
        finally:
            await clients.stop()
    return results


async def scans_and_receipts(
    opts: LiveOptions, stack: Stack, plan: seed.ScanPlan, clients: ClientProcesses
) -> dict[str, Any]:
    ports = stack.ports
    if opts.warmup > 0:
        print(f"warm-up: {opts.rate:g} scans/s for {opts.warmup:g} s")
        start = plan.take(int(opts.rate * opts.warmup))
        warm = await scan_load(ports, plan, start, opts.rate, opts.warmup, opts.connections)
        await clients.ask("mark")  # then wait for the warm-up's finds to arrive everywhere
        await clients.ask("collect", list(warm.accepted))
    first = plan.take(int(opts.rate * opts.duration))
    await clients.ask("mark")
    print(f"measuring: {opts.rate:g} scans/s for {opts.duration:g} s")
    server_pids = [server.pid for server in stack.servers]
    cpu_before, wall_before = cpu_seconds(server_pids, clients.pids), time.perf_counter()
    log = await scan_load(ports, plan, first, opts.rate, opts.duration, opts.connections)
    cpu_after = cpu_seconds(server_pids, clients.pids)
    wall = time.perf_counter() - wall_before
    reports = await clients.ask("collect", list(log.accepted))
    results = measure(reports, log)
    results["drain_s"] = round(max(r["drain_s"] for r in reports), 2)
    results["cpu_pct"] = {
        k: round(100 * (cpu_after[k] - cpu_before[k]) / wall, 1) for k in cpu_after
    }
    results["machine_cpus"] = os.cpu_count()
    return results
