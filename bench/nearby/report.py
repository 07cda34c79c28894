"""The "AR hints" section of BENCHMARKS.md: the loads, the targets and a reading."""

from __future__ import annotations

import math
from typing import Any

from bench.load_table import HEAD, accepted_rate, row
from bench.nearby.options import FULL_LIMIT
from bench.report import machine_line, measured_line, met

BEGIN = "<!-- bench:nearby:begin -->"
END = "<!-- bench:nearby:end -->"
MAX_P99_MS = 20.0
MIN_NEARBY_OVER_SCAN = 1.0


def summary(results: dict[str, Any]) -> dict[str, Any]:
    closed, opened = results["closed"], results["open"]
    nearby, every = closed["nearby"]["rate"], closed["nearby_all"]["rate"]
    scans = accepted_rate(closed["scan"])
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


def section(results: dict[str, Any], command: str) -> str:
    s, m, o = results["summary"], results["machine"], results["options"]
    r, t = s["ratios"], s["targets"]
    closed, opened = results["closed"], results["open"]
    answers, every = results["answers"], results["answers_all"]
    lines = [
        BEGIN,
        "## AR hints (`GET /v1/hunts/{slug}/nearby`)",
        "",
        measured_line(results["date"], command),
        "",
        f"- {machine_line(m)}; server, PostgreSQL {results['services']['postgresql']}, Redis "
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
        *HEAD,
        row("(n) `GET /nearby`, closed", closed["nearby"], closed["nearby"]["rate"]),
        row(
            f"(n_all) `GET /nearby?limit={FULL_LIMIT}`, closed",
            closed["nearby_all"],
            closed["nearby_all"]["rate"],
        ),
        row("(c) `POST /v1/scans`, closed", closed["scan"], accepted_rate(closed["scan"])),
        row(f"(n) {o['rate']:g}/s open loop", opened["nearby"], opened["nearby"]["rate"]),
        row(f"(c) {o['rate']:g}/s open loop", opened["scan"], opened["scan"]["rate"]),
        "",
        "| target | result | |",
        "|---|---|---|",
        f"| p99 of `/nearby` under {MAX_P99_MS:g} ms ({results['clues']:,} clues, "
        f"{o['rate']:g}/s) | {r['nearby_open_p99_ms']:.1f} ms | {met(t['nearby_p99'])} |",
        f"| `/nearby` at least as many req/s as the scan endpoint | {r['nearby_rps']:,.0f} vs "
        f"{r['scan_accepted_rps']:,.0f} ({r['nearby_over_scan']:.2f}) | "
        f"{met(t['nearby_over_scan'])} |",
        f"| every answer as expected (200 / 201) | "
        f"{'yes' if t['only_expected'] else results['unexpected']} | "
        f"{met(t['only_expected'])} |",
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
