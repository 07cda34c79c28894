"""The storm report says how the generators' connections failed (bench/storm/report.py)."""

from __future__ import annotations

import errno
import json
import socket
from pathlib import Path
from typing import Any

from bench.storm.__main__ import options, parse
from bench.storm.generator import KINDS, Conn, Generator, error_kind
from bench.storm.load import Load, merge
from bench.storm.report import offered_base, phase_rows, wire_rows


def phase(**overrides: Any) -> dict[str, Any]:
    latency = {"p50": 10.0, "p99": 20.0}
    base: dict[str, Any] = {
        "label": "5x", "mode": "open", "rate_target": 5000.0, "connections": 0, "sent": 1000,
        "statuses": {"201": 600, "503": 397}, "accepted_per_s": 600.0,
        "abandoned": 1, "abandoned_finds": 0, "errors": 0, "errors_finds": 0,
        "listen_overflows": 0, "latency_ms": {"201": latency, "503": latency},
        "probe_ms": latency, "send_lag_ms": {"p99": 1.0},
        "rss_mb": {"first": 300.0, "max": 310.0, "last": 305.0},
        "cpu_pct": {"server": 50, "postgres": 20, "redis": 2, "loadgen": 20, "bench": 1, "other": 3,
                    "busy": 95},
    }  # fmt: skip
    return {**base, **overrides}


def test_failed_connections_are_counted_by_kind() -> None:
    failed = phase(
        errors=3,
        error_kinds={"OSError EADDRNOTAVAIL": 2, "ConnectionResetError ECONNRESET": 1},
    )
    rows = phase_rows({"capacity": phase(mode="closed", connections=32), "phases": [failed]})
    assert (
        "| 1 (0); 3 failed (0): 1 ConnectionResetError ECONNRESET, 2 OSError EADDRNOTAVAIL |"
        in (rows[-1])
    )
    assert "failed" not in rows[-2]  # the capacity phase: none failed


def test_an_error_kind_is_its_class_and_errno_name() -> None:
    assert error_kind(OSError(errno.EADDRNOTAVAIL, "cannot assign")) == "OSError EADDRNOTAVAIL"
    assert error_kind(ConnectionRefusedError(errno.ECONNREFUSED, "refused")) == (
        "ConnectionRefusedError ECONNREFUSED"
    )
    assert error_kind(ConnectionError("connection closed")) == "ConnectionError"


def test_each_phase_shows_its_p99s_from_the_due_time_and_on_the_wire() -> None:
    timed = phase(
        latency_ms={"201": {"p99": 400.0}, "503": {"p99": 100.0}},
        wire_ms={"201": {"p99": 250.0}, "503": {"p99": 12.5}},
        send_lag_ms={"p99": 30.0},
        # seconds in phase order; the median second is 90, the worst 260
        wire_201_p99_by_second=[80.0, 260.0, 95.0, 90.0, 85.0, 120.0],
    )
    rows = wire_rows({"phases": [phase(label="1x", latency_ms={"201": {}, "503": {}}), timed]})
    assert rows[-1] == "| 5x | 400.0 / 250.0 | 100.0 / 12.5 | 90.0 / 260.0 | 30.0 |"
    # no answers of a kind: no figure
    assert rows[-2] == "| 1x | - / - | - / - | - | 1.0 |"


def generator_part(by_second: dict[str, list[float]], sent: int) -> dict[str, Any]:
    """One generator process's results as it writes them (JSON: the seconds are strings)."""
    latencies = {kind: [] for kind in KINDS} | {"201": [v for vs in by_second.values() for v in vs]}
    return {
        "duration_s": 3.0, "sent": sent, "statuses": {"201": len(latencies["201"])},
        "latencies_ms": latencies, "wire_ms": latencies, "wire_201_by_second": by_second,
        "find_ids": [], "abandoned": [], "errors": [], "error_kinds": {},
        "send_lag_ms": {"p50": 1.0, "p99": 2.0, "max": 3.0}, "connections_opened": 1,
        "abandoned_unsent": 0, "cpu_s": 0.5,
    }  # fmt: skip


def test_the_201s_p99_is_taken_in_each_second_over_all_generator_processes() -> None:
    parts = [
        generator_part({"0": [10.0, 12.0], "2": [300.0]}, sent=3),
        generator_part({"0": [50.0], "1": [20.0, 21.0], "2": [30.0]}, sent=4),
    ]
    merged = merge(Load("5x", "open", 3.0, rate=10.0), parts)
    # second 0: 10, 12, 50; second 1: 20, 21; second 2: 30, 300 (nearest-rank p99: the max)
    assert merged["wire_201_p99_by_second"] == [50.0, 21.0, 300.0]
    assert merged["wire_ms"]["201"]["max"] == 300.0


def test_a_fixed_rate_replaces_the_capacity_as_what_the_phases_offer_multiples_of() -> None:
    args = parse(["--rate", "2000", "--multipliers", "5"])
    assert options(args).rate == 2000.0 and options(parse([])).rate is None
    assert offered_base({"rate": 2000.0}) == "2,000 scans/s (fixed by `--rate`, not the capacity)"
    assert offered_base({"rate": None}) == "it"


async def test_a_request_goes_on_the_connection_idle_the_longest(tmp_path: Path) -> None:
    """As many phones' connections would, the generator's requests go round all its idle
    connections (and so over all the server's processes), not mostly through the last one
    answered (the process that answers fastest)."""
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"tokens": [], "bodies": []}))
    gen = Generator({"port": 1, "plan": str(plan)})
    pairs = [socket.socketpair() for _ in range(3)]
    conns = [Conn(ours) for ours, _ in pairs]
    try:
        gen.idle.extend(conns)
        first = gen.idle_connection()
        gen.idle.append(first)  # answered, idle again: behind the others
        assert [first, gen.idle_connection(), gen.idle_connection()] == conns
        assert gen.idle_connection() is first
        conns[1].close()
        gen.idle.extend([conns[1], conns[2]])
        assert gen.idle_connection() is conns[2]  # a closed one is passed over
    finally:
        for conn, (_, theirs) in zip(conns, pairs, strict=True):
            conn.close()
            theirs.close()
