"""The workers benchmark's phases: servers on one scratch stack, `--workers 1` and `--workers 2`
on one Redis and, with a Redis Cluster started for the run, the same two on the cluster, all up
for the whole run; warm-ups, then closed loops of the trivial endpoint (one Redis only: it
touches no Redis) and of scans against each in interleaved rounds (the servers' order reversed
every other round)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import statistics
from dataclasses import dataclass
from typing import Any

from bench import cpu, seed
from bench.scratch import Stack, log_stderr, scratch_stack
from bench.storm.load import Load, Target, run_phase
from bench.storm.run import wait_workers
from bench.storm.watch import OUR_POSTGRES_SQL, CpuMark, postgres_s
from bench.wrk import Wrk, find_wrk
from infra import local_redis_cluster

KINDS = ("trivial", "scan")
EXPECTED = {"trivial": 200, "scan": 201}
REDIS = {"one": ("one",), "cluster": ("cluster",), "both": ("one", "cluster")}


@dataclass(frozen=True)
class Server:
    """One of the stack's servers: its index there, its Redis and its processes."""

    index: int
    redis: str  # "one" or "cluster"
    workers: int

    def label(self, kind: str) -> str:
        """The load's key in the results: `scan.w2` on one Redis, `scan.cluster.w2` on the
        cluster (the keys of one Redis are those of the runs before clusters)."""
        middle = "" if self.redis == "one" else "cluster."
        return f"{kind}.{middle}w{self.workers}"


@dataclass
class Options:
    duration: int = 7  # seconds of each closed loop, in each round
    rounds: int = 3
    warmup: int = 3
    connections: int = 32
    collectibles: int = 100
    loadgen: str = "auto"  # auto, wrk or python
    install: bool = True
    quiet_wait: float = 60.0
    redis: str = "both"  # one, cluster or both


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Pair:
    """The two servers and the client that loads either."""

    def __init__(self, opts: Options, stack: Stack, plan: seed.ScanPlan, binary: str | None):
        self.opts, self.stack, self.plan = opts, stack, plan
        self.wrk = {s.port: Wrk(binary, stack.workdir, s.port) for s in stack.servers if binary}
        self.plan_path = stack.workdir / "plan.json"
        self.write_plan()

    def write_plan(self) -> None:
        bodies = [b.decode() for b in self.plan.bodies]
        self.plan_path.write_text(json.dumps({"tokens": self.plan.tokens, "bodies": bodies}))
        for wrk in self.wrk.values():
            wrk.write_plan("spread", self.plan.tokens, self.plan.bodies)

    async def postgres_pids(self) -> set[int]:
        return {r["pid"] for r in await self.stack.db.fetch(OUR_POSTGRES_SQL)}

    async def closed(self, server: int, kind: str, seconds: int) -> dict[str, Any]:
        """One closed loop of `kind` against the stack's server number `server`."""
        proc = self.stack.servers[server]
        base = self.plan.next_index
        before, children = CpuMark.take(proc.pid), _children_cpu()
        entry: dict[str, Any]
        if self.wrk:
            mode = "scan" if kind == "scan" else "trivial"
            r = await self.wrk[proc.port].run(mode, self.opts.connections, seconds, base)
            after = CpuMark.take(proc.pid)
            entry = {
                "duration_s": r.duration_s,
                "statuses": {str(k): v for k, v in r.statuses.items()},
                "errors": r.errors,
                "latency_ms": r.latencies_ms,
                "used": r.used,
                "loadgen_s": _children_cpu() - children,
            }
        else:
            target = Target(
                proc.port,
                proc.pid,
                self.plan_path,
                self.stack.workdir,
                2,
                10.0,
                1.0,
                1,
                self.stack.db,
            )
            load = Load(kind, "closed", seconds, connections=self.opts.connections, request=kind)
            r2 = await run_phase(target, load, base)
            after = CpuMark.take(proc.pid)
            entry = {
                "duration_s": r2["duration_s"],
                "statuses": r2["statuses"],
                "errors": len(r2["errors"]) + len(r2["abandoned"]),
                "latency_ms": r2["latency_ms"][str(EXPECTED[kind])],
                "used": r2["used"] if kind == "scan" else 0,
                "loadgen_s": r2["loadgen_cpu_s"],
            }
        if kind == "scan":
            self.plan.take(int(entry["used"]))
        entry["cpu_s"] = {
            "server": after.server - before.server,
            "postgres": postgres_s(before, after, await self.postgres_pids()),
            "redis": cpu._delta(before.redis, after.redis),
            "loadgen": entry.pop("loadgen_s"),
            "machine": after.machine - before.machine,
            "wall": after.wall - before.wall,
        }
        return entry


