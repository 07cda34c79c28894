"""What the live-push benchmark measures: the CPU each party spent, and from each scan's 201
to each client's receipt of its find (and whether every client got every find once)."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import psutil

from bench.live.scans import ScanLog
from bench.report import percentiles


def cpu_seconds(servers: list[int], clients: list[int]) -> dict[str, float]:
    parties = {"servers": 0.0, "clients": 0.0, "scans": 0.0, "postgres": 0.0, "redis": 0.0}
    me = os.getpid()
    for proc in psutil.process_iter(["name", "pid"]):
        try:
            times = proc.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        spent = times.user + times.system
        if proc.pid in servers:
            parties["servers"] += spent
        elif proc.pid in clients:
            parties["clients"] += spent
        elif proc.pid == me:
            parties["scans"] += spent
        elif proc.info["name"] == "postgres":
            parties["postgres"] += spent
        elif proc.info["name"] == "redis-server":
            parties["redis"] += spent
    return parties


def measure(reports: list[dict[str, Any]], log: ScanLog) -> dict[str, Any]:
    latencies: list[float] = []
    early = 0
    per_find = Counter[int]()
    got = [g for r in reports for g in r["got"]]
    for find_id, answered in log.accepted.items():
        times = [t for r in reports for t in r["times"].get(find_id, [])]
        per_find[len(times)] += 1
        for received in times:
            delta = (received - answered) * 1000
            if delta < 0:
                early += 1  # the push was read before the scan's answer
            latencies.append(max(0.0, delta))
    expected = len(log.accepted) * len(got)
    return {
        "scans": {
            "sent": sum(log.statuses.values()) + log.errors,
            "statuses": {str(k): v for k, v in sorted(log.statuses.items())},
            "errors": log.errors,
            "latency_ms": percentiles(log.latencies_ms),
        },
        "finds": len(log.accepted),
        "clients": len(got),
        "expected_receipts": expected,
        "receipts": len(latencies),
        "missing": expected - len(latencies),
        "clients_complete": sum(g == len(log.accepted) for g in got),
        "clients_with_extra": sum(g > len(log.accepted) for g in got),
        "finds_by_receivers": {str(k): v for k, v in sorted(per_find.items())},
        "before_201": early,
        "latency_ms": percentiles(latencies),
    }
