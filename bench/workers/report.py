"""The "Server processes" section of BENCHMARKS.md: `--workers 2` beside `--workers 1`."""

from __future__ import annotations

from typing import Any

from bench.report import machine_line, measured_line

BEGIN = "<!-- bench:workers:begin -->"
END = "<!-- bench:workers:end -->"


def summary(results: dict[str, Any]) -> dict[str, Any]:
    loads = results["loads"]
    ratios = {
        kind: round(loads[f"{kind}.w2"]["rate"] / loads[f"{kind}.w1"]["rate"], 3)
        if loads[f"{kind}.w1"]["rate"]
        else 0.0
        for kind in ("trivial", "scan")
    }
    expected = {"trivial": "200", "scan": "201"}
    # A 503 is the server shedding (a loop late on a busy machine), not a broken harness.
    as_expected = all(
        set(entry["statuses"]) <= {expected[label.split(".")[0]], "503"} and entry["errors"] == 0
        for label, entry in loads.items()
    )
    return {"two_over_one": ratios, "as_expected": as_expected}


def _side(entry: dict[str, Any]) -> str:
    lat = entry["latency_ms"]
    c = entry["cpu_us"]
    return (
        f"{entry['rate']:,.0f} | {lat.get('p50', 0):.1f} / {lat.get('p99', 0):.1f} |"
        f" {c['server']:,.0f} / {c['postgres']:,.0f} / {c['redis']:,.0f} / {c['loadgen']:,.0f}"
        f" ({entry['busy_pct']:.0f}%)"
    )


def section(results: dict[str, Any], command: str) -> str:
    o, svc, loads = results["options"], results["services"], results["loads"]
    s = results["summary"]
    rows = [
        "| load | `--workers 1` req/s | p50 / p99 ms | CPU us/request: server / PostgreSQL /"
        " Redis / client (machine busy) | `--workers 2` req/s | p50 / p99 ms | CPU us/request"
        " (machine busy) | 2 over 1 (rounds) |",
        "|---|---:|---:|---|---:|---:|---|---|",
    ]
    labels = {
        "trivial": "`GET /bench/trivial`",
        "scan": f"`POST /v1/scans`, {o['collectibles']} clues",
    }
    for kind, label in labels.items():
        one, two = loads[f"{kind}.w1"], loads[f"{kind}.w2"]
        per_round = ", ".join(
            f"{b / a:.2f}" if a else "-" for a, b in zip(one["rounds"], two["rounds"], strict=True)
        )
        rows.append(
            f"| {label} | {_side(one)} | {_side(two)} | {s['two_over_one'][kind]:.2f}"
            f" ({per_round}) |"
        )
    answers = "; ".join(
        f"{label}: "
        + ", ".join(f"{n:,} x {code}" for code, n in e["statuses"].items())
        + (f", {e['errors']} errors" if e["errors"] else "")
        for label, e in loads.items()
    )
    trivial, scan = s["two_over_one"]["trivial"], s["two_over_one"]["scan"]
    return "\n".join(
        [
            BEGIN,
            "## Server processes (`geohunt serve --workers 2` beside `--workers 1`)",
            "",
            measured_line(results["date"], command),
            "",
            f"- {machine_line(results['machine'])}; PostgreSQL {svc['postgresql']}, Redis"
            f" {svc['redis']}. The servers, PostgreSQL, Redis and the client share these CPUs.",
            "- Two servers on one scratch database, both up for the whole run: `python -m"
            " bench.server --workers 1` (one process) and `--workers 2` (the supervisor of"
            " `geohunt serve` and two processes on one port with SO_REUSEPORT, each pool sized"
            f" by `geohunt serve`'s rule; pools of {results['db_pool_max']} at most).",
            f"- Closed loops ({results['generator']}, {o['connections']} connections) of the"
            " trivial endpoint (the scan-path benchmark's (a): HTTP and the middlewares alone)"
            " and of scans (every one a distinct (hunter, collectible) pair, so all accepted),"
            f" {o['rounds']} round(s) of {o['duration']} s each, the two servers alternating"
            " which goes first; req/s over all rounds, p50/p99 the rounds' median, after"
            " warm-ups and, before each, `VACUUM ANALYZE` and a bounded wait for quiet."
            " PostgreSQL's CPU counts this database's backends and PostgreSQL's shared"
            " processes only (other jobs' databases may share the server).",
            "",
            *rows,
            "",
            f"Answers: {answers}.",
            "",
            f"Reading: a second process gives {trivial:.2f}x on the trivial endpoint and"
            f" {scan:.2f}x on scans, in the same run. " + reading(results),
            END,
        ]
    )


def reading(results: dict[str, Any]) -> str:
    loads = results["loads"]
    one, two = loads["scan.w1"], loads["scan.w2"]
    t1, t2 = loads["trivial.w1"], loads["trivial.w2"]
    return (
        f"On the trivial endpoint the machine was {t1['busy_pct']:.0f}% busy with one process"
        f" and {t2['busy_pct']:.0f}% with two; the server spent {t1['cpu_us']['server']:,.0f}"
        f" and {t2['cpu_us']['server']:,.0f} us a request. On scans, CPU per accepted scan:"
        f" server {one['cpu_us']['server']:,.0f} -> {two['cpu_us']['server']:,.0f} us,"
        f" PostgreSQL {one['cpu_us']['postgres']:,.0f} -> {two['cpu_us']['postgres']:,.0f} us,"
        f" Redis {one['cpu_us']['redis']:,.0f} -> {two['cpu_us']['redis']:,.0f} us (each"
        " process gathers its own group commits, from half the connections, and a hunter's"
        " state cached by one process may be stale in the other)."
    )
