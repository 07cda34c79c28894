"""The app as `geohunt serve` runs it, plus two routes that exist only for the benchmark.

    python -m bench.server --port P [--workers N]   (settings from the environment, URLs resolved)

`--workers N` (N > 1) runs N such processes on the port as `geohunt serve --workers N` does: the
same supervisor (server/http/supervisor.py), SO_REUSEPORT, and each pool sized by the same rule.

- `GET /bench/trivial`: a tiny JSON answer, the cost of HTTP and the middlewares alone;
- `POST /bench/insert`: one INSERT of a scan-attempt-shaped row through the app's own pool, the
  cost of one durable write: the floor any accepted scan pays.
"""

from __future__ import annotations

import argparse
import logging
import sys

from aiohttp import web

from infra.event_loop import loop_factory
from infra.settings import Settings
from server.app import create_app
from server.http.app_keys import SERVICES
from server.http.responses import ok
from server.http.server import run_app

INSERT_SQL = (
    "INSERT INTO bench_writes (hunter_id, hunt_id, clue_id, verdict, lat, lon, accuracy_m,"
    " device_id, address) VALUES ($1, $2, $3, 'bench', $4, $5, $6, $7, $8)"
)


async def trivial(request: web.Request) -> web.Response:
    return ok({"ok": True})


async def insert(request: web.Request) -> web.Response:
    await request.read()
    pool = request.app[SERVICES].pool
    await pool.execute(INSERT_SQL, 1, 1, 1, 40.758, -73.9855, 10.0, "bench", request.remote)
    return ok({"ok": True}, status=201)


BENCH_ROUTES = [web.get("/bench/trivial", trivial), web.post("/bench/insert", insert)]


def bench_app(settings: Settings) -> web.Application:
    return create_app(settings, extra_routes=BENCH_ROUTES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1, help="server processes [1]")
    parser.add_argument("--reuse-port", action="store_true", help="share the port")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    from infra.embedded import resolve_service_urls

    settings = resolve_service_urls(Settings.from_env())
    if args.workers > 1:
        sys.exit(supervise_workers(settings, args.host, args.port, args.workers))
    run_app(
        bench_app(settings),
        host=args.host,
        port=args.port,
        access_log=None,
        print=None,
        reuse_port=args.reuse_port,
        loop_factory=loop_factory(settings.event_loop),
    )


def supervise_workers(settings: Settings, host: str, port: int, count: int) -> int:
    """What `geohunt serve --workers N` does (server/cli.py), with this module as the child."""
    import asyncio
    import os

    from infra.db import server_pool_max
    from server.http.supervisor import supervise

    assert settings.database_url and (settings.redis_url or settings.redis_cluster_nodes)
    pool_max = asyncio.run(server_pool_max(settings, count))
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        # With REDIS_CLUSTER_NODES (inherited) the cluster; REDIS_URL is then not needed.
        "REDIS_URL": settings.redis_url or "",
        "GEOHUNT_DB_POOL_MAX": str(pool_max),
        "GEOHUNT_DB_POOL_MIN": str(min(settings.db_pool_min, pool_max)),
    }
    child = [sys.executable, "-m", "bench.server", "--host", host, "--port", str(port)]
    return supervise([*child, "--workers", "1", "--reuse-port"], count, env)


if __name__ == "__main__":
    main()