def combine(parts: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """Rounds of one load as one: counts and CPU added up, latencies the rounds' median."""
    expected = str(EXPECTED[kind])
    duration = sum(p["duration_s"] for p in parts)
    statuses: dict[str, int] = {}
    for p in parts:
        for code, n in p["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    good = statuses.get(expected, 0)
    cpu_us = {
        k: round(sum(p["cpu_s"][k] for p in parts) / good * 1e6, 1) if good else 0.0
        for k in ("server", "postgres", "redis", "loadgen")
    }
    wall = sum(p["cpu_s"]["wall"] for p in parts)
    busy = sum(p["cpu_s"]["machine"] for p in parts) / (wall * (os.cpu_count() or 1))
    return {
        "rate": round(good / duration, 1) if duration else 0.0,
        "statuses": dict(sorted(statuses.items())),
        "errors": sum(p["errors"] for p in parts),
        "latency_ms": {
            k: statistics.median(p["latency_ms"][k] for p in parts)
            for k in ("p50", "p99")
            if all(k in p["latency_ms"] for p in parts)
        },
        "rounds": [round(p["statuses"].get(expected, 0) / p["duration_s"], 1) for p in parts],
        "cpu_us": cpu_us,
        "busy_pct": round(busy * 100, 1),
        "duration_s": round(duration, 2),
    }


def servers_of(opts: Options) -> list[Server]:
    backends = REDIS[opts.redis]
    return [
        Server(i, redis, workers)
        for i, (redis, workers) in enumerate((r, w) for r in backends for w in (1, 2))
    ]


def loads_of(servers: list[Server]) -> list[tuple[str, list[Server]]]:
    """Which servers each kind of load runs against: the trivial endpoint touches no Redis, so
    the servers of one Redis (or the cluster's when there is no other) suffice."""
    first = servers[0].redis
    return [("trivial", [s for s in servers if s.redis == first]), ("scan", servers)]


async def run(opts: Options) -> dict[str, Any]:
    servers = servers_of(opts)
    with contextlib.ExitStack() as started:
        cluster = None
        if "cluster" in REDIS[opts.redis]:
            log_stderr("starting a Redis Cluster of three primaries and three replicas")
            cluster = started.enter_context(local_redis_cluster.redis_cluster())
        return await _run(opts, servers, cluster)


async def _run(
    opts: Options, servers: list[Server], cluster: local_redis_cluster.RedisCluster | None
) -> dict[str, Any]:
    async with scratch_stack("workers", servers=len(servers)) as stack:
        results: dict[str, Any] = {
            "options": dict(vars(opts)),
            "services": await stack.service_facts(),
            "db_pool_max": stack.settings.db_pool_max,
        }
        if cluster is not None:
            results["services"]["redis_cluster"] = await asyncio.to_thread(_cluster_facts, cluster)
        binary = find_wrk(opts.install) if opts.loadgen in ("auto", "wrk") else None
        if opts.loadgen == "wrk" and binary is None:
            raise RuntimeError("wrk is not installed (apt-get install wrk)")
        results["generator"] = "wrk" if binary else "python"
        plan = await seed.seed_hunt(stack.db, stack.settings, opts.collectibles)
        # Pairs for every scan load at a rate above what this machine does.
        scan_s = len(servers) * (opts.rounds * opts.duration + 2 * opts.warmup)
        await seed.add_hunters(
            stack.db, stack.settings, plan, -(-scan_s * 6000 // opts.collectibles)
        )
        for server in servers:
            process = stack.servers[server.index]
            process.args = ["--workers", str(server.workers)]
            if server.redis == "cluster":
                assert cluster is not None
                process.env = {**process.env, "REDIS_CLUSTER_NODES": cluster.env_value}
            await process.start()
            await wait_workers(process.pid, process.port, server.workers)
        pair = Pair(opts, stack, plan, binary)
        loads = loads_of(servers)
        if opts.warmup > 0:  # a quick run, which tests the harness only, has none
            log_stderr("warm-ups (not reported)")
            for kind, targets in loads:
                for server in targets:
                    for _ in range(2 if kind == "scan" else 1):
                        await pair.closed(server.index, kind, opts.warmup)
        raw: dict[str, list[dict[str, Any]]] = {
            s.label(k): [] for k, targets in loads for s in targets
        }
        for r in range(opts.rounds):
            for kind, targets in loads:
                for server in targets if r % 2 == 0 else targets[::-1]:
                    await stack.db.execute("VACUUM ANALYZE")
                    if opts.quiet_wait > 0:
                        await cpu.wait_quiet(opts.quiet_wait)
                    entry = await pair.closed(server.index, kind, opts.duration)
                    label = server.label(kind)
                    log_stderr(f"  round {r} {label}: {json.dumps(entry)}")
                    raw[label].append(entry)
        results["loads"] = {
            label: combine(parts, label.split(".")[0]) for label, parts in raw.items()
        }
        results["hunters"] = len(plan.tokens)
        return results


def _cluster_facts(cluster: local_redis_cluster.RedisCluster) -> str:
    version = cluster.nodes[0].info("server")["redis_version"]
    return f"{version}, {len(cluster.primaries())} primaries with a replica each, on loopback"
