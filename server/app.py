"""The application factory: `create_app(settings)` wires routes, middlewares and services."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.typedefs import Middleware

from infra.settings import Settings
from server.bootstrap.services import opened
from server.http.admission import Admission, admission_middleware, install_admission
from server.http.app_keys import SERVICES
from server.http.metrics import timing_middleware
from server.http.problems import problem_middleware
from server.http.proxies import proxies_middleware
from server.http.routing import install
from server.live.runtime import close_clients
from server.route_table import ROUTES


def create_app(
    settings: Settings, *, extra_routes: list[web.RouteDef] | None = None
) -> web.Application:
    # Shedding comes before anything reads the body or the database, after the clock starts.
    middlewares: list[Middleware] = [timing_middleware, admission_middleware, problem_middleware]
    if settings.trusted_proxies:
        # First: every later middleware and handler sees the client a trusted proxy named.
        middlewares.insert(0, proxies_middleware(settings.trusted_proxies))
    app = web.Application(middlewares=middlewares, client_max_size=settings.import_max_bytes)
    streams = [r.path for r in ROUTES if r.ok_status == 101 or r.ok_media == "text/event-stream"]
    install_admission(
        app,
        Admission(
            settings.queue_target_s,
            settings.queue_interval_s,
            settings.max_inflight,
            settings.scan_budget_s,
            streams,
        ),
    )

    async def services_ctx(app: web.Application) -> AsyncIterator[None]:
        async with opened(settings) as services:
            app[SERVICES] = services
            yield

    app.cleanup_ctx.append(services_ctx)
    app.on_shutdown.append(close_clients)
    install(app, ROUTES)
    if extra_routes:
        app.add_routes(extra_routes)
    return app
