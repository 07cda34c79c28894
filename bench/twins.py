"""Benchmark of `GET /v1/me/twins` with 100,000 hunters and 9 collectibles, answered by the app
as `geohunt serve` runs it. Writes the "Taste twins" section of BENCHMARKS.md.

    python -m bench.twins [--hunters N] [--requests N] [--callers N] [--quick]

Hunters and their finds are written in bulk with SQL, through the triggers that keep the taste
rollup on every scan (one statement), half of the hunters discoverable. Each collectible is
found by a different share of hunters, so sets of every size occur. Then one server process
is asked by discoverable callers of every set size, one request after another (each latency is
the server's whole work), and by 4 clients at once. No figure is asserted here: the report
says met or missed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from typing import Any

import aiohttp
import asyncpg

from bench.cli import parsed
from bench.report import machine_line, measured_line, met, percentiles, publish, record
from bench.scratch import PATIENT_QUEUE_TARGET_MS, admission_env, scratch_stack
from server.http.auth import Role, TokenIssuer

BEGIN, END = "<!-- bench:twins:begin -->", "<!-- bench:twins:end -->"
TARGET_P95_MS = 50.0
COLLECTIBLES = 9
QUICK = {"hunters": 3_000, "requests": 200, "callers": 6}

# Collectible k (1..9) is found by hunter h when a hash of (h, k) falls under its share: from
# 70% of hunters for the first episode down to 14% for the last, independently.
FINDS_SQL = """
INSERT INTO finds (hunter_id, hunt_id, collectible_id, clue_id, found_at)
SELECT h.id, $1, c.collectible_id, c.id, now() - (h.id % 1000) * interval '1 minute'
FROM hunters h
JOIN LATERAL (SELECT row_number() OVER (ORDER BY id) AS k, id, collectible_id
              FROM clues WHERE hunt_id = $1) c ON true
