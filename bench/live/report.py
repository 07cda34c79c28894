"""The "Live pushes" section of BENCHMARKS.md: what was measured, against the target."""

from __future__ import annotations

from typing import Any

from bench.live.options import LiveOptions
from bench.report import machine_line, measured_line, met
from server.live.hub import FLUSH_EVERY_S

BEGIN = "<!-- bench:live:begin -->"
END = "<!-- bench:live:end -->"
MAX_P99_MS = 100.0


def summary(results: dict[str, Any], opts: LiveOptions) -> dict[str, Any]:
    p99 = results["latency_ms"].get("p99", float("inf"))
    accepted = results["scans"]["statuses"].get("201", 0)
    return {
        "p50_ms": results["latency_ms"].get("p50"),
        "p99_ms": p99,
        "p99_under_100ms": p99 < MAX_P99_MS,
        "nobody_missed": results["missing"] == 0 and results["clients_with_extra"] == 0,
        "all_accepted": accepted == results["scans"]["sent"] == int(opts.rate * opts.duration),
    }


def section(results: dict[str, Any], opts: LiveOptions, command: str) -> str:
    s, m, svc = results["summary"], results["machine"], results["services"]
    lat, scans, cpu = results["latency_ms"], results["scans"], results["cpu_pct"]
    ms = lat.get
    lines = [
        BEGIN,
        "## Live pushes",
        "",
        measured_line(results["date"], command),
        "",
        f"- {machine_line(m, kernel=True)}; PostgreSQL {svc['postgresql']}, "
        f"Redis {svc['redis']}. Both server processes, PostgreSQL, Redis and every client "
        "share these CPUs.",
        f"- {opts.servers} server processes (`geohunt serve`'s app) on one database; "
        f"{results['clients']:,} WebSocket clients watching one hunt, "
        f"{results['clients'] // opts.servers:,} on each process, run by "
        f"{opts.client_processes} client processes (connected in {results['connect_s']:g} s, "
        f"each sent its snapshot). Scans, from the benchmark's own process: an open loop of "
        f"{opts.rate:g}/s for {opts.duration:g} s (after {opts.warmup:g} s of warm-up), "
        "alternating between the server processes, each a new find of one of "
        f"{opts.collectibles} billboards.",
        "- Latency: from the moment a scan's 201 was read to the moment each client read the "
        "find, over every (client, find) pair (both on CLOCK_MONOTONIC, one clock for all "
        "processes). The path: the find's trigger writes its event, "
        "the relay (one of the two processes) moves it to the hunt's Redis stream, each "
        "process's hub reads it and writes it to its clients' sockets.",
        "",
        "| measure | result | target | |",
        "|---|---|---|---|",
        f"| scans accepted | {scans['statuses'].get('201', 0):,} of {scans['sent']:,} "
        f"(scan p50 {scans['latency_ms'].get('p50', 0):.1f} ms, p99 "
        f"{scans['latency_ms'].get('p99', 0):.1f} ms) | all | {met(s['all_accepted'])} |",
        f"| 201 to client, p50 | {ms('p50', 0):.1f} ms | | |",
        f"| 201 to client, p99 | {ms('p99', 0):.1f} ms | under {MAX_P99_MS:g} ms | "
        f"{met(s['p99_under_100ms'])} |",
        f"| 201 to client, p90 / max | {ms('p90', 0):.1f} / {ms('max', 0):.1f} ms | | |",
        f"| finds received | {results['receipts']:,} of {results['expected_receipts']:,} "
        f"({results['finds']:,} finds x {results['clients']:,} clients); "
        f"{results['clients_complete']:,} clients got every find, "
        f"{results['clients_with_extra']} got one twice | nobody missing a message | "
        f"{met(s['nobody_missed'])} |",
        "",
        f"CPU during the measurement (% of one core): servers {cpu['servers']:.0f}, clients "
        f"{cpu['clients']:.0f}, scans {cpu['scans']:.0f}, PostgreSQL {cpu['postgres']:.0f}, "
        f"Redis {cpu['redis']:.0f}, of {results['machine_cpus'] * 100} available. "
        f"{results['before_201']:,} receipts were read before the scan's 201 was (counted as "
        f"0 ms). All clients had everything {results['drain_s']:g} s after the last scan.",
        "",
        "Reading: most of a push's cost is the system call that writes it to each socket (and "
        "the one that reads it on the other side), so each process sends a hunt's messages "
        f"together when they come less than {FLUSH_EVERY_S * 1000:g} ms apart "
        "(`FLUSH_EVERY_S` in `server/live/hub.py`): one write per client per interval instead "
        "of one per find. At this rate that wait is most of the p50; written one by one, the "
        "same load kept both cores busy and the p99 went past the target.",
        END,
    ]
    return "\n".join(lines) + "\n"
