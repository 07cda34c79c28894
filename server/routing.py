"""One table of routes: each declares its roles, body and answers, so that authentication,
validation and the OpenAPI description all come from the same declaration and cannot drift."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from server.app_keys import SERVICES
from server.auth import Principal, Role, authenticate, bearer_token
from server.validation import parse_model, parse_query, read_body

ANYONE: frozenset[Role] = frozenset()


@dataclass(slots=True)
class Call:
    """What a handler receives: the request, its caller and its validated input."""

    request: web.Request
    principal: Principal | None
    body: Any
    query: Any

    @property
    def services(self) -> Any:
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
    errors: tuple[int, ...] = ()
    optional_auth: bool = False
    raw_body: dict[str, Any] | None = None
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    tag: str = "geohunt"


ROUTES: list[Route] = []


def route(method: str, path: str, summary: str, **options: Any) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        roles = options.pop("roles", ANYONE)
        ROUTES.append(Route(method, path, handler, summary, frozenset(roles), **options))
        return handler

    return register


def _endpoint(spec: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def endpoint(request: web.Request) -> web.StreamResponse:
        services = request.app[SERVICES]
        principal = None
        if spec.roles:
            principal = authenticate(request, services.tokens, spec.roles)
        elif spec.optional_auth and bearer_token(request) is not None:
            principal = authenticate(request, services.tokens, frozenset(Role))
        query = parse_query(spec.query, request) if spec.query else None
        body = None
        if spec.body is not None:
            raw = await read_body(request, services.settings.max_body_bytes)
            body = parse_model(spec.body, raw)
        return await spec.handler(Call(request, principal, body, query))

    return endpoint


def install(app: web.Application, routes: list[Route]) -> None:
    for spec in routes:
        app.router.add_route(spec.method, spec.path, _endpoint(spec))
