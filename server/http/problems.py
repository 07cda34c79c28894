"""Every error leaves as RFC 9457 problem+json with a stable `code`; nothing else gets out."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import asyncpg
from aiohttp import web

from hunt_engine.errors import HuntError, PayloadTooLarge
from server.http.validation import RequestTimeout, UnreadableBody

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}
_KEPT_HEADERS = frozenset({"allow", "retry-after"})
# The database is away (restarting, refusing connections, a connection cut mid-query): the
# request may succeed again shortly, so 503 with Retry-After, never a 500.
DATABASE_AWAY: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # class 08: the connection failed or was cut
    asyncpg.CannotConnectNowError,  # 57P03: starting up, shutting down, in recovery
    asyncpg.AdminShutdownError,  # 57P01
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,  # 53300
    ConnectionError,  # refused, reset, broken pipe (OSError)
    TimeoutError,  # a connection attempt that never got an answer
)
DATABASE_RETRY_AFTER_S = 2
_away_logged = 0.0


def problem(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> web.Response:
    body = {
        "type": f"https://geohunt.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
        **extra,
    }
    headers = dict(headers or {})
    if "retry_after_s" in extra:
        headers["Retry-After"] = str(extra["retry_after_s"])
    return web.Response(
        status=status, text=_dumps(body), content_type=PROBLEM_TYPE, headers=headers
    )


def status_problem(status: int, detail: str | None = None) -> web.Response:
    """The problem for a bare HTTP status, e.g. one the server itself answers before the app."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "HTTP error"
    return problem(status, _HTTP_CODES.get(status, "http_error"), title, detail)


def _plain(value: Any) -> Any:
    """A problem must always serialise, as strict JSON: a non-finite float becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _dumps(body: dict[str, Any]) -> str:
    return json.dumps(_plain(body), default=str, allow_nan=False)


def from_error(err: HuntError) -> web.Response:
    return problem(err.status, err.code, err.title, err.detail, **err.extra)


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await _answer(request, handler)
    if response.status >= 400 and not response.prepared and not request.content.is_eof():
        # The body was refused before it all arrived: it is not drained, so this connection
        # carries no other request; say so to the client.
        response.force_close()
    return response


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except HuntError as err:
        response = from_error(err)
        if isinstance(err, PayloadTooLarge | UnreadableBody | RequestTimeout):
            # The rest of the body was not read: this connection carries no other request.
            response.force_close()
        return response
    except web.HTTPRequestEntityTooLarge:
        response = from_error(PayloadTooLarge())
        response.force_close()
        return response
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        # A 405 must still say which methods the resource has (RFC 9110, 15.5.6).
        kept = {k: v for k, v in exc.headers.items() if k.lower() in _KEPT_HEADERS}
        return problem(exc.status, code, exc.reason, exc.text if exc.text else None, kept)
    except Exception as err:
        if database_away(err):
            if request.transport is None:
                # The client's own connection was lost: nobody reads this answer.
                return problem(499, "client_gone", "The client closed the connection")
            _log_away(request, err)
            return problem(
                503,
                "unavailable",
                "Service unavailable",
                "the database (or a service the server needs) cannot be reached; try again shortly",
                retry_after_s=DATABASE_RETRY_AFTER_S,
            )
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "internal_error", "Internal server error")


def database_away(err: BaseException | None) -> bool:
    """Whether `err`, or an error it was raised while handling, says the database connection
    failed: asyncpg's complaints about a connection found closed, or its protocol left in a
    broken state by one cut mid-operation, follow the cut itself."""
    for _ in range(8):  # a chain, never a loop
        if err is None:
            return False
        if isinstance(err, DATABASE_AWAY + (asyncpg.InternalClientError,)):
            return True
        if isinstance(err, asyncpg.InterfaceError) and "connection is closed" in str(err):
            return True
        err = err.__cause__ or err.__context__
    return False


def _log_away(request: web.Request, err: BaseException) -> None:
    """One line a second at most: an outage must not flood the log with one per request."""
    global _away_logged
    now = time.monotonic()
    if now - _away_logged >= 1.0:
        _away_logged = now
        name = type(err).__name__
        log.warning("503 on %s %s: database away (%s: %s)", request.method, request.path, name, err)
