"""The "Scan path" section of BENCHMARKS.md, rewritten by every run between its markers.

Other benchmarks (minting, ...) add their own sections with their own markers; a run replaces
only its own section and leaves the rest of the file as it was.
"""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BEGIN = "<!-- bench:scan-path:begin -->"
END = "<!-- bench:scan-path:end -->"
HEADER = """# Benchmarks

Each section is written by the command it names; re-running one replaces that section only.
"""

# The targets.
MIN_C_OVER_B = 0.50
MAX_P99_MS = 50.0
MIN_BIG_OVER_SMALL = 0.90


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "memory": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def accepted_rate(entry: dict[str, Any]) -> float:
    return float(entry["statuses"].get("201", 0) / entry["duration_s"])


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


def _ms(entry: dict[str, Any], name: str) -> str:
    value = entry["latency_ms"].get(name)
    return "-" if value is None else f"{value:.1f}"


def _cpu(entry: dict[str, Any]) -> str:
    c = entry["cpu_us_per_request"]
    parts = (c["server"], c["postgres"], c["redis"], c["loadgen"], c.get("other", 0.0))
    return " / ".join(f"{v:,.0f}" for v in parts) + f" ({c['busy_pct']:.0f}%)"


def _answers(entry: dict[str, Any]) -> str:
    text = ", ".join(f"{n} x {code}" for code, n in entry["statuses"].items())
    return text + (f", {entry['errors']} errors" if entry["errors"] else "")


def _met(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


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
        f"Measured {results['date']} with `{command}`"
        + (" (what `make bench` runs)." if command.endswith("-m bench") else "."),
        "",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']}, Linux {m['kernel']}, "
        f"Python {m['python']}; server, PostgreSQL {svc['postgresql']} "
        f"(synchronous_commit={svc['synchronous_commit']}, fsync={svc['fsync']}), "
        f"Redis {svc['redis']} and the load generator all share these CPUs.",
        f"- One server process (aiohttp, asyncpg pool of {o['pool_max']}), one hunt: {small} "
        f"billboards of {small} collectibles in a cluster 800 m across, {results['hunters']:,} "
        f"hunters. The rate-limit script runs on every scan (limit {o['scans_per_minute']:,}"
        "/min, so it never refuses). Every scan is a distinct (hunter, collectible) pair sent "
        "from the spot, so all should be accepted (201); consecutive scans go to different "
        "billboards, except in the hot-spot row, where every scan in flight is of one "
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
        "| load | req/s | p50 ms | p99 ms | CPU us/request: server / postgres / redis / "
        "generator / other (machine busy) | answers |",
        "|---|---:|---:|---:|---|---|",
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
    for name, entry, rate in rows:
        lines.append(
            f"| {name} | {rate:,.0f} | {_ms(entry, 'p50')} | {_ms(entry, 'p99')} | "
            f"{_cpu(entry)} | {_answers(entry)} |"
        )
    lines += [
        "",
        "For (c) req/s counts accepted scans (201) only.",
        "",
        "| target | result | |",
        "|---|---|---|",
        f"| c at 50% or more of b | c/b = {r['c_over_b']:.2f} (rounds: "
        f"{', '.join(f'{x:.2f}' for x in r['c_over_b_rounds'])}) | {_met(t['c_over_b'])} |",
        f"| (c/a, for scale) | c/a = {r['c_over_a']:.2f} | |",
        f"| p99 under {MAX_P99_MS:g} ms at a steady {o['rate']:g} scans/s | "
        f"{_ms(opened['scan'], 'p99')} ms ({small} clues), "
        f"{_ms(opened['scan_big'], 'p99')} ms ({big:,} clues) | "
        f"{_met(t['open_p99'] and t['open_p99_big'])} |",
        f"| {big:,} clues no more than 10% slower than {small} | "
        f"{r['c_big_accepted_rps']:,.0f} vs {r['c_accepted_rps']:,.0f} accepted/s "
        f"({r['big_over_small']:.2f}) | {_met(t['big_over_small'])} |",
        f"| every scan accepted | {'yes' if t['only_201'] else results['non_201']} | "
        f"{_met(t['only_201'])} |",
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


def write(path: Path, results: dict[str, Any], command: str) -> None:
    replace_section(path, BEGIN, END, section(results, command))


def replace_section(path: Path, begin: str, end: str, text: str) -> None:
    """Put `text` (which starts with `begin` and ends with `end`) in place of the file's
    section between those markers, or after the rest when it has none yet."""
    old = path.read_text() if path.exists() else HEADER
    if begin in old and end in old:
        head, _, rest = old.partition(begin)
        _, _, tail = rest.partition(end)
        new = head + text.rstrip("\n") + tail
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new)


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
