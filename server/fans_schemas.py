"""Request and answer shapes of the fans' routes: engravings, privacy and taste twins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from server.schemas import NO_NUL, Strict

# 256 KB of sketch is 349,528 characters of base64; a data-URL prefix may come before it.
SKETCH_B64_MAX = 4 * ((256 * 1024 + 2) // 3) + 40
Note = Annotated[str, StringConstraints(min_length=1, max_length=280, pattern=NO_NUL)]
SketchB64 = Annotated[
    str,
    StringConstraints(min_length=1, max_length=SKETCH_B64_MAX, pattern=r"^[A-Za-z0-9+/=:;,.\-]*$"),
    Field(description="base64 of a PNG or SVG of at most 256 KB (a data: URL is accepted)"),
]


class EngravingIn(Strict):
    note: Note | None = None
    sketch: SketchB64 | None = None


class EngravingOut(BaseModel):
    find_id: int
    note: str | None
    sketch_type: Literal["image/png", "image/svg+xml"] | None
    sketch_url: str | None
    engraved_at: datetime


class PrivacyIn(Strict):
    discoverable: bool


class PrivacyOut(BaseModel):
    discoverable: bool


class TwinOut(BaseModel):
    hunter_id: int
    handle: str | None
    similarity: float
    shared: list[str]


class TwinsOut(BaseModel):
    twins: list[TwinOut]
