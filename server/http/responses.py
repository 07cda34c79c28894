"""JSON answers with RFC 3339 UTC times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from infra.json_text import dumps_bytes


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(data: Any) -> str:
    return dumps_bytes(data, _default).decode()


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=dumps_bytes(data, _default),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def page(text: str, csp: str) -> web.Response:
    """An HTML page geohunt serves itself: its own Content-Security-Policy, never cached, and
    never naming its URL (which may carry a token) to anyone as a referrer."""
    return web.Response(
        text=text,
        content_type="text/html",
        headers={
            "Content-Security-Policy": csp,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


def iso(value: datetime | None) -> str | None:
    return None if value is None else _default(value)
