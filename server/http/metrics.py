"""Prometheus metrics: defined once per process, exported at /metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import Counter, Gauge, Histogram

SCANS = Counter("geohunt_scans_total", "Scan attempts by verdict", ["verdict"])
REQUEST_SECONDS = Histogram(
    "geohunt_request_seconds",
    "HTTP request latency",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
ALERTS = Counter("geohunt_alerts_total", "Alerts raised", ["kind"])
# Admission (server/http/admission.py): requests answered 503 at once instead of late, by route
# and why (overloaded: the wait, done or ahead, was too long; budget: a scan that waited too
# long before its claim; client_gone: the client left while it waited), and the waits.
SHED = Counter("geohunt_shed_total", "Requests shed", ["route", "reason"])
QUEUE_DELAY = Histogram(
    "geohunt_queue_delay_seconds",
    "Time a request waited (or would have, when refused at once) for the loop and a slot",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0),
)
INFLIGHT = Gauge("geohunt_inflight_requests", "Requests being handled by this process")
OVERLOADED = Gauge("geohunt_overloaded", "1 while this process sheds load")
# Reads that may be a moment behind (infra/replica.py): which pool served each, whether the
# replica serves them now, and its last measured lag (NaN while away or not configured).
DB_READS = Counter(
    "geohunt_db_reads_total",
    "Reads that may be a moment behind, by the pool that served them (replica or primary)",
    ["pool"],
)
REPLICA_IN_USE = Gauge(
    "geohunt_db_replica_in_use", "1 while reads that may be a moment behind go to the replica"
)
# Objects exempt from garbage collection since start-up (infra/heap.py): 0 where the process
# was not started by `run_app`.
HEAP_FROZEN = Gauge(
    "geohunt_heap_frozen_objects", "Objects left out of garbage collection since start-up"
)
REPLICA_LAG = Gauge(
    "geohunt_db_replica_lag_seconds",
    "How far behind the primary the read replica was at its last measurement",
)


def count_read(served_by: str) -> None:
    DB_READS.labels(served_by).inc()


def publish_replica(in_use: bool, lag_s: float | None) -> None:
    """Set at each scrape from the process's read router."""
    REPLICA_IN_USE.set(1 if in_use else 0)
    REPLICA_LAG.set(float("nan") if lag_s is None else lag_s)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def timing_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        # The route template, not the path, keeps the label set bounded.
        info = request.match_info.route.resource
        route = info.canonical if info is not None else "unmatched"
        REQUEST_SECONDS.labels(request.method, route, str(status)).observe(
            time.perf_counter() - started
        )
