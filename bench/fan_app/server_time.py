"""The server's own time for the measured claims: its `geohunt_request_seconds` histogram of
accepted `POST /v1/scans`, read from /metrics before and after them. It starts when the app's
middlewares see the request and ends when the handler returns, so what the page's clock adds
to it is the browser, the socket and the wait for a CPU."""

from __future__ import annotations

import math
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

FAMILY = "geohunt_request_seconds"
LABELS = {"method": "POST", "route": "/v1/scans", "status": "201"}


async def scan_histogram(origin: str) -> dict[str, Any]:
    """The histogram's count, sum (s) and cumulative buckets (upper bound in s: count)."""
    async with aiohttp.ClientSession() as session, session.get(f"{origin}/metrics") as answer:
        answer.raise_for_status()
        text = await answer.text()
    found: dict[str, Any] = {"count": 0.0, "sum": 0.0, "buckets": {}}
    for family in text_string_to_metric_families(text):
        if family.name != FAMILY:
            continue
        for sample in family.samples:
            labels = dict(sample.labels)
            if any(labels.get(k) != v for k, v in LABELS.items()):
                continue
            if sample.name.endswith("_bucket"):
                found["buckets"][float(labels["le"])] = sample.value
            elif sample.name.endswith("_count"):
                found["count"] = sample.value
            elif sample.name.endswith("_sum"):
                found["sum"] = sample.value
    return found


def between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The scans answered between two readings: how many, their mean (ms), and the bucket
    bound under which 50% and 95% of them fell (ms; the histogram's resolution)."""
    count = int(after["count"] - before["count"])
    total = after["sum"] - before["sum"]
    counts = {le: n - before["buckets"].get(le, 0.0) for le, n in sorted(after["buckets"].items())}

    def bound(q: float) -> float | None:
        for le, n in counts.items():
            if count and n >= q * count:
                return None if math.isinf(le) else le * 1000
        return None

    return {
        "count": count,
        "mean_ms": round(1000 * total / count, 2) if count else None,
        "p50_under_ms": bound(0.50),
        "p95_under_ms": bound(0.95),
    }
