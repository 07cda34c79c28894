"""The table of measured loads (`bench.loads` entries) in the scan-path and AR-hints sections:
one row per load, with its rate, latencies, the CPU each party spent per request and the
answers."""

from __future__ import annotations

from typing import Any

HEAD = [
    "| load | req/s | p50 ms | p99 ms | CPU us/request: server / postgres / redis / "
    "generator / other (machine busy) | answers |",
    "|---|---:|---:|---:|---|---|",
]


def accepted_rate(entry: dict[str, Any]) -> float:
    """Scans accepted (201) per second."""
    return float(entry["statuses"].get("201", 0) / entry["duration_s"])


def ms(entry: dict[str, Any], name: str) -> str:
    value = entry["latency_ms"].get(name)
    return "-" if value is None else f"{value:.1f}"


def _cpu(entry: dict[str, Any]) -> str:
    c = entry["cpu_us_per_request"]
    parts = (c["server"], c["postgres"], c["redis"], c["loadgen"], c.get("other", 0.0))
    return " / ".join(f"{v:,.0f}" for v in parts) + f" ({c['busy_pct']:.0f}%)"


def _answers(entry: dict[str, Any]) -> str:
    text = ", ".join(f"{n} x {code}" for code, n in entry["statuses"].items())
    return text + (f", {entry['errors']} errors" if entry["errors"] else "")


def row(name: str, entry: dict[str, Any], rate: float) -> str:
    return (
        f"| {name} | {rate:,.0f} | {ms(entry, 'p50')} | {ms(entry, 'p99')} | "
        f"{_cpu(entry)} | {_answers(entry)} |"
    )
