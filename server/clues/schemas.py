"""Request and answer shapes of clues: locations, geofences, AR anchors, imports, QR codes."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from server.http.fields import (
    INTEGRAL,
    NO_NUL,
    QUERY_INT,
    QUERY_NUMBER,
    ArAnchor,
    City,
    Key,
    Lat,
    Lax,
    Lon,
    Moment,
    Name,
    Strict,
)


class Location(Strict):
    lat: Lat
    lon: Lon


# Shapes are checked by `geo.parse_geofence`, so that any bad shape is `invalid_geofence`;
# the schema here only documents the two accepted forms.
GEOFENCE_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {
            "type": "object",
            "properties": {"radius_m": {"type": "number", "minimum": 5, "maximum": 5000}},
            "required": ["radius_m"],
        },
        {
            "type": "object",
            "properties": {
                "type": {"const": "Polygon"},
                "coordinates": {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "items": {"type": "array", "items": {"type": "number"}},
                    },
                },
            },
            "required": ["type", "coordinates"],
        },
    ]
}


def _finite(value: Any) -> Any:
    """JSON's own numbers only: `NaN`, `Infinity` and overflowing literals (`1e999`) are not
    numbers a client can mean, wherever they sit in a free-form object."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError("numbers must be finite")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return value


Geofence = Annotated[
    dict[str, Any], AfterValidator(_finite), Field(json_schema_extra=GEOFENCE_SCHEMA)
]
ClueKindName = Literal["billboard", "digital", "social", "ar"]


# What each kind carries, as `clue_store.check_clue` enforces it: a social clue has no place,
# the others have a location, and only an ar clue (always) has an ar anchor.
CLUE_KINDS_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "properties": {
                "kind": {"const": "social"},
                "location": {"type": "null"},
                "geofence": {"type": "null"},
                "ar": {"type": "null"},
            }
        },
        {
            "properties": {
                "kind": {"enum": ["billboard", "digital"]},
                "location": {"type": "object"},
                "ar": {"type": "null"},
            },
            "required": ["location"],
        },
        {
            "properties": {
                "kind": {"const": "ar"},
                "location": {"type": "object"},
                "ar": {"type": "object"},
            },
            "required": ["location", "ar"],
        },
    ]
}


class ClueIn(Strict):
    model_config = ConfigDict(json_schema_extra=CLUE_KINDS_SCHEMA)

    kind: ClueKindName
    collectible: Key
    label: Name
    city: City | None = None
    location: Location | None = None
    geofence: Geofence | None = None
    active_from: Moment | None = None
    active_until: Moment | None = None
    max_finds: Annotated[int, Field(ge=0, le=100_000_000), INTEGRAL] | None = None
    ar: ArAnchor | None = None


def _omit_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def omittable() -> Any:
    """A field a PATCH may leave out but not set to null: the description says so too."""
    return Field(None, json_schema_extra=_omit_default)


class CluePatch(Strict):
    # `null` means "clear" where a clue can be without it (geofence: the default circle).
    location: Location = omittable()
    geofence: Geofence | None = None
    label: Name = omittable()
    city: City | None = None
    active_from: Moment | None = None
    active_until: Moment | None = None
    active: bool = omittable()
    max_finds: Annotated[int, Field(ge=0, le=100_000_000), INTEGRAL] | None = None


class QrLinks(BaseModel):
    png: str
    svg: str


class ClueOut(BaseModel):
    id: int
    hunt: str
    kind: str
    collectible: str
    label: str
    city: str | None
    location: dict[str, float] | None
    geofence: dict[str, Any] | None
    active_from: datetime | None
    active_until: datetime | None
    max_finds: int | None
    active: bool
    finds: int
    qr: QrLinks | None = None
    ref: str | None = Field(None, description="the site an import named it by")
    code_version: int | None = Field(
        None, description="a printed clue's code version: 0 until its first reissue"
    )


# `lat,lon` in decimal degrees, each in range: what `parse_near` reads, and nothing else.
NEAR = (
    r"^-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?),"
    r"-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?)$"
)


class NearQuery(Lax):
    near: Annotated[str, StringConstraints(pattern=NEAR)] | None = Field(
        None, description="lat,lon: only the clues whose fence is near this point"
    )
    radius_m: Annotated[float, Field(gt=0, le=50_000), QUERY_NUMBER] = 1000.0
    limit: Annotated[int, Field(ge=1, le=10_000), QUERY_INT] = 1000
    offset: Annotated[int, Field(ge=0, le=10_000_000), QUERY_INT] = 0


class ImportFailure(BaseModel):
    index: int
    code: str
    detail: str


class ImportOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    failed: list[ImportFailure]


class HistoryEntry(BaseModel):
    at: datetime
    by: str
    role: str
    action: str
    changes: dict[str, Any]


class QrQuery(Lax):
    scale: Annotated[int, Field(ge=1, le=40), QUERY_INT] = 10
    v: Annotated[int, Field(ge=0, le=2**31 - 1), QUERY_INT] | None = Field(
        None,
        description="the clue's code version, as its `qr` links name it: a cache key only,"
        " the current code is always drawn",
    )


Reason = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=NO_NUL)]


class ReissueIn(Strict):
    reason: Reason | None = Field(
        None, description="why the code is replaced (a photo of it circulates, say)"
    )


class DisplayOut(BaseModel):
    url: str
    code: str
    step: int
    expires_in_s: float
