"""Request and answer shapes of scans and finds."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
)

from server.http.fields import (
    NO_NUL,
    Lat,
    Lon,
    Moment,
    Strict,
)

DeviceId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=NO_NUL)]


class ScanIn(Strict):
    code: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    lat: Lat | None = None
    lon: Lon | None = None
    accuracy_m: Annotated[float, Field(ge=0, le=1_000_000)] | None = None
    scanned_at: Moment | None = None
    device_id: DeviceId | None = None


class MintOut(BaseModel):
    status: str
    token_id: int | None = None
    tx_hash: str | None = None
    contract: str | None = None
    chain_id: int | None = None
    error: str | None = None


class CollectibleRef(BaseModel):
    key: str
    name: str
    episode: str | None


class FindOut(BaseModel):
    id: int
    clue_id: int
    collectible: CollectibleRef
    found_at: datetime
    mint: MintOut


class ScanOut(BaseModel):
    find: FindOut
    score: int
    rank: int
