"""Every error leaves as RFC 9457 problem+json with a stable `code`; nothing else gets out."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

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
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "internal_error", "Internal server error")