WHERE abs(hashint8(h.id * 31 + c.k)) % 100 < 70 - (c.k - 1) * 7
"""


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--hunters", type=int, default=100_000, help="hunters [100,000]")
    p.add_argument("--requests", type=int, default=3_000, help="requests per measurement [3,000]")
    p.add_argument("--callers", type=int, default=18, help="discoverable callers [18]")
    return parsed(p, argv, QUICK, raw=False)


async def seed(conn: asyncpg.Connection, args: argparse.Namespace) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    hunt_id = await conn.fetchval(
        "INSERT INTO hunts (slug, name, starts_at, ends_at, created_by) VALUES ($1,"
        " 'Twins benchmark', now() - interval '2 days', now() + interval '1 day', 'bench')"
        " RETURNING id",
        f"bench-twins-{uuid.uuid4().hex[:6]}",
    )
    await conn.execute(
        "INSERT INTO collectibles (hunt_id, key, name, episode, image_url)"
        " SELECT $1, 'ep' || k, 'Episode ' || k, 'EP' || k, 'https://img.example/x.png'"
        " FROM generate_series(1, $2) k",
        hunt_id,
        COLLECTIBLES,
    )
    await conn.execute(
        "INSERT INTO clues (hunt_id, collectible_id, kind, label, created_by)"
        " SELECT hunt_id, id, 'social', 'drop ' || key, 'bench' FROM collectibles"
        " WHERE hunt_id = $1 ORDER BY id",
        hunt_id,
    )
    started = time.perf_counter()
    # Every other hunter opted in before finding anything; a third have no handle.
    await conn.execute(
        "INSERT INTO hunters (handle, discoverable)"
        " SELECT CASE WHEN g % 3 = 0 THEN NULL ELSE 'tw-' || g END, g % 2 = 0"
        " FROM generate_series(1, $1) g",
        args.hunters,
    )
    facts["hunters_s"] = time.perf_counter() - started
    started = time.perf_counter()
    await conn.execute(FINDS_SQL, hunt_id)
    facts["finds_s"] = time.perf_counter() - started
    await conn.execute("VACUUM ANALYZE")
    facts |= dict(
        await conn.fetchrow(
            "SELECT (SELECT count(*) FROM hunters) AS hunters,"
            " (SELECT count(*) FROM hunters WHERE discoverable) AS discoverable,"
            " (SELECT count(*) FROM finds) AS finds,"
            " (SELECT count(*) FROM taste_groups WHERE members > 0) AS groups"
        )
    )
    # Callers of every set size (1 to 9), discoverable, spread over the population.
    rows = await conn.fetch(
        "SELECT DISTINCT ON (cardinality(collectibles)) hunter_id"
        " FROM taste_sets WHERE discoverable ORDER BY cardinality(collectibles), hunter_id"
    )
    callers = [r["hunter_id"] for r in rows]
    facts["sizes"] = await conn.fetchval(
        "SELECT array_agg(DISTINCT cardinality(collectibles)) FROM taste_sets"
        " WHERE hunter_id = ANY($1)",
        callers,
    )
    extra = await conn.fetch(
        "SELECT hunter_id FROM taste_sets WHERE discoverable AND NOT hunter_id = ANY($1)"
        " ORDER BY hashint8(hunter_id) LIMIT $2",
        callers,
        max(args.callers - len(callers), 0),
    )
    facts["callers"] = callers + [r["hunter_id"] for r in extra]
    return facts


async def measure(port: int, tokens: list[str], requests: int, clients: int) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sizes: list[int] = []
    per_client = max(requests // clients, 1)
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:

        async def one_client(offset: int) -> None:
            for n in range(per_client):
                token = tokens[(offset + n) % len(tokens)]
                headers = {"Authorization": f"Bearer {token}"}
                started = time.perf_counter()
                async with session.get("/v1/me/twins", headers=headers) as response:
                    body = await response.json()
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[response.status] = statuses.get(response.status, 0) + 1
                sizes.append(len(body.get("twins", [])))

        for token in tokens:  # warm-up: connections, plans, each caller once
            async with session.get(
                "/v1/me/twins", headers={"Authorization": f"Bearer {token}"}
            ) as response:
                await response.read()
        started = time.perf_counter()
        await asyncio.gather(*(one_client(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
    pct = percentiles(latencies)
    return {
        "requests": len(latencies),
        "rate": round(len(latencies) / elapsed, 1),
        "statuses": statuses,
        "min_twins": min(sizes),
        **pct,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"config": {k: v for k, v in vars(args).items() if k != "out"}}
    patient = PATIENT_QUEUE_TARGET_MS if args.quick else None
    async with scratch_stack("twins", env=admission_env(patient)) as stack:
        seeded = results["seed"] = await seed(stack.db, args)
        await stack.start()
        issuer = TokenIssuer(stack.settings.jwt_key)
        tokens = [issuer.issue(Role.HUNTER, str(h), 3600)[0] for h in seeded["callers"]]
        results["one"] = await measure(stack.server.port, tokens, args.requests, 1)
        results["four"] = await measure(stack.server.port, tokens, args.requests, 4)
    return results


def section(results: dict[str, Any], command: str) -> str:
    seed = results["seed"]
    table = [
        "| clients | answers | req/s | p50 ms | p90 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, r in (("1", results["one"]), ("4 at once", results["four"])):
        answers = ", ".join(f"{n} x {s}" for s, n in sorted(r["statuses"].items()))
        table.append(
            f"| {label} | {answers} | {r['rate']:,.0f} | {r['p50']:.1f} | {r['p90']:.1f} |"
            f" {r['p95']:.1f} | {r['p99']:.1f} | {r['max']:.1f} |"
        )
    p95 = results["one"]["p95"]
    return "\n".join(
        [
            BEGIN,
            "## Taste twins (`GET /v1/me/twins`)",
            "",
            measured_line(results["date"], command),
            "",
            f"- {machine_line(results['machine'])};"
            " the server, PostgreSQL and the client share them.",
            f"- {seed['hunters']:,} hunters ({seed['discoverable']:,} discoverable, a third"
            f" without a handle), {COLLECTIBLES} collectibles, {seed['finds']:,} finds (episode"
            " k found by 70% - 7(k-1)% of hunters, independently), written in bulk through the"
            f" taste triggers in {seed['finds_s']:.1f} s: {seed['groups']} distinct found sets"
            " among discoverable hunters.",
            f"- {len(seed['callers'])} discoverable callers (found sets of"
            f" {', '.join(map(str, seed['sizes']))} collectibles among them), taken in turn;"
            " after one warm-up request each, each client sends its requests one after"
            " another to one server process (`geohunt serve`'s app). Every answer held"
            f" at least {min(results['one']['min_twins'], results['four']['min_twins'])} twins.",
            "",
            *table,
            "",
            "| target | result | |",
            "|---|---|---|",
            f"| p95 under {TARGET_P95_MS:.0f} ms, 1 client ({seed['hunters']:,} hunters,"
            f" {COLLECTIBLES} collectibles) | {p95:.1f} ms | {met(p95 < TARGET_P95_MS)} |",
            "",
            "Reading: an answer never reads the population. Triggers keep each hunter's found"
            " set (`taste_sets`) and, for discoverable hunters, how many hold each exact set"
            " (`taste_groups`, at most 2^9 - 1 rows). A request reads the caller's set, the"
            " groups that overlap it (GIN index), ranks those sets in Python"
            " (`hunt_engine.taste`), and reads only the first 20 hunters by id of each set that"
            " can reach the top 20 (partial index on (collectibles, hunter_id)): three short"
            " queries in one read-only snapshot, whatever the number of hunters.",
            END,
        ]
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    results = asyncio.run(run(args))
    text = section(results, record(results, "bench.twins", argv))
    publish(results, text, (BEGIN, END), args.out)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
