"""The "Server processes" section of BENCHMARKS.md: `--workers 2` beside `--workers 1`, on one
Redis and on a Redis Cluster."""

from __future__ import annotations

from typing import Any

from bench.report import machine_line, measured_line

BEGIN = "<!-- bench:workers:begin -->"
END = "<!-- bench:workers:end -->"


def _ratio(loads: dict[str, Any], top: str, bottom: str) -> float:
    below = loads[bottom]["rate"]
    return round(loads[top]["rate"] / below, 3) if below else 0.0


def pairs(loads: dict[str, Any]) -> list[str]:
    """The loads run with one and with two processes, by their labels' stem (`scan`,
    `scan.cluster`)."""
    stems = dict.fromkeys(label.rsplit(".", 1)[0] for label in loads)
    return [s for s in stems if f"{s}.w1" in loads and f"{s}.w2" in loads]


def summary(results: dict[str, Any]) -> dict[str, Any]:
    loads = results["loads"]
    ratios = {stem: _ratio(loads, f"{stem}.w2", f"{stem}.w1") for stem in pairs(loads)}
    cluster = {
        w: _ratio(loads, f"scan.cluster.{w}", f"scan.{w}")
        for w in ("w1", "w2")
        if f"scan.cluster.{w}" in loads and f"scan.{w}" in loads
    }
    expected = {"trivial": "200", "scan": "201"}
    # A 503 is the server shedding (a loop late on a busy machine), not a broken harness.
    as_expected = all(
        set(entry["statuses"]) <= {expected[label.split(".")[0]], "503"} and entry["errors"] == 0
        for label, entry in loads.items()
    )
    return {"two_over_one": ratios, "cluster_over_one": cluster, "as_expected": as_expected}


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
    for stem in pairs(loads):
        kind, _, backend = stem.partition(".")
        label = labels[kind] + (", Redis Cluster" if backend == "cluster" else "")
        one, two = loads[f"{stem}.w1"], loads[f"{stem}.w2"]
        per_round = ", ".join(
            f"{b / a:.2f}" if a else "-" for a, b in zip(one["rounds"], two["rounds"], strict=True)
        )
        rows.append(
            f"| {label} | {_side(one)} | {_side(two)} | {s['two_over_one'][stem]:.2f}"
            f" ({per_round}) |"
        )
    answers = "; ".join(
        f"{label}: "
        + ", ".join(f"{n:,} x {code}" for code, n in e["statuses"].items())
        + (f", {e['errors']} errors" if e["errors"] else "")
        for label, e in loads.items()
    )
    ratios = s["two_over_one"]
    trivial, scan = _first(ratios, "trivial"), _first(ratios, "scan")
    cluster = svc.get("redis_cluster")
    return "\n".join(
        [
            BEGIN,
            "## Server processes (`geohunt serve --workers 2` beside `--workers 1`)",
            "",
            measured_line(results["date"], command),
            "",
            f"- {machine_line(results['machine'])}; PostgreSQL {svc['postgresql']}, Redis"
            f" {svc['redis']}"
            + (f"; a Redis Cluster of Redis {cluster}, started for the run" if cluster else "")
            + ". The servers, PostgreSQL, Redis and the client share these CPUs.",
            "- Servers on one scratch database, all up for the whole run: `python -m"
            " bench.server --workers 1` (one process) and `--workers 2` (the supervisor of"
            " `geohunt serve` and two processes on one port with SO_REUSEPORT, each pool sized"
            f" by `geohunt serve`'s rule; pools of {results['db_pool_max']} at most)"
            + (
                ", each pair once on one Redis and once on the cluster (`REDIS_CLUSTER_NODES`:"
                " redis-py's cluster client, every key hash-tagged by hunter or hunt)."
                if cluster and "scan.w1" in loads
                else "."
            ),
            f"- Closed loops ({results['generator']}, {o['connections']} connections) of the"
            " trivial endpoint (the scan-path benchmark's (a): HTTP and the middlewares alone)"
            " and of scans (every one a distinct (hunter, collectible) pair, so all accepted),"
            f" {o['rounds']} round(s) of {o['duration']} s each, the servers' order reversed"
            " every other round; the trivial endpoint, which touches no Redis, against the"
            " first pair only; req/s over all rounds, p50/p99 the rounds' median, after"
            " warm-ups and, before each, `VACUUM ANALYZE` and a bounded wait for quiet."
            " PostgreSQL's CPU counts this database's backends and PostgreSQL's shared"
            " processes only (other jobs' databases may share the server).",
            "",
            *rows,
            "",
            f"Answers: {answers}.",
            "",
            f"Reading: a second process gives {trivial:.2f}x on the trivial endpoint and"
            f" {scan:.2f}x on scans, in the same run. " + reading(results) + _cluster_reading(s),
            END,
        ]
    )


def _first(by_stem: dict[str, Any], kind: str) -> Any:
    """The figure of `kind` on one Redis when the run had it, else on the cluster."""
    return by_stem.get(kind, by_stem.get(f"{kind}.cluster"))


def _cluster_reading(s: dict[str, Any]) -> str:
    c = s["cluster_over_one"]
    if not c:
        return ""
    return (
        f" On the Redis Cluster against one Redis, scans/s: {c['w1']:.2f}x with one process and"
        f" {c['w2']:.2f}x with two (the cluster's six redis-server processes share the same two"
        " CPUs; on machines of their own its primaries add capacity instead)."
    )


def reading(results: dict[str, Any]) -> str:
    loads = results["loads"]
    stem = "" if "scan.w1" in loads else "cluster."
    one, two = loads[f"scan.{stem}w1"], loads[f"scan.{stem}w2"]
    t1, t2 = loads[f"trivial.{stem}w1"], loads[f"trivial.{stem}w2"]
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
