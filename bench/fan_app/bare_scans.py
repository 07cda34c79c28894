"""The claim's request without a browser: other fresh fans of the same hunt each send what the
app sends (`POST /v1/scans` with the billboard's code, where they stand, an Idempotency-Key)
from the benchmark's own process, one after another, once Chromium has closed. Beside the
claims' figures, it shows what the browser's company on the same CPUs costs a request."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bench.fan_app import server_time
from bench.fan_app.hunt import Fan, Hunt
from bench.fan_app.options import FanAppOptions

TIMEOUT_S = 20.0  # a bound against hanging, never a measurement


def body(hunt: Hunt) -> dict[str, Any]:
    lat, lon = hunt.at
    return {
        "code": hunt.code,
        "scanned_at": datetime.now(UTC).isoformat(),
        "device_id": str(uuid.uuid4()),
        "lat": lat,
        "lon": lon,
        "accuracy_m": FanAppOptions.accuracy_m,
    }


async def bare_scans(hunt: Hunt, fans: list[Fan]) -> dict[str, Any]:
    """Each fan's scan, timed from sending to the answer read (ms); the server's own time."""
    before = await server_time.scan_histogram(hunt.origin)
    latencies = []
    bound = aiohttp.ClientTimeout(total=TIMEOUT_S)
    url = f"{hunt.origin}/v1/scans"
    async with aiohttp.ClientSession(timeout=bound) as session:
        for fan in fans:
            headers = {"Authorization": f"Bearer {fan.token}", "Idempotency-Key": str(uuid.uuid4())}
            started = time.perf_counter()
            async with session.post(url, json=body(hunt), headers=headers) as answer:
                text = await answer.text()
            latencies.append(round((time.perf_counter() - started) * 1000, 2))
            if answer.status != 201:
                raise RuntimeError(f"a bare scan answered {answer.status}: {text[:300]}")
    after = await server_time.scan_histogram(hunt.origin)
    return {"ms": latencies, "server": server_time.between(before, after)}
