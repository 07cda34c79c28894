"""The contract's request and answer shapes, typed and bounded; they also feed /openapi.json."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Handle = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,32}$")]
# PostgreSQL text cannot hold NUL: free text refuses it here, so it is a 400 and not a failed
# INSERT. Every other character (quotes, `%`, `\`, emoji...) is stored and returned verbatim.
NO_NUL = r"^[^\x00]*$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
Text = Annotated[str, StringConstraints(max_length=5000, pattern=NO_NUL)]
City = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_NUL)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s\x00]{1,2000}$")]
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _moment(value: datetime) -> datetime:
    """In UTC and well inside what Python and PostgreSQL can compute with: an offset such as
    `0001-01-01T00:00:00+14:00` would otherwise overflow when converted."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("time out of range") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError("time must be from 1970 to 8999")
    return utc


Moment = Annotated[
    AwareDatetime,
    AfterValidator(_moment),
    Field(description="RFC 3339 with an offset, 1970 to 8999"),
]
Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class Lax(BaseModel):
    """Query strings arrive as text: numbers are parsed, but still bounded and finite."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    code: str


# --- identity ---------------------------------------------------------------------------------


class TokenIn(Strict):
    role: Literal["organiser", "field", "hunter", "screen"]
    sub: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:@-]{1,64}$")]
    ttl_s: Annotated[int, Field(ge=60, le=30 * 24 * 3600)] = 24 * 3600
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


# --- hunts and collectibles -------------------------------------------------------------------


class RulesIn(Strict):
    max_accuracy_m: Annotated[float, Field(gt=0, le=10_000)] | None = None
    fence_tolerance_m: Annotated[float, Field(ge=0, le=5_000)] | None = None
    max_speed_kmh: Annotated[float, Field(gt=0, le=100_000)] | None = None
    travel_floor_m: Annotated[float, Field(ge=0, le=1_000_000)] | None = None
    rotate_s: Annotated[int, Field(ge=5, le=3600)] | None = None
    max_clock_skew_s: Annotated[int, Field(ge=1, le=86_400)] | None = None
    scans_per_minute: Annotated[int, Field(ge=1, le=10_000)] | None = None
    hint_radius_m: Annotated[float, Field(gt=0, le=50_000)] | None = None
    reveal_radius_m: Annotated[float, Field(gt=0, le=5_000)] | None = None

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class HuntIn(Strict):
    slug: Slug
    name: Name
    starts_at: Moment
    ends_at: Moment
    description: Text = ""
    rules: RulesIn | None = None


class HuntPatch(Strict):
    name: Name | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    description: Text | None = None
    rules: RulesIn | None = None


class CollectibleIn(Strict):
    key: Key
    name: Name
    image_url: Url
    episode: Name | None = None
    description: Text = ""
    supply: Annotated[int, Field(ge=0, le=100_000_000)] | None = None


class CollectibleOut(BaseModel):
    key: str
    name: str
    episode: str | None
    image_url: str
    description: str
    supply: int | None
    found: int


class HuntOut(BaseModel):
    slug: str
    name: str
    description: str
    starts_at: datetime
    ends_at: datetime
    rules: dict[str, float | int]
    collectibles: list[CollectibleOut] = []


# --- clues ------------------------------------------------------------------------------------


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


class ArAnchor(Strict):
    asset_url: Url
    scale: Annotated[float, Field(gt=0, le=1000)] | None = None
    altitude_m: Annotated[float, Field(ge=-500, le=10_000)] | None = None
    heading_deg: Annotated[float, Field(ge=0, lt=360)] | None = None


class ClueIn(Strict):
    kind: ClueKindName
    collectible: Key
    label: Name
    city: City | None = None
    location: Location | None = None
    geofence: Geofence | None = None
    active_from: Moment | None = None
    active_until: Moment | None = None
    max_finds: Annotated[int, Field(ge=0, le=100_000_000)] | None = None
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
    max_finds: Annotated[int, Field(ge=0, le=100_000_000)] | None = None


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


class NearQuery(Lax):
    near: Annotated[str, StringConstraints(max_length=64)] | None = None
    radius_m: Annotated[float, Field(gt=0, le=50_000)] = 1000.0
    limit: Annotated[int, Field(ge=1, le=10_000)] = 1000
    offset: Annotated[int, Field(ge=0, le=10_000_000)] = 0


class ImportFailure(BaseModel):
    index: int
    code: str
    detail: str


class ImportOut(BaseModel):
    created: int
    failed: list[ImportFailure]


class HistoryEntry(BaseModel):
    at: datetime
    by: str
    role: str
    action: str
    changes: dict[str, Any]


class QrQuery(Lax):
    scale: Annotated[int, Field(ge=1, le=40)] = 10


class DisplayOut(BaseModel):
    url: str
    code: str
    step: int
    expires_in_s: float


# --- AR -------------------------------------------------------------------------------------


class NearbyQuery(Lax):
    # Required, but checked by the handler after the token's hunt: a token of another hunt is
    # refused (403) whatever its query.
    lat: Lat | None = None
    lon: Lon | None = None
    accuracy_m: Annotated[float, Field(ge=0, le=1_000_000)] | None = None
    limit: Annotated[
        int, Field(ge=1, le=1000, description="at most this many hints, the nearest")
    ] = 50


class HintOut(BaseModel):
    clue_id: int
    kind: Literal["billboard", "digital", "ar"]
    collectible: str
    found: bool
    distance_m: int = Field(description="to the clue's location, rounded to 25 m")
    bearing_deg: int = Field(description="from true north, rounded to 10 degrees, 0-350")
    location: dict[str, float] | None = Field(None, description="within reveal_radius_m only")
    ar: ArAnchor | None = Field(None, description="an ar clue within reveal_radius_m only")
    ticket: str | None = Field(
        None, description="an ar clue within reveal_radius_m only: the `code` to scan there"
    )
    ticket_expires_at: datetime | None = None


class NearbyOut(BaseModel):
    hints: list[HintOut]
    truncated: bool = Field(description="more clues were within the hint radius than `limit`")


# --- scans and finds --------------------------------------------------------------------------


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


class AlertOut(BaseModel):
    id: int
    kind: str
    clue_id: int | None
    raised_at: datetime
    detail: dict[str, Any]


# --- live -------------------------------------------------------------------------------------


EventId = Annotated[str, StringConstraints(pattern=r"^\d{1,19}-\d{1,19}$")]
# A JWT, for browsers' EventSource and WebSocket, which cannot send headers: URL-safe already,
# so a URL carrying one stays far below what a server reads of a request line.
BrowserToken = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_=.-]{1,2048}$")]


class LeaderboardQuery(Lax):
    limit: Annotated[int, Field(ge=1, le=100)] = 10


class LeaderboardEntry(BaseModel):
    rank: int
    hunter_id: int
    name: str
    score: int
    last_find_at: datetime


class LeaderboardOut(BaseModel):
    entries: list[LeaderboardEntry]


class LiveQuery(Lax):
    token: BrowserToken | None = None


class EventsQuery(Lax):
    token: BrowserToken | None = None
    last_event_id: EventId | None = Field(
        None, description="Where to resume, for clients that cannot send Last-Event-ID"
    )


class ScreenQuery(Lax):
    clue: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = None
    token: BrowserToken | None = None


class ScreenCodeQuery(Lax):
    # Required, but checked by the handler: a token of another hunt is a 403 first.
    clue: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = None


class ScreenCodeOut(BaseModel):
    clue_id: int
    url: str
    code: str
    step: int
    expires_in_s: float
    rotate_s: int
    svg: str
