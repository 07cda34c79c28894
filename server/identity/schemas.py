"""Request and answer shapes of tokens, sign-in and /v1/me."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
)

from server.http.fields import (
    INTEGRAL,
    Handle,
    Slug,
    Strict,
)


class TokenIn(Strict):
    role: Literal["organiser", "field", "hunter", "screen"]
    sub: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:@-]{1,64}$")]
    ttl_s: Annotated[int, Field(ge=60, le=30 * 24 * 3600), INTEGRAL] = 24 * 3600
    hunt: Slug | None = None


class TokenOut(BaseModel):
    token: str
    expires_at: datetime


class HunterIn(Strict):
    handle: Handle


class HunterOut(BaseModel):
    hunter_id: int
    token: str


class NonceOut(BaseModel):
    nonce: str


class SiweIn(Strict):
    message: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    signature: Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{130}$")]


class SiweOut(BaseModel):
    hunter_id: int
    token: str
    wallet: str


class MeOut(BaseModel):
    hunter_id: int
    handle: str | None
    wallet: str | None
    score: int
    finds: int
