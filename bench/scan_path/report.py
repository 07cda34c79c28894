"""The "Scan path" section of BENCHMARKS.md, rewritten by every run between its markers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.load_table import HEAD, accepted_rate, ms, row
from bench.report import machine_line, measured_line, met, replace_section

BEGIN = "<!-- bench:scan-path:begin -->"
END = "<!-- bench:scan-path:end -->"
# The targets.
MIN_C_OVER_B = 0.50
MAX_P99_MS = 50.0
MIN_BIG_OVER_SMALL = 0.90


def summary(results: dict[str, Any]) -> dict[str, Any]:
    """Ratios and targets from the raw results."""
    closed, opened = results["closed"], results["open"]
    a, b = closed["trivial"]["rate"], closed["insert"]["rate"]
    c, big = accepted_rate(closed["scan"]), accepted_rate(closed["scan_big"])
    p99 = opened["scan"]["latency_ms"].get("p99", float("inf"))
    p99_big = opened["scan_big"]["latency_ms"].get("p99", float("inf"))
    rounds = results.get("rounds", {})
    per_round = []
    for r in range(results["options"]["rounds"]):
        b_r, c_r = rounds.get(f"insert.r{r}"), rounds.get(f"scan.r{r}")
        if b_r and c_r and b_r["rate"]:
            per_round.append(round(accepted_rate(c_r) / b_r["rate"], 3))
    ratios = {
        "a_rps": round(a, 1),
        "b_rps": round(b, 1),
        "c_accepted_rps": round(c, 1),
        "c_big_accepted_rps": round(big, 1),
        "c_over_b": round(c / b, 3) if b else 0.0,
        "c_over_b_rounds": per_round,
        "c_over_a": round(c / a, 3) if a else 0.0,
        "big_over_small": round(big / c, 3) if c else 0.0,
    }
    targets = {
        "c_over_b": ratios["c_over_b"] >= MIN_C_OVER_B,
        "open_p99": p99 < MAX_P99_MS,
        "open_p99_big": p99_big < MAX_P99_MS,
        "big_over_small": ratios["big_over_small"] >= MIN_BIG_OVER_SMALL,
        "only_201": not results["non_201"],
    }
    return {"ratios": ratios, "targets": targets}


def section(results: dict[str, Any], command: str) -> str:
    s = results["summary"]
    r, t = s["ratios"], s["targets"]
    m, o, svc = results["machine"], results["options"], results["services"]
    closed, opened = results["closed"], results["open"]
    small, big = o["collectibles"], results["clues_big"]
    gen = results["generator"]
    lines = [
        BEGIN,
        "## Scan path",
        "",
        measured_line(results["date"], command),
        "",
        f"- {machine_line(m, kernel=True)}; server, PostgreSQL {svc['postgresql']} "
        f"(synchronous_commit={svc['synchronous_commit']}, fsync={svc['fsync']}), "
        f"Redis {svc['redis']} and the load generator all share these CPUs.",
        f"- One server process (aiohttp on {svc.get('event_loop', 'asyncio')}, asyncpg pool of"
        f" {o['pool_max']}), one hunt: {small} "
        f"billboards of {small} collectibles in a cluster 800 m across, {results['hunters']:,} "
        f"hunters. The rate-limit script runs on every scan (limit {o['scans_per_minute']:,}"
        "/min, so it never refuses). Every scan is a distinct (hunter, collectible) pair sent "
        "from the spot, so all should be accepted (201), or refused with 503 when admission "
        "control sheds them; consecutive scans go to different billboards, except in the "
        "hot-spot row, where every scan in flight is of one "
        f"collectible (by {results.get('hot_hunters', 0):,} other hunters).",
        f"- Closed loop: {gen}, {o['connections']} connections, {o['rounds']} round(s) of "
        f"{o['duration']} s per load, a, b and c interleaved in each round, same server; req/s "
        "over all rounds, p50/p99 the rounds' median. Open loop: Python, a fixed timetable of "
        f"{o['rate']:g} scans/s for {o['open_duration']:g} s, each latency counted from its "
        "request's due time (no coordinated omission). Before each measurement: a warm-up "
        "(not reported; every hunter's state cached), `VACUUM ANALYZE` (no load pays "
        "autovacuum for another's rows) and a wait for other jobs on the machine to stop.",
        f"- The large hunt: {big - small:,} more billboards spread over New York, imported in "
        "bulk (`import_features`), then the server restarted to load them; the scans still "
        "go to the cluster.",
        "",
        *HEAD,
    ]
    scan_rows: list[tuple[str, str, str]] = [
        ("closed", "scan", f"(c) `POST /v1/scans`, {small} clues, closed"),
        ("closed", "scan_hot", f"(c) {small} clues, closed, all in flight on one collectible"),
        ("closed", "scan_big", f"(c) `POST /v1/scans`, {big:,} clues, closed"),
        ("open", "scan", f"(c) {o['rate']:g}/s open loop, {small} clues"),
        ("open", "scan_big", f"(c) {o['rate']:g}/s open loop, {big:,} clues"),
    ]
    rows = [
        ("(a) `GET /bench/trivial`, closed", closed["trivial"], r["a_rps"]),
        ("(b) `POST /bench/insert` (one INSERT), closed", closed["insert"], r["b_rps"]),
    ]
    for group, label, name in scan_rows:
        entry = results[group].get(label)
        if entry is not None:
            rows.append((name, entry, accepted_rate(entry)))
    lines += [row(name, entry, rate) for name, entry, rate in rows]
    lines += [
        "",
        "For (c) req/s counts accepted scans (201) only.",
        "",
        "| target | result | |",
        "|---|---|---|",
        f"| c at 50% or more of b | c/b = {r['c_over_b']:.2f} (rounds: "
        f"{', '.join(f'{x:.2f}' for x in r['c_over_b_rounds'])}) | {met(t['c_over_b'])} |",
        f"| (c/a, for scale) | c/a = {r['c_over_a']:.2f} | |",
        f"| p99 under {MAX_P99_MS:g} ms at a steady {o['rate']:g} scans/s | "
        f"{ms(opened['scan'], 'p99')} ms ({small} clues), "
        f"{ms(opened['scan_big'], 'p99')} ms ({big:,} clues) | "
        f"{met(t['open_p99'] and t['open_p99_big'])} |",
        f"| {big:,} clues no more than 10% slower than {small} | "
        f"{r['c_big_accepted_rps']:,.0f} vs {r['c_accepted_rps']:,.0f} accepted/s "
        f"({r['big_over_small']:.2f}) | {met(t['big_over_small'])} |",
        f"| every scan accepted, or shed by admission control (503) | "
        f"{'yes' if t['only_201'] else results['non_201']}{shed(results)} | "
        f"{met(t['only_201'])} |",
        "",
        f"Bulk import of the extra clues: {results['import_s']:.1f} s; server start with "
        f"{big:,} clues: {results['catalog_start_s']:.1f} s (with {small}: "
        f"{results['server_start_s']:.1f} s).",
        "",
        "Reading: " + reading(results),
        END,
    ]
    return "\n".join(lines) + "\n"


def reading(results: dict[str, Any]) -> str:
    t = results["summary"]["targets"]
    checks = {
        "c/b >= 0.5": t["c_over_b"],
        "p99 < 50 ms at the steady rate": t["open_p99"] and t["open_p99_big"],
        "100k clues within 10%": t["big_over_small"],
    }
    missed = [name for name, ok in checks.items() if not ok]
    closed = results["closed"]
    scan, ins = closed["scan"]["cpu_us_per_request"], closed["insert"]["cpu_us_per_request"]
    parties = ("server", "postgres", "redis", "loadgen")
    text = (
        ("all three targets met. " if not missed else f"missed: {', '.join(missed)}. ")
        + f"During c the machine was {scan['busy_pct']:.0f}% busy: an accepted scan cost "
        f"{sum(scan[k] for k in parties):,.0f} us of CPU in all processes (server "
        f"{scan['server']:,.0f}, PostgreSQL {scan['postgres']:,.0f}, Redis {scan['redis']:,.0f}) "
        f"against {sum(ins[k] for k in parties):,.0f} us for the bare INSERT (server "
        f"{ins['server']:,.0f}, PostgreSQL {ins['postgres']:,.0f})."
    )
    if "scan_hot" in closed:
        hot, spread = accepted_rate(closed["scan_hot"]), accepted_rate(closed["scan"])
        text += (
            f" With every scan in flight on one collectible c did {hot:,.0f}/s "
            f"({hot / spread:.2f} of the spread load)"
        )
        text += (
            ": those scans queue on the row locks of that clue's and collectible's counters "
            "until each commit."
            if hot < 0.9 * spread
            else ", so the counters' row locks are not what limits c on this machine."
        )
    measured = [e for group in ("closed", "open") for e in results[group].values()]
    waited = sum(e.get("waited_for_quiet_s", 0.0) for e in measured)
    busiest = max((e.get("busy_before_pct", 0.0) for e in measured), default=0.0)
    if waited >= 1:
        text += f" The run waited {waited:.0f} s in all for other jobs on the machine to stop."
    if busiest >= 15:
        text += (
            f" Caution: other jobs kept the machine up to {busiest:.0f}% busy before a "
            "measurement; the `other` CPU column shows what they took from each phase."
        )
    return text


def shed(results: dict[str, Any]) -> str:
    """The measured loads' 503s, if any: "; shed: 1 in rounds.scan_big.r2"."""
    counts = results.get("shed") or {}
    if not counts:
        return ""
    where = ", ".join(f"{n:,} in {label}" for label, n in counts.items())
    return f"; shed: {where}"


def write(path: Path, results: dict[str, Any], command: str) -> None:
    replace_section(path, BEGIN, END, section(results, command))
