"""`python -m bench.nearby`: the AR hints benchmark; writes its section of BENCHMARKS.md.

One run, one fresh database, one server process, one hunt of 100,000 clues: the scan-path
benchmark's cluster of billboards around Times Square (seed.py), AR clues among them, and the
rest spread over New York. Hunters ask for hints where the billboards stand, the densest spot of
the hunt, and scan them there:

1. warm-ups (not reported);
2. closed-loop saturation, interleaved in rounds: (n) `GET /nearby` as the app calls it (the
   nearest `limit` hints, default 50), (c) `POST /v1/scans`, and (n_all) `GET /nearby` with
   `limit=1000`, every clue within the hint radius;
3. open loop at a steady rate: n, then c, latency from each request's due time.

Targets (issue 7): n's p99 under 20 ms at the steady rate, and n at least as many requests per
second as c in the same run. Exit status 1 when an answer was not the expected 200 / 201 (the
harness is broken, not the numbers); missed targets are reported, not failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import secrets
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from redis.asyncio import Redis

from bench import cpu, loadgen, report, seed
from bench.__main__ import command_line
from bench.loadgen import LoadResult
from bench.run import Bench, Options, ServerProcess, combine, free_port
from bench.wrk import Wrk, find_wrk
from infra.db import init_connection
from infra.embedded import resolve_service_urls
from infra.migrate import drop_database
from infra.settings import Settings
from server.ar.schemas import NearbyQuery
from server.clues.importer import import_features

BEGIN = "<!-- bench:nearby:begin -->"
END = "<!-- bench:nearby:end -->"
MAX_P99_MS = 20.0
MIN_NEARBY_OVER_SCAN = 1.0
FULL_LIMIT = 1000
# Enough pairs for the scans whatever this machine does: a scan is never faster than this.
MAX_SCAN_RPS = 4000.0

QUICK = {
    "duration": 2,
    "rounds": 1,
    "open_duration": 3.0,
    "warmup": 1,
    "clues": 10_000,
    "rate": 100.0,
}

SCRIPT = r"""
local threads, count = {}, 0
statuses, j = {}, 0
local tokens, paths = {}, {}
local stride = 1

