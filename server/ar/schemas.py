"""Request and answer shapes of the AR hints (`/nearby`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    Field,
)

from server.http.fields import (
    QUERY_INT,
    QUERY_NUMBER,
    ArAnchor,
    Lax,
    required_in_handler,
)


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
