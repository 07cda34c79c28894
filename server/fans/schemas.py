"""Request and answer shapes of the fans' routes: engravings, privacy and taste twins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from server.http.fields import NO_NUL, Strict

# 256 KB of sketch is 349,528 characters of base64; a data-URL prefix may come before it.
SKETCH_B64_MAX = 4 * ((256 * 1024 + 2) // 3) + 40
Note = Annotated[str, StringConstraints(min_length=1, max_length=280, pattern=NO_NUL)]
SketchB64 = Annotated[
    str,
    StringConstraints(min_length=1, max_length=SKETCH_B64_MAX, pattern=r"^[A-Za-z0-9+/=:;,.\-]*$"),
    Field(description="base64 of a PNG or SVG of at most 256 KB (a data: URL is accepted)"),
]


# A note, a sketch or both: at least one of them given and not null.
ENGRAVING_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"properties": {"note": {"type": "string"}}, "required": ["note"]},
        {"properties": {"sketch": {"type": "string"}}, "required": ["sketch"]},
    ]
}


class EngravingIn(Strict):
    model_config = ConfigDict(json_schema_extra=ENGRAVING_SCHEMA)

    note: Note | None = None
    sketch: SketchB64 | None = None

    @model_validator(mode="after")
    def _note_or_sketch(self) -> EngravingIn:
        if self.note is None and self.sketch is None:
            raise ValueError("an engraving needs a note, a sketch or both")
        return self


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