function setup(thread)
  thread:set("tid", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  stride = tonumber(os.getenv("BENCH_THREADS"))
  for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = "Bearer " .. line end
  for line in io.lines(os.getenv("BENCH_BODIES")) do paths[#paths + 1] = line end
end

function request()
  local i = tid + stride * j
  j = j + 1
  return wrk.format("GET", paths[i % #paths + 1], {["Authorization"] = tokens[i % #tokens + 1]})
end

function response(status, hdrs, body)
  statuses[status] = (statuses[status] or 0) + 1
end
"""


@dataclass
class NearbyOptions:
    duration: int = 7
    rounds: int = 3
    open_duration: float = 30.0
    rate: float = 300.0
    warmup: int = 3
    connections: int = 32
    collectibles: int = 100  # billboards in the cluster, each its own collectible
    ar_clues: int = 20  # AR clues among them: a few within any reveal radius
    clues: int = 100_000  # in the whole hunt
    hunters: int = 2000
    pool_max: int = 10
    loadgen: str = "auto"
    install: bool = True
    keep_db: bool = False
    quiet_wait_s: float = 120.0


class NearbyWrk(Wrk):
    """wrk with a script of GETs: path i % P with token i % H (the script's `done` is the
    scan benchmark's, so the answer is read the same way)."""

    def __init__(self, binary: str, workdir: Path, port: int, threads: int = 1) -> None:
        super().__init__(binary, workdir, port, threads)
        done = self.script.read_text().partition("function done")[2]
        self.script = workdir / "nearby.lua"
        self.script.write_text(SCRIPT + "\nfunction done" + done)


def ar_feature(key: str, label: str, lat: float, lon: float) -> dict[str, object]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "kind": "ar",
            "collectible": key,
            "label": label,
            "radius_m": 30,
            "ar": {"asset_url": "https://img.example/robot.glb"},
        },
    }


async def add_ar_clues(conn: asyncpg.Connection, plan: seed.ScanPlan, count: int) -> None:
    """AR clues among the billboards (the sunflower spiral again, turned half a step)."""
    features = []
    for k in range(count):
        lat, lon = seed.cluster_point(k, count)
        lat, lon = round(lat + 0.0002, 7), round(lon + 0.0002, 7)
        features.append(ar_feature(plan.keys[k % len(plan.keys)], f"ar {k}", lat, lon))
    result = await import_features(conn, plan.hunt_id, seed.ORGANISER, features)
    assert not result["failed"], result["failed"][:3]


def nearby_paths(slug: str, count: int, limit: int | None = None) -> list[str]:
    """One path per billboard: a hunter standing at it asks for hints."""
    extra = "" if limit is None else f"&limit={limit}"
    return [
        f"/v1/hunts/{slug}/nearby?lat={lat}&lon={lon}&accuracy_m=10{extra}"
        for lat, lon in (seed.cluster_point(k, count) for k in range(count))
    ]


async def sample_answers(port: int, token: str, paths: list[str]) -> dict[str, float]:
    """What the answers carry: hints, reveals, tickets, and how often `limit` cut them."""
    counts: dict[str, list[int]] = {"hints": [], "revealed": [], "tickets": [], "truncated": []}
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
        for path in paths:
            async with session.get(path, headers=headers) as response:
                if response.status != 200:
                    raise RuntimeError(f"{path}: {response.status} {await response.text()}")
                body = await response.json()
            hints = body["hints"]
            counts["hints"].append(len(hints))
            counts["revealed"].append(sum("location" in h for h in hints))
            counts["tickets"].append(sum("ticket" in h for h in hints))
            counts["truncated"].append(int(body["truncated"]))
    return {k: round(statistics.mean(v), 1) for k, v in counts.items()}


class NearbyBench:
    def __init__(self, opts: NearbyOptions, bench: Bench, slug: str) -> None:
        self.opts, self.bench = opts, bench
        self.paths = {
            "nearby": nearby_paths(slug, opts.collectibles),
            "nearby_all": nearby_paths(slug, opts.collectibles, FULL_LIMIT),
        }
        self.wrk: NearbyWrk | None = None

    @property
    def tokens(self) -> list[str]:
        return self.bench.plans["spread"].tokens

    def use_wrk(self, binary: str, workdir: Path, port: int) -> None:
        self.wrk = NearbyWrk(binary, workdir, port)
        for kind, paths in self.paths.items():
            self.wrk.write_plan(kind, self.tokens, [p.encode() for p in paths])

    def builder(self, kind: str) -> Callable[[int], bytes]:
        paths, tokens, port = self.paths[kind], self.tokens, self.bench.server.port
        requests = [
            loadgen.http_request("GET", path, port, f"Authorization: Bearer {tokens[i]}\r\n")
            for i, path in enumerate(paths)
        ]
        return lambda n: requests[n % len(requests)]

    async def closed(self, kind: str, seconds: int) -> LoadResult:
        if self.wrk is not None:
            return await self.wrk.run(kind, self.opts.connections, seconds, 0, kind)
        port = self.bench.server.port
        return await loadgen.closed_loop(port, self.builder(kind), self.opts.connections, seconds)

    async def open(self) -> LoadResult:
        return await loadgen.open_loop(
            self.bench.server.port, self.builder("nearby"), self.opts.rate, self.opts.open_duration
        )

    async def measure(self, group: str, label: str, seconds: int, kind: str) -> None:
        await self.bench.measured(group, label, lambda: self.closed(kind, seconds), 200)


def scan_hunters(opts: NearbyOptions) -> int:
    closed_s = opts.rounds * opts.duration + 4 * opts.warmup + 2
    need = closed_s * MAX_SCAN_RPS + opts.rate * opts.open_duration
    return max(opts.hunters, math.ceil(need / opts.collectibles))


async def run(opts: NearbyOptions) -> dict[str, Any]:
    log = Options().log
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
    workdir = Path(tempfile.mkdtemp(prefix="geohunt-bench-nearby-"))
    bench_opts = Options(
        duration=opts.duration,
        rounds=opts.rounds,
        open_duration=opts.open_duration,
        rate=opts.rate,
        warmup=opts.warmup,
        connections=opts.connections,
        collectibles=opts.collectibles,
        pool_max=opts.pool_max,
        quiet_wait_s=opts.quiet_wait_s,
    )
    bench = Bench(bench_opts, workdir)
    bench.server = ServerProcess(env, port, workdir / "server.log")
    bench.conn = conn = await asyncpg.connect(db_url)
    redis = Redis.from_url(admin.redis_url)
    await init_connection(conn)
    results = bench.results
    try:
        results["services"] = {
            "postgresql": await conn.fetchval("SHOW server_version"),
            "redis": str((await redis.info("server")).get("redis_version")),
        }
        results["background_busy_pct"] = await cpu.background_busy_pct(1.0)
        log(f"seeding a hunt of {opts.clues:,} clues in {db_name}")
        plan = await seed.seed_hunt(conn, settings, opts.collectibles)
        bench.plans["spread"] = plan
        await add_ar_clues(conn, plan, opts.ar_clues)
        extra = opts.clues - opts.collectibles - opts.ar_clues
        results["import_s"] = round(await seed.import_extra_clues(conn, plan, extra), 2)
        results["clues"] = await conn.fetchval(
            "SELECT count(*) FROM clues WHERE hunt_id = $1", plan.hunt_id
        )
        slug = await conn.fetchval("SELECT slug FROM hunts WHERE id = $1", plan.hunt_id)
        await seed.add_hunters(conn, settings, plan, scan_hunters(opts))
        results["hunters"] = len(plan.tokens)
        results["server_start_s"] = round(await bench.server.start(), 2)
        nearby = NearbyBench(opts, bench, slug)
        binary = find_wrk(opts.install) if opts.loadgen in ("auto", "wrk") else None
        if opts.loadgen == "wrk" and binary is None:
            raise RuntimeError("wrk is not installed (apt-get install wrk)")
        if binary is not None:
            bench.wrk = Wrk(binary, workdir, port)
            bench.wrk.write_plan("spread", plan.tokens, plan.bodies)
            nearby.use_wrk(binary, workdir, port)
        results["generator"] = "wrk" if binary else "python"
        sample = nearby.paths["nearby"][:40]
        results["answers"] = await sample_answers(port, plan.tokens[0], sample)
        every = nearby.paths["nearby_all"][:40]
        results["answers_all"] = await sample_answers(port, plan.tokens[0], every)

        log("closed loops: nearby, scans, nearby with every hint, interleaved")
        if opts.warmup > 0:
            await nearby.measure("warmup", "nearby", opts.warmup, "nearby")
        await bench.warm("spread", "scan")
        for r in range(opts.rounds):
            await nearby.measure("rounds", f"nearby.r{r}", opts.duration, "nearby")
            await bench.saturate("spread", f"scan.r{r}", 201)
            await nearby.measure("rounds", f"nearby_all.r{r}", opts.duration, "nearby_all")
        for label in ("nearby", "scan", "nearby_all"):
            parts = [results["rounds"][f"{label}.r{r}"] for r in range(opts.rounds)]
            results["closed"][label] = combine(parts)

        log(f"open loops at {opts.rate:g}/s: nearby, scans")
        await bench.measured("open", "nearby", nearby.open, 200)
        await bench.measured("open", "scan", bench.open)
        results["unexpected"] = bench.non_201
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


# --- report -----------------------------------------------------------------------------------


def summary(results: dict[str, Any]) -> dict[str, Any]:
    closed, opened = results["closed"], results["open"]
    nearby, every = closed["nearby"]["rate"], closed["nearby_all"]["rate"]
    scans = report.accepted_rate(closed["scan"])
    p99 = opened["nearby"]["latency_ms"].get("p99", math.inf)
    ratios = {
        "nearby_rps": round(nearby, 1),
        "nearby_all_rps": round(every, 1),
        "scan_accepted_rps": round(scans, 1),
        "nearby_over_scan": round(nearby / scans, 3) if scans else 0.0,
        "nearby_open_p99_ms": p99,
        "scan_open_p99_ms": opened["scan"]["latency_ms"].get("p99", math.inf),
    }
    targets = {
        "nearby_p99": p99 < MAX_P99_MS,
        "nearby_over_scan": ratios["nearby_over_scan"] >= MIN_NEARBY_OVER_SCAN,
        "only_expected": not results["unexpected"],
    }
    return {"ratios": ratios, "targets": targets}


def _met(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def _row(name: str, entry: dict[str, Any], rate: float) -> str:
    c = entry["cpu_us_per_request"]
    cpu_use = " / ".join(
        f"{c[k]:,.0f}" for k in ("server", "postgres", "redis", "loadgen", "other")
    )
    answers = ", ".join(f"{n} x {code}" for code, n in entry["statuses"].items())
    if entry["errors"]:
        answers += f", {entry['errors']} errors"
    latency = entry["latency_ms"]
    return (
        f"| {name} | {rate:,.0f} | {latency.get('p50', 0):.1f} | {latency.get('p99', 0):.1f} | "
        f"{cpu_use} ({c['busy_pct']:.0f}%) | {answers} |"
    )


def section(results: dict[str, Any], command: str) -> str:
    s, m, o = results["summary"], results["machine"], results["options"]
    r, t = s["ratios"], s["targets"]
    closed, opened = results["closed"], results["open"]
    answers, every = results["answers"], results["answers_all"]
    lines = [
        BEGIN,
        "## AR hints (`GET /v1/hunts/{slug}/nearby`)",
        "",
        f"Measured {results['date']} with `{command}`.",
        "",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']}, Python {m['python']}; "
        f"server, PostgreSQL {results['services']['postgresql']}, Redis "
        f"{results['services']['redis']} and the load generator share these CPUs.",
        f"- One server process, one hunt of {results['clues']:,} clues: {o['collectibles']} "
        f"billboards and {o['ar_clues']} AR clues in a cluster 800 m across around Times Square, "
        "the rest spread over New York (hint radius 1,500 m, reveal radius 150 m). Each "
        "`/nearby` is asked by a hunter standing at one of the billboards, the densest spot of "
        f"the hunt: an answer carried {answers['hints']:g} hints on average (the nearest "
        f"{o['limit']}, the default `limit`; cut short in {answers['truncated']:.0%} of "
        f"answers), {answers['revealed']:g} of them with the exact spot and "
        f"{answers['tickets']:g} with a ticket. With `limit={FULL_LIMIT}` an answer carried "
        f"every clue within the radius: {every['hints']:g} on average.",
        "- Per request: the rate limit (one Redis call), the fence index's candidates with "
        "their locations as arrays, distances and bearings for all of them in one numpy pass, "
        "Python objects for the nearest `limit` only, one indexed query for the hunter's finds.",
        f"- Closed loop: {results['generator']}, {o['connections']} connections, {o['rounds']} "
        f"round(s) of {o['duration']} s per load, the three loads interleaved in each round; "
        "req/s over all rounds, p50/p99 the rounds' median. Open loop: Python, a fixed timetable "
        f"of {o['rate']:g} requests/s for {o['open_duration']:g} s, latency from each request's "
        "due time. The scans are the scan-path benchmark's: distinct (hunter, billboard) pairs, "
        "all accepted.",
        "",
        "| load | req/s | p50 ms | p99 ms | CPU us/request: server / postgres / redis / "
        "generator / other (machine busy) | answers |",
        "|---|---:|---:|---:|---|---|",
        _row("(n) `GET /nearby`, closed", closed["nearby"], closed["nearby"]["rate"]),
        _row(
            f"(n_all) `GET /nearby?limit={FULL_LIMIT}`, closed",
            closed["nearby_all"],
            closed["nearby_all"]["rate"],
        ),
        _row("(c) `POST /v1/scans`, closed", closed["scan"], report.accepted_rate(closed["scan"])),
        _row(f"(n) {o['rate']:g}/s open loop", opened["nearby"], opened["nearby"]["rate"]),
        _row(f"(c) {o['rate']:g}/s open loop", opened["scan"], opened["scan"]["rate"]),
        "",
        "| target | result | |",
        "|---|---|---|",
        f"| p99 of `/nearby` under {MAX_P99_MS:g} ms ({results['clues']:,} clues, "
        f"{o['rate']:g}/s) | {r['nearby_open_p99_ms']:.1f} ms | {_met(t['nearby_p99'])} |",
        f"| `/nearby` at least as many req/s as the scan endpoint | {r['nearby_rps']:,.0f} vs "
        f"{r['scan_accepted_rps']:,.0f} ({r['nearby_over_scan']:.2f}) | "
        f"{_met(t['nearby_over_scan'])} |",
        f"| every answer as expected (200 / 201) | "
        f"{'yes' if t['only_expected'] else results['unexpected']} | "
        f"{_met(t['only_expected'])} |",
        "",
        f"Bulk import of the clues: {results['import_s']:.1f} s; server start with them: "
        f"{results['server_start_s']:.1f} s.",
        "",
        "Reading: " + reading(results),
        END,
    ]
    return "\n".join(lines) + "\n"


def reading(results: dict[str, Any]) -> str:
    closed = results["closed"]
    n, c = closed["nearby"]["cpu_us_per_request"], closed["scan"]["cpu_us_per_request"]
    every = closed["nearby_all"]["cpu_us_per_request"]
    hints = results["answers_all"]["hints"] - results["answers"]["hints"]
    per_hint = (every["server"] - n["server"]) / hints if hints > 0 else 0.0
    return (
        f"a hint request costs the server process {n['server']:,.0f} us of CPU and the "
        f"database {n['postgres']:,.0f} us, so under saturation it is bound by that one "
        f"process (the machine was {n['busy_pct']:.0f}% busy), while a scan shares its cost "
        f"between the server ({c['server']:,.0f} us) and PostgreSQL ({c['postgres']:,.0f} us; "
        f"{c['busy_pct']:.0f}% busy). Each hint beyond the first {results['options']['limit']} "
        f"costs about {per_hint:,.1f} us more (building and sending it), which is why the "
        "answer is bounded by `limit`; the index and the distances cost the same either way."
    )


# --- command line -----------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.nearby", description=__doc__)
    p.add_argument("--duration", type=int, help="seconds of each closed-loop run [7]")
    p.add_argument("--rounds", type=int, help="interleaved rounds of the closed loops [3]")
    p.add_argument("--rate", type=float, help="open-loop requests/s [300]")
    p.add_argument("--open-duration", type=float, help="seconds of each open-loop run [30]")
    p.add_argument("--warmup", type=int, help="seconds of each warm-up run [3]")
    p.add_argument("--connections", type=int, default=32, help="closed-loop connections [32]")
    p.add_argument("--clues", type=int, help="clues in the hunt [100000]")
    p.add_argument("--hunters", type=int, default=2000, help="at least this many hunters [2000]")
    p.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    p.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    p.add_argument("--quick", action="store_true", help="a short run on 10,000 clues")
    p.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    p.add_argument("--json", type=Path, help="also write the raw results here")
    p.add_argument("--quiet-wait", type=float, default=120.0, help="see bench [120]")
    p.add_argument("--keep-db", action="store_true", help="keep the database and server log")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    defaults = NearbyOptions()
    quick = QUICK if args.quick else {}

    def pick(name: str) -> Any:
        given = getattr(args, name)
        return given if given is not None else quick.get(name, getattr(defaults, name))

    opts = NearbyOptions(
        duration=int(pick("duration")),
        rounds=max(1, int(pick("rounds"))),
        open_duration=float(pick("open_duration")),
        rate=float(pick("rate")),
        warmup=int(pick("warmup")),
        connections=args.connections,
        clues=int(pick("clues")),
        hunters=args.hunters,
        loadgen=args.loadgen,
        install=not args.no_install,
        keep_db=args.keep_db,
        quiet_wait_s=args.quiet_wait,
    )
    if opts.clues < opts.collectibles + opts.ar_clues:
        raise SystemExit(f"--clues must be at least {opts.collectibles + opts.ar_clues}")
    results = asyncio.run(run(opts))
    results["date"] = report.stamp()
    results["machine"] = report.machine()
    results["options"] = {
        "duration": opts.duration,
        "rounds": opts.rounds,
        "open_duration": opts.open_duration,
        "rate": opts.rate,
        "warmup": opts.warmup,
        "connections": opts.connections,
        "collectibles": opts.collectibles,
        "ar_clues": opts.ar_clues,
        "clues": opts.clues,
        "limit": NearbyQuery.model_fields["limit"].default,
    }
    results["summary"] = summary(results)
    command = command_line(argv).replace("-m bench", "-m bench.nearby", 1)
    results["command"] = command
    report.replace_section(args.out, BEGIN, END, section(results, command))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(json.dumps(results["summary"], indent=2))
    print(f"wrote {os.path.relpath(args.out)}")
    return 1 if results["unexpected"] else 0


if __name__ == "__main__":
    sys.exit(main())
