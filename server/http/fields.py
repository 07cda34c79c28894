"""Field types and base models every feature's request and answer shapes are built from:
typed, bounded and finite, as the contract asks; they also feed /openapi.json."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

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


EventId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,19}-[0-9]{1,19}$")]
# A JWT, for browsers' EventSource and WebSocket, which cannot send headers: URL-safe already,
# so a URL carrying one stays far below what a server reads of a request line.
BrowserToken = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_=.-]{1,2048}$")]


class ArAnchor(Strict):
    asset_url: Url
    scale: Annotated[float, Field(gt=0, le=1000)] | None = None
    altitude_m: Annotated[float, Field(ge=-500, le=10_000)] | None = None
    heading_deg: Annotated[float, Field(ge=0, lt=360)] | None = None
