"""The "Scan storms" section of BENCHMARKS.md: a row per phase, the targets of issue 16 with
met or missed, and a reading of what limited the run."""

from __future__ import annotations

from typing import Any

from bench.report import machine_line, measured_line, met, percentiles

BEGIN = "<!-- bench:storm:begin -->"
END = "<!-- bench:storm:end -->"
MIN_5X_OVER_1X = 0.9
MAX_ACCEPTED_P99_MS = 200.0
MAX_SHED_P99_MS = 10.0
MAX_HEALTHZ_P99_MS = 50.0
MAX_RSS_GROWTH = 0.10  # the server's RSS after the last phase over after the first
MAX_ABANDONED_FINDS = 0.02


def _p(latency: dict[str, float], key: str) -> float | None:
    return latency.get(key) if latency else None


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def summary(results: dict[str, Any]) -> dict[str, Any]:
    phases = results["phases"]
    first, last = phases[0], phases[-1]
    ratio = last["accepted_per_s"] / first["accepted_per_s"] if first["accepted_per_s"] else 0.0
    accepted_p99 = [_p(p["latency_ms"]["201"], "p99") for p in phases]
    shed_p99 = [_p(p["latency_ms"]["503"], "p99") for p in phases]
    healthz_p99 = [_p(p["probe_ms"], "p99") for p in phases]
    other_5xx = sum(
        n
        for p in phases
        for code, n in p["statuses"].items()
        if code.startswith("5") and code != "503"
    )
    probe_failures = sum(n for p in phases for k, n in p["probes"].items() if k != "200")
    rss_first, rss_last = first["rss_mb"]["last"], last["rss_mb"]["last"]
    growth = (rss_last - rss_first) / rss_first if rss_first else 0.0
    accepted = sum(p["accepted"] for p in phases) + results["capacity"]["accepted"]
    stored = sum(p["accepted_stored"] for p in phases) + results["capacity"]["accepted_stored"]
    distinct = (
        sum(p["accepted_distinct"] for p in phases) + results["capacity"]["accepted_distinct"]
    )
    finds = sum(p["finds"] for p in phases)
    gave_up = sum(p["abandoned_finds"] + p["errors_finds"] for p in phases)
    unexplained = (
        sum(p["unexplained_finds"] for p in phases) + results["capacity"]["unexplained_finds"]
    )
    numbers = {
        "capacity_per_s": results["capacity"]["accepted_per_s"],
        "last_over_first": round(ratio, 3),
        "accepted_p99_ms": max((v for v in accepted_p99 if v is not None), default=0.0),
        "shed_p99_ms": max((v for v in shed_p99 if v is not None), default=0.0),
        "other_5xx": other_5xx,
        "healthz_p99_ms": max((v for v in healthz_p99 if v is not None), default=0.0),
        "probe_failures": probe_failures,
        "rss_growth": round(growth, 3),
        "accepted": accepted,
        "accepted_stored": stored,
        "accepted_distinct": distinct,
        "finds": finds,
        "gave_up_finds": gave_up,
        "gave_up_share": round(gave_up / finds, 4) if finds else 0.0,
        "unexplained_finds": unexplained,
    }
    targets = {
        "accepted_5x": ratio >= MIN_5X_OVER_1X,
        "accepted_p99": numbers["accepted_p99_ms"] < MAX_ACCEPTED_P99_MS,
        "shed_p99": numbers["shed_p99_ms"] < MAX_SHED_P99_MS,
        "no_other_5xx": other_5xx == 0,
        "healthz_p99": numbers["healthz_p99_ms"] < MAX_HEALTHZ_P99_MS and probe_failures == 0,
        "memory_flat": growth <= MAX_RSS_GROWTH,
        "durable": stored == accepted == distinct and unexplained == 0,
        "gave_up_finds": numbers["gave_up_share"] < MAX_ABANDONED_FINDS,
    }
    return {"numbers": numbers, "targets": targets}


def _answers(statuses: dict[str, int]) -> str:
    return ", ".join(f"{n:,} x {s}" for s, n in sorted(statuses.items())) or "-"


