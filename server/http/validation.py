"""Request bodies and query strings validated at the edge into typed, bounded values."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic_core
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import BaseModel, ValidationError

from hunt_engine.errors import HuntError, InvalidRequest, PayloadTooLarge

M = TypeVar("M", bound=BaseModel)


class UnreadableBody(InvalidRequest):
    """The request body could not be read."""


class RequestTimeout(HuntError):
    """The request body did not arrive in time."""

    # Raised by the body's stream itself when the server's body deadline passes
    # (server.http.server), so every reader of the body, read_body or not, gets it.
    status, code = 408, "request_timeout"


def describe(err: ValidationError) -> str:
    parts = []
    for item in err.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, at most `limit` bytes. A declared length over the limit is refused
    before reading; a chunked body is read until it ends or passes the limit.

    `StreamReader.read(n)` returns what has arrived so far, up to n bytes, not n bytes: a body
    that comes in several TCP segments must be read in a loop, or it is silently cut short.

    A body still arriving when the server's body deadline passes raises `RequestTimeout`."""
    too_large = PayloadTooLarge(f"body over {limit} bytes")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    parts: list[bytes] = []
    size = 0
    while True:
        try:
            part = await request.content.read(limit + 1 - size)
        except (web.RequestPayloadError, HttpProcessingError) as err:
            # e.g. `Content-Encoding: gzip` over bytes that are not gzip, a broken chunk.
            detail = " ".join(str(err).split())
            raise UnreadableBody(f"the body could not be read: {detail}"[:300]) from None
        except ConnectionError:
            # The client went away mid-body: its error, not ours, and no one is left to answer.
            raise UnreadableBody("the connection closed before the body ended") from None
        if not part:
            return b"".join(parts)
        size += len(part)
        if size > limit:
            raise too_large
        parts.append(part)


def parse_json(raw: bytes) -> Any:
    """A body that is JSON and nothing else: no `NaN`/`Infinity` literals, no invalid UTF-8,
    nesting bounded (a deep `[[[[...` is refused, never a RecursionError)."""
    try:
        return pydantic_core.from_json(raw, allow_inf_nan=False)
    except ValueError as err:
        raise InvalidRequest(f"the body is not JSON: {err}") from None


def parse_model(model: type[M], raw: bytes) -> M:
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as err:
        raise InvalidRequest(describe(err)) from None


def parse_query(model: type[M], request: web.Request) -> M:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as err:
        raise InvalidRequest(describe(err)) from None
