"""Request and answer shapes of the leaderboard and the live streams."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    Field,
)

from server.http.fields import (
    QUERY_INT,
    BrowserToken,
    EventId,
    Lax,
)


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
