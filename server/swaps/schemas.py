"""Request and answer shapes of swaps between fans: an offer, a signature, the swap with the
EIP-712 document both fans sign, and the tokens another fan holds (what an offer may ask for)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from hunt_engine.swaps import (
    MAX_EXPIRES_S,
    MAX_TOKEN_ID,
    MIN_EXPIRES_S,
    SIGNATURE_PATTERN,
    Status,
)
from server.http.fields import INTEGRAL, QUERY_INT, Lax, Strict

TokenId = Annotated[int, Field(ge=1, le=MAX_TOKEN_ID, description="a token id"), INTEGRAL]
ExpiresIn = Annotated[
    int,
    Field(ge=MIN_EXPIRES_S, le=MAX_EXPIRES_S, description="the offer's life in seconds"),
    INTEGRAL,
]
Signature = Annotated[
    str,
    StringConstraints(pattern=SIGNATURE_PATTERN),
    Field(description="0x-hex: eth_signTypedData_v4 of the swap's typed_data"),
]


class SwapIn(Strict):
    give_token_id: TokenId
    want_token_id: TokenId
    expires_in_s: ExpiresIn | None = Field(None, description="60 s to 7 days; a day if omitted")


class SignatureIn(Strict):
    signature: Signature


class MySwapsQuery(Lax):
    limit: Annotated[int, Field(ge=1, le=200), QUERY_INT] = 100


class SwapCollectibleOut(BaseModel):
    hunt: str
    key: str
    name: str


class SwapOut(BaseModel):
    id: int
    status: Status
    maker: str
    taker: str
    give_token_id: int
    want_token_id: int
    give: SwapCollectibleOut
    want: SwapCollectibleOut
    deadline: datetime
    offer_hash: str
    typed_data: dict[str, Any] = Field(
        description="the EIP-712 document for eth_signTypedData_v4: types, domain (chainId,"
        " verifyingContract), primaryType and message (maker, taker, giveId, wantId, deadline,"
        " nonce; uint256 values as decimal strings)"
    )
    maker_signed: bool
    taker_signed: bool
    tx_hash: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime


SWAP_LIST = {"type": "array", "items": SwapOut.model_json_schema()}

# At most this many of a fan's tokens in one answer: a phone's list of choices, not an export.
FAN_TOKENS_MAX = 100


class FanTokensQuery(Lax):
    limit: Annotated[int, Field(ge=1, le=FAN_TOKENS_MAX), QUERY_INT] = 50


class FanTokenCollectibleOut(BaseModel):
    hunt: str
    key: str
    name: str
    episode: str | None
    image_url: str | None


class FanTokenOut(BaseModel):
    token_id: str = Field(
        description="the token id as decimal digits (a moment's is past JavaScript's exact"
        " integers), what POST /v1/swaps takes as want_token_id"
    )
    collectible: FanTokenCollectibleOut
    title: str | None = Field(description="a fans' moment's title; null for a find's token")


class FanTokensOut(BaseModel):
    hunter_id: int
    handle: str | None
    tokens: list[FanTokenOut] = Field(description="lowest token id first, at most `limit`")
    more: bool = Field(description="the fan holds more tokens than `limit`")
