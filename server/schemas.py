"""The contract's request and answer shapes, typed and bounded; they also feed /openapi.json."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Handle = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,32}$")]
# PostgreSQL text cannot hold NUL: free text refuses it here, so it is a 400 and not a failed
# INSERT. Every other character (quotes, `%`, `\`, emoji...) is stored and returned verbatim.
NO_NUL = r"^[^\x00]*$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
Text = Annotated[str, StringConstraints(max_length=5000, pattern=NO_NUL)]
City = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_NUL)]
# Spelled out, never `\s` or `\d`: pydantic's regex engine (Rust), the description's
# (ECMA-262) and Python's each read those classes differently (U+0085 is `\s` to Rust only).
# Not in a URL: controls, and every character Unicode or ECMA-262 counts as white space.
Url = Annotated[
    str,
    StringConstraints(
        pattern=(
            r"^https?://[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f"
            r"\u3000\ufeff]{1,2000}$"
        )
    ),
]
# RFC 3339 `date-time` and nothing else (no Unix seconds, no `2025-12-04 10:00Z`, no `+0100`),
# with a year from 1970 to 8999 as written: the exact text the description promises, checked on
# the text before pydantic parses it (pydantic alone would also read "1764870000" as a time).
# ASCII digits only: Python's `\d` would also match other scripts' digits.
RFC3339 = (
    r"^(19[7-9][0-9]|[2-8][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_RFC3339 = re.compile(RFC3339)


_DATETIME = TypeAdapter(AwareDatetime)


def _rfc3339_text(value: Any) -> Any:
    """JSON gives a time as a string; only an RFC 3339 `date-time` is one (a `datetime` made by
    the server itself passes). Parsed here: after a validator, a strict model would take the
    text for a Python string, which is no datetime."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _RFC3339.fullmatch(value) is None:
        raise ValueError("expected an RFC 3339 date-time with an offset, year 1970 to 8999")
    try:
        return _DATETIME.validate_python(value, strict=False)
    except ValidationError as err:
        raise ValueError(err.errors(include_url=False)[0]["msg"]) from None


def _moment(value: datetime) -> datetime:
    """In UTC. The written year is 1970 to 8999 and an offset is under 24 h, so this never
    overflows what Python and PostgreSQL can compute with."""
    return value.astimezone(UTC)


Moment = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339_text),
    AfterValidator(_moment),
    Field(
        description="RFC 3339 date-time with an offset, year 1970 to 8999",
        json_schema_extra={"pattern": RFC3339},
    ),
]


def _integral(value: Any) -> Any:
    """JSON has one kind of number: `5.0` and `5e0` are the integer 5, as for JSON Schema's
    "integer" (2020-12), so a body may write them so. `5.5`, `"5"` and `true` are not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# On an integer of a JSON body, after its bounds: `Annotated[int, Field(...), INTEGRAL]` (before
# them, pydantic would write the bounds into the description as `ge`/`le`, not JSON Schema).
INTEGRAL = BeforeValidator(_integral)

# Numbers in a query string are text: an integer is written in ASCII decimal digits (an
# optional sign), a number also with a fraction and an exponent; never `1_000`, ` 5`, `0x10`,
# or `5.0` for an integer (Python and pydantic would read some of those).
_QUERY_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_QUERY_NUMBER_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _query_int(value: Any) -> Any:
    if isinstance(value, str) and _QUERY_INT_TEXT.fullmatch(value) is None:
        raise ValueError("expected an integer in decimal digits")
    return value


def _query_number(value: Any) -> Any:
    if isinstance(value, str) and _QUERY_NUMBER_TEXT.fullmatch(value) is None:
        raise ValueError("expected a decimal number")
    return value


# On a query string's numbers, after their bounds, as INTEGRAL.
QUERY_INT = BeforeValidator(_query_int)
QUERY_NUMBER = BeforeValidator(_query_number)
Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]


def required_in_handler() -> Any:
    """A query parameter the handler requires after the checks that come first (a token of
    another hunt is a 403 whatever the query): the description says it is required."""
    return Field(None, json_schema_extra=_mark_required)


def _mark_required(schema: dict[str, Any]) -> None:
    schema.pop("default", None)
    schema[REQUIRED_MARK] = True


# Read and removed by server/http/openapi.py, which makes such a parameter `required: true`.
REQUIRED_MARK = "x-geohunt-required"


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


# --- hunts and collectibles -------------------------------------------------------------------


class RulesIn(Strict):
    max_accuracy_m: Annotated[float, Field(gt=0, le=10_000)] | None = None
    fence_tolerance_m: Annotated[float, Field(ge=0, le=5_000)] | None = None
    max_speed_kmh: Annotated[float, Field(gt=0, le=100_000)] | None = None
    travel_floor_m: Annotated[float, Field(ge=0, le=1_000_000)] | None = None
    rotate_s: Annotated[int, Field(ge=5, le=3600), INTEGRAL] | None = None
    max_clock_skew_s: Annotated[int, Field(ge=1, le=86_400), INTEGRAL] | None = None
    scans_per_minute: Annotated[int, Field(ge=1, le=10_000), INTEGRAL] | None = None
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
    supply: Annotated[int, Field(ge=0, le=100_000_000), INTEGRAL] | None = None


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
    failed: list[ImportFailure]


class HistoryEntry(BaseModel):
    at: datetime
    by: str
    role: str
    action: str
    changes: dict[str, Any]


class QrQuery(Lax):
    scale: Annotated[int, Field(ge=1, le=40), QUERY_INT] = 10


class DisplayOut(BaseModel):
    url: str
    code: str
    step: int
    expires_in_s: float


# --- AR -------------------------------------------------------------------------------------


class NearbyQuery(Lax):
    # Required, but checked by the handler after the token's hunt: a token of another hunt is
    # refused (403) whatever its query.
    lat: Annotated[float, Field(ge=-90, le=90), QUERY_NUMBER] | None = required_in_handler()
    lon: Annotated[float, Field(ge=-180, le=180), QUERY_NUMBER] | None = required_in_handler()
    accuracy_m: Annotated[float, Field(ge=0, le=1_000_000), QUERY_NUMBER] | None = (
        required_in_handler()
    )
    limit: Annotated[
        int, Field(ge=1, le=1000, description="at most this many hints, the nearest"), QUERY_INT
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


EventId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,19}-[0-9]{1,19}$")]
# A JWT, for browsers' EventSource and WebSocket, which cannot send headers: URL-safe already,
# so a URL carrying one stays far below what a server reads of a request line.
BrowserToken = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_=.-]{1,2048}$")]


class LeaderboardQuery(Lax):
    limit: Annotated[int, Field(ge=1, le=100), QUERY_INT] = 10


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
    clue: Annotated[int, Field(ge=1, le=2**63 - 1), QUERY_INT] | None = None
    token: BrowserToken | None = None


class ScreenCodeQuery(Lax):
    # Required, but checked by the handler: a token of another hunt is a 403 first.
    clue: Annotated[int, Field(ge=1, le=2**63 - 1), QUERY_INT] | None = required_in_handler()


class ScreenCodeOut(BaseModel):
    clue_id: int
    url: str
    code: str
    step: int
    expires_in_s: float
    rotate_s: int
    svg: str