def _cpu(c: dict[str, float]) -> str:
    return (
        f"{c['server']:.0f} / {c['postgres']:.0f} / {c['redis']:.0f} / {c['loadgen']:.0f} /"
        f" {c['bench'] + c['other']:.0f} ({c['busy']:.0f})"
    )


def phase_rows(results: dict[str, Any]) -> list[str]:
    rows = [
        "| phase | offered/s | sent | answers | accepted/s | gave up (their finds)"
        " | listen queue overflows"
        " | 201 p50 / p99 ms | 503 p50 / p99 ms | `/healthz` p99 ms | client lag p99 ms"
        " | RSS MB first / max / last"
        " | CPU %: server / PostgreSQL / Redis / client / other (busy) |",
        "|---|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---|---|",
    ]
    cap = results["capacity"]
    for p in [cap, *results["phases"]]:
        offered = "closed" if p["mode"] == "closed" else f"{p['rate_target']:,.0f}"
        label = (
            f"capacity ({p['connections']} connections, closed)"
            if p["mode"] == "closed"
            else f"{p['label']}"
        )
        gave_up = f"{p['abandoned']:,} ({p['abandoned_finds']:,})"
        if p.get("abandoned_unsent"):
            gave_up += f", {p['abandoned_unsent']:,} of them never sent"
        if p["errors"]:
            kinds = ", ".join(f"{n:,} {k}" for k, n in sorted(p.get("error_kinds", {}).items()))
            gave_up += f"; {p['errors']:,} failed ({p['errors_finds']:,})"
            gave_up += f": {kinds}" if kinds else ""
        a, s = p["latency_ms"]["201"], p["latency_ms"]["503"]
        rss = p["rss_mb"]
        rows.append(
            f"| {label} | {offered} | {p['sent']:,} | {_answers(p['statuses'])} |"
            f" {p['accepted_per_s']:,.0f} | {gave_up} | {p.get('listen_overflows', 0):,} |"
            f" {_ms(_p(a, 'p50'))} / {_ms(_p(a, 'p99'))} |"
            f" {_ms(_p(s, 'p50'))} / {_ms(_p(s, 'p99'))} |"
            f" {_ms(_p(p['probe_ms'], 'p99'))} | {_ms(p['send_lag_ms'].get('p99'))} |"
            f" {rss['first']:.0f} / {rss['max']:.0f} / {rss['last']:.0f} | {_cpu(p['cpu_pct'])} |"
        )
    return rows


