"""Request and answer shapes of the venue screens."""

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
    Lax,
    required_in_handler,
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


class RecentCollectible(BaseModel):
    key: str
    name: str
    episode: str | None


class RecentFind(BaseModel):
    """A find as a venue screen's public ticker shows it."""

    name: str  # the hunter's name as on the public leaderboard
    collectible: RecentCollectible
    city: str | None
    found_at: datetime


class RecentOut(BaseModel):
    finds: list[RecentFind]  # newest first
