"""Request bodies and query strings validated at the edge into typed, bounded values."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic_core
from aiohttp import web
from pydantic import BaseModel, ValidationError

from hunt_engine.errors import InvalidRequest, PayloadTooLarge

M = TypeVar("M", bound=BaseModel)


def describe(err: ValidationError) -> str:
    parts = []
    for item in err.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


async def read_body(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"body over {limit} bytes")
    raw = await request.content.read(limit + 1)
    if len(raw) > limit:
        raise PayloadTooLarge(f"body over {limit} bytes")
    return raw


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
