"""Every error leaves as RFC 9457 problem+json with a stable `code`; nothing else gets out."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from hunt_engine.errors import HuntError, PayloadTooLarge

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
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
        status=status, text=json.dumps(body), content_type=PROBLEM_TYPE, headers=headers
    )


def from_error(err: HuntError) -> web.Response:
    return problem(err.status, err.code, err.title, err.detail, **err.extra)


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except HuntError as err:
        return from_error(err)
    except web.HTTPRequestEntityTooLarge:
        return from_error(PayloadTooLarge())
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
