"""One table of routes: each declares its roles, body and answers, so that authentication,
validation and the OpenAPI description all come from the same declaration and cannot drift."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import BaseModel

from hunt_engine.errors import NotFound
from server.http.app_keys import SERVICES
from server.http.auth import Principal, Role, authenticate, bearer_token
from server.http.validation import parse_model, parse_query, read_body

if TYPE_CHECKING:
    from server.bootstrap.services import Services

ANYONE: frozenset[Role] = frozenset()
PATH_PARAM = re.compile(r"{(\w+)}")
# A path parameter declared without a schema is a slug (a hunt's).
SLUG_SCHEMA: dict[str, Any] = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,62}$"}


@dataclass(slots=True)
class Call:
    """What a handler receives: the request, its caller and its validated input."""

    request: web.Request
    principal: Principal | None
    body: Any
    query: Any

    @property
    def services(self) -> Services:
        return self.request.app[SERVICES]

    @property
    def who(self) -> Principal:
        assert self.principal is not None, "route declared without roles"
        return self.principal


Handler = Callable[[Call], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    roles: frozenset[Role]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    ok_status: int = 200
    ok_schema: type[BaseModel] | dict[str, Any] | None = None
    ok_media: str = "application/json"
    # Other answers a query may ask for instead (e.g. `?format=csv`).
    alt_media: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()
    optional_auth: bool = False
    # The token may come as `?token=` (WebSocket, EventSource and pages cannot set headers).
    query_token: bool = False
    # A body the handler reads itself (its size limit, its parsing), described by this schema
    # under `raw_media` (e.g. an image upload: its media types, the schema a binary string).
    raw_body: dict[str, Any] | None = None
    raw_media: tuple[str, ...] = ("application/json",)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    tag: str = "geohunt"


class RouteTable:
    """One feature's routes, declared with `@TABLE.route(...)` beside their handlers; the app
    installs the tables it is given (server/route_table.py lists them), nothing else."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self, method: str, path: str, summary: str, **options: Any
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            roles = options.pop("roles", ANYONE)
            self.routes.append(Route(method, path, handler, summary, frozenset(roles), **options))
            return handler

        return register


def path_schema(spec: Route, name: str) -> dict[str, Any]:
    declared = spec.params.get(name)
    return dict((declared or {}).get("schema", SLUG_SCHEMA))


PathCheck = Callable[[str], bool]


def _path_check(schema: dict[str, Any]) -> PathCheck:
    """What the description promises about a path parameter, checked on the raw text: a value
    it rules out names no resource (404), and never reaches a handler or the database."""
    if schema.get("type") == "integer":
        low = schema.get("minimum", -(2**63))
        high = schema.get("maximum", 2**63 - 1)
        return lambda raw: (
            0 < len(raw) <= 19 and raw.isascii() and raw.isdigit() and low <= int(raw) <= high
        )
    pattern = re.compile(schema["pattern"]) if "pattern" in schema else None
    low_len, high_len = schema.get("minLength", 0), schema.get("maxLength", 10_000)
    return lambda raw: (
        low_len <= len(raw) <= high_len
        and "\x00" not in raw
        and (pattern is None or pattern.search(raw) is not None)
    )


def _path_checks(spec: Route) -> dict[str, PathCheck]:
    return {name: _path_check(path_schema(spec, name)) for name in PATH_PARAM.findall(spec.path)}


def _endpoint(spec: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    checks = _path_checks(spec)

    async def endpoint(request: web.Request) -> web.StreamResponse:
        services = request.app[SERVICES]
        principal = None
        if spec.roles:
            principal = authenticate(
                request, services.tokens, spec.roles, query_allowed=spec.query_token
            )
        elif spec.optional_auth and bearer_token(request) is not None:
            principal = authenticate(request, services.tokens, frozenset(Role))
        for name, check in checks.items():
            value = request.match_info.get(name, "")
            if not check(value):
                raise NotFound(f"no such {name}: {value[:80]!r}")
        query = parse_query(spec.query, request) if spec.query else None
        body = None
        if spec.body is not None:
            raw = await read_body(request, services.settings.max_body_bytes)
            body = parse_model(spec.body, raw)
        return await spec.handler(Call(request, principal, body, query))

    return endpoint


INSTALLED: web.AppKey[list[Route]] = web.AppKey("routes", list)


def answers_head(spec: Route) -> bool:
    """Every `GET` route also answers `HEAD` (the contract), through the same endpoint: the
    same roles, checks and handler, so the same status and headers, and aiohttp sends no body.
    Not a WebSocket route (declared `ok_status=101`): `HEAD` cannot upgrade a connection, so
    there it is 405 with `Allow: GET`. `/openapi.json` lists no `HEAD` operation: HTTP gives
    every `GET` one (RFC 9110, 9.3.2), and the description stays one operation per route."""
    return spec.method == "GET" and spec.ok_status != 101


def install(app: web.Application, routes: list[Route]) -> None:
    app[INSTALLED] = routes
    for spec in routes:
        endpoint = _endpoint(spec)
        app.router.add_route(spec.method, spec.path, endpoint)
        if answers_head(spec):
            app.router.add_route("HEAD", spec.path, endpoint)
