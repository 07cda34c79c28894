"""Request and answer shapes of hunts, collectibles and alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    Field,
)

from server.http.fields import (
    INTEGRAL,
    Key,
    Moment,
    Name,
    Slug,
    Strict,
    Text,
    Url,
)


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
    moments_per_hunter: Annotated[int, Field(ge=0, le=1000), INTEGRAL] | None = None
    moment_report_threshold: Annotated[int, Field(ge=1, le=100_000), INTEGRAL] | None = None

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


class HuntListed(BaseModel):
    slug: str
    name: str
    description: str
    starts_at: datetime
    ends_at: datetime


class AlertOut(BaseModel):
    id: int
    kind: str
    clue_id: int | None
    raised_at: datetime
    detail: dict[str, Any]
