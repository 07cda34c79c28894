"""The app as `geohunt serve` runs it, plus two routes that exist only for the benchmark.

    python -m bench.server --port P     (settings from the environment, URLs resolved)

- `GET /bench/trivial`: a tiny JSON answer, the cost of HTTP and the middlewares alone;
- `POST /bench/insert`: one INSERT of a scan-attempt-shaped row through the app's own pool, the
  cost of one durable write: the floor any accepted scan pays.
"""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

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
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    from infra.embedded import resolve_service_urls

    settings = resolve_service_urls(Settings.from_env())
    run_app(bench_app(settings), host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