def wire_rows(results: dict[str, Any]) -> list[str]:
    """The same answers' p99 timed twice: from the due time (the table above) and on the wire,
    from the request's handing to the kernel to its answer's arrival at the client's socket;
    and the 201s' p99 on the wire taken second by second (the median second and the worst):
    close together, the latency is a standing queue; far apart, a few stalls."""
    rows = [
        "| phase | 201 p99 ms: from due time / on the wire | 503 p99 ms: from due time / on the"
        " wire | 201 p99 ms on the wire, second by second: median / worst second |"
        " client lag p99 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for p in results["phases"]:
        wire = p.get("wire_ms", {})
        a, s = p["latency_ms"]["201"], p["latency_ms"]["503"]
        seconds = percentiles(p.get("wire_201_p99_by_second", []))
        by_second = f"{_ms(seconds['p50'])} / {_ms(seconds['max'])}" if seconds else "-"
        rows.append(
            f"| {p['label']} | {_ms(_p(a, 'p99'))} / {_ms(_p(wire.get('201', {}), 'p99'))} |"
            f" {_ms(_p(s, 'p99'))} / {_ms(_p(wire.get('503', {}), 'p99'))} | {by_second} |"
            f" {_ms(p['send_lag_ms'].get('p99'))} |"
        )
    return rows


def target_rows(results: dict[str, Any]) -> list[str]:
    n, t = results["summary"]["numbers"], results["summary"]["targets"]
    phases = results["phases"]
    first, last = phases[0]["label"], phases[-1]["label"]
    per = ", ".join(f"{p['label']} {_ms(_p(p['latency_ms']['201'], 'p99'))}" for p in phases)
    shed = ", ".join(f"{p['label']} {_ms(_p(p['latency_ms']['503'], 'p99'))}" for p in phases)
    probes = ", ".join(f"{p['label']} {_ms(_p(p['probe_ms'], 'p99'))}" for p in phases)
    return [
        "| target | result | |",
        "|---|---|---|",
        f"| accepted/s at {last} >= {MIN_5X_OVER_1X:.0%} of {first} |"
        f" {last}/{first} = {n['last_over_first']:.2f}"
        f" ({phases[-1]['accepted_per_s']:,.0f} vs {phases[0]['accepted_per_s']:,.0f}) |"
        f" {met(t['accepted_5x'])} |",
        f"| p99 of accepted scans under {MAX_ACCEPTED_P99_MS:.0f} ms | {per} |"
        f" {met(t['accepted_p99'])} |",
        f"| p99 of 503 answers under {MAX_SHED_P99_MS:.0f} ms | {shed} | {met(t['shed_p99'])} |",
        f"| no 5xx but 503 | {n['other_5xx']:,} | {met(t['no_other_5xx'])} |",
        f"| `/healthz` p99 under {MAX_HEALTHZ_P99_MS:.0f} ms in every phase | {probes}"
        f" ({n['probe_failures']} probes failed) | {met(t['healthz_p99'])} |",
        f"| the server's memory flat (RSS after {last} within {MAX_RSS_GROWTH:.0%} of after"
        f" {first}) | {n['rss_growth']:+.1%} | {met(t['memory_flat'])} |",
        f"| every 201 durable (its find in the database afterwards) |"
        f" {n['accepted_stored']:,} of {n['accepted']:,} found ({n['accepted_distinct']:,}"
        f" distinct); {n['unexplained_finds']} finds without an answer that explains them |"
        f" {met(t['durable'])} |",
        f"| finds stored for clients that gave up under {MAX_ABANDONED_FINDS:.0%} of all finds"
        f" | {n['gave_up_finds']:,} of {n['finds']:,} ({n['gave_up_share']:.2%}) |"
        f" {met(t['gave_up_finds'])} |",
    ]


def offered_base(options: dict[str, Any]) -> str:
    """What the open loop's phases offer multiples of."""
    rate = options.get("rate")
    return "it" if not rate else f"{rate:,.0f} scans/s (fixed by `--rate`, not the capacity)"


def section(results: dict[str, Any], command: str) -> str:
    o, adm, svc = results["options"], results["admission"], results["services"]
    return "\n".join(
        [
            BEGIN,
            "## Scan storms (admission control under 1x, 2x and 5x the capacity)",
            "",
            measured_line(results["date"], command),
            "",
            f"- {machine_line(results['machine'])}; PostgreSQL {svc['postgresql']}"
            f" (synchronous_commit={svc['synchronous_commit']}), Redis {svc['redis']}. The"
            " server's processes, PostgreSQL, Redis and the load generator all share these"
            " CPUs: the client's share is in the CPU column.",
            f"- The server as `geohunt serve` runs it: {o['workers']} process(es) on one port"
            f" (the same supervisor and SO_REUSEPORT), each on {svc.get('event_loop', 'asyncio')}"
            f" with its asyncpg pool of {adm['db_pool_max']} and its admission queue: target"
            f" {adm['queue_target_ms']:g}"
            f" ms, interval {adm['queue_interval_ms']:g} ms, {adm['max_inflight']} in flight,"
            f" scan budget {adm['scan_budget_ms']:g} ms (the defaults).",
            f"- One hunt of {o['collectibles']} clues (no supply limit) in a cluster 800 m"
            f" across; {results['hunters']:,} hunters. Every request is a distinct (hunter,"
            " collectible) pair sent from the spot, consecutive ones by different hunters at"
            " different clues, so every scan the server takes on is accepted.",
            f"- Capacity: accepted scans/s of a closed loop ({o['connections']} connections,"
            f" {o['capacity_duration']:g} s, after a {o['warmup']:g} s warm-up). Then an open"
            f" loop from {o['generators']} generator processes on one timetable offers each"
            f" multiple of {offered_base(o)} for {o['duration']:g} s: request n is sent at its"
            " due time whatever came before, on the connection idle the longest (a new one when"
            " none is idle, so that requests spread over the server's processes as many"
            " clients' connections would), its latency"
            f" counted from that due time, and its client gives up {o['timeout']:g} s after it and"
            " closes the connection. `/healthz` is probed"
            f" {o['probe_rate']:g} times a second, each probe on a new connection; the"
            " server's RSS (all its processes) is sampled once a second. Before each phase:"
            " `VACUUM ANALYZE` and a bounded wait for other jobs on the machine to stop.",
            "- After each phase the benchmark checks in the database that each 201's find"
            " exists, and counts the finds of the requests whose client gave up (by their"
            " hunter and collectible). PostgreSQL's CPU counts this database's backends and"
            " PostgreSQL's shared processes only: other jobs on the machine are in `other`."
            " Listen queue overflows: the kernel's count (the whole machine's) of connections"
            " it dropped because a listen queue was full; their clients retry after 1 s, 3 s...",
            "",
            *phase_rows(results),
            "",
            "The generator is a Python process on the same two CPUs, and the latencies above"
            " include its own lags: in sending a request after its due time, and in reading its"
            " answer after it arrived. On the wire is the same answer timed from the request's"
            " handing to the kernel to the kernel's receive timestamp of its answer at the"
            " client's socket (`SO_TIMESTAMPNS`): what the server and the kernel took, without"
            " the client's lags. The targets are judged on the latencies from the due time.",
            "",
            *wire_rows(results),
            "",
            *target_rows(results),
            "",
            "Reading: " + reading(results),
            END,
        ]
    )


def reading(results: dict[str, Any]) -> str:
    n, t = results["summary"]["numbers"], results["summary"]["targets"]
    adm, last = results["admission"], results["phases"][-1]
    missed = [k for k, ok in t.items() if not ok]
    c = last["cpu_pct"]
    shed = last["latency_ms"]["503"]
    parts = [
        f"met {len(t) - len(missed)} of {len(t)} targets"
        + (f" (missed: {', '.join(missed)})." if missed else "."),
        f"At {last['label']} the machine was {c['busy']:.0f}% busy: server {c['server']:.0f}%,"
        f" PostgreSQL {c['postgres']:.0f}%, Redis {c['redis']:.0f}%, the load generator"
        f" {c['loadgen']:.0f}%, anything else (other jobs on the machine, the kernel)"
        f" {c['other'] + c['bench']:.0f}%. The generator's own lag (from a request's due time"
        f" to its sending) reached p99 {_ms(last['send_lag_ms'].get('p99'))} ms there, and"
        " every latency above includes it.",
    ]
    wire = last.get("wire_ms", {})
    if wire.get("503") or wire.get("201"):
        parts.append(
            f"On the wire, without the client's lags, the p99s at {last['label']} were"
            f" {_ms(_p(wire.get('201', {}), 'p99'))} ms for 201s and"
            f" {_ms(_p(wire.get('503', {}), 'p99'))} ms for 503s."
        )
    if last["accepted_per_s"]:
        per_scan = last["answered_per_s"] / last["accepted_per_s"] - 1
        parts.append(
            f"Each accepted scan at {last['label']} came with {per_scan:.1f} refusals, whose"
            " cost (the connection, parsing the request, the admission check, the 503) is CPU"
            " the accepted ones do not get."
        )
    if shed:
        parts.append(
            "A 503 is decided as the request reaches its process: when no slot is free and"
            " the queue ahead would take longer than a request may wait"
            f" ({adm['queue_target_ms']:g} ms while a process is overloaded, a quarter of it at"
            f" the door; {adm['queue_interval_ms']:g} ms before it knows it is), or when the"
            " request waited that long for the event loop; a queued request is served in its"
            " turn. Its latency is what the event loop and the listen queue owe it on a"
            f" saturated machine (503 p50 {_ms(shed.get('p50'))} ms, p99"
            f" {_ms(shed.get('p99'))} ms at {last['label']}). `/healthz` is never queued, but"
            " shares the loop, the listen queue and the CPU with everything else."
        )
    if n["gave_up_finds"] == 0 and sum(p["abandoned"] for p in results["phases"]):
        parts.append(
            "No request whose client gave up left a find: the scan budget"
            f" ({adm['scan_budget_ms']:g} ms) and the departed-client check refuse such scans"
            " before their claim."
        )
    return " ".join(parts)
