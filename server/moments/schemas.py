"""Request and answer shapes of fans' moments: creating one, listing, reviewing, loving and
reporting them. Text fields are checked again, after NFC normalisation, by
`hunt_engine.moments` (the patterns below say what a JSON Schema can: no control character, not
blank)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from hunt_engine.moments import (
    LINE_PATTERN,
    NOTE_MAX,
    REASON_MAX,
    SCENE_MAX_S,
    TEXT_PATTERN,
    TITLE_MAX,
    Status,
)
from server.http.fields import INTEGRAL, QUERY_INT, Key, Lax, Strict

# Base64 of a sketch of at most 256 KB, as for engravings (server/fans/schemas.py).
SKETCH_B64_MAX = 4 * ((256 * 1024 + 2) // 3) + 40

Title = Annotated[
    str,
    StringConstraints(min_length=1, max_length=TITLE_MAX, pattern=LINE_PATTERN),
    Field(description=f"1-{TITLE_MAX} characters after NFC normalisation, one line"),
]
Note = Annotated[
    str,
    StringConstraints(min_length=1, max_length=NOTE_MAX, pattern=TEXT_PATTERN),
    Field(description=f"1-{NOTE_MAX} characters after NFC normalisation; lines break with \\n"),
]
Reason = Annotated[
    str,
    StringConstraints(min_length=1, max_length=REASON_MAX, pattern=TEXT_PATTERN),
    Field(description=f"1-{REASON_MAX} characters after NFC normalisation"),
]
SketchB64 = Annotated[
    str,
    StringConstraints(min_length=1, max_length=SKETCH_B64_MAX, pattern=r"^[A-Za-z0-9+/=:;,.\-]*$"),
    Field(description="base64 of a PNG or SVG of at most 256 KB (a data: URL is accepted)"),
]
SceneS = Annotated[
    int,
    Field(ge=0, le=SCENE_MAX_S, description="seconds into the episode"),
    INTEGRAL,
]


class MomentIn(Strict):
    collectible: Key
    scene_s: SceneS
    title: Title
    note: Note | None = None
    sketch: SketchB64 | None = None


# A rejection says why: `reason` is required when `decision` is "reject".
REVIEW_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"properties": {"decision": {"const": "approve"}}},
        {"properties": {"reason": {"type": "string"}}, "required": ["reason"]},
    ]
}


class MomentReviewIn(Strict):
    model_config = ConfigDict(json_schema_extra=REVIEW_SCHEMA)

    decision: Literal["approve", "reject"]
    reason: Reason | None = None

    @model_validator(mode="after")
    def _reject_says_why(self) -> MomentReviewIn:
        if self.decision == "reject" and self.reason is None:
            raise ValueError("a rejection needs a reason")
        return self


class MomentReportIn(Strict):
    reason: Reason


class MomentsQuery(Lax):
    collectible: Key | None = None
    sort: Literal["loved", "recent"] = "recent"
    status: Literal["pending", "approved", "rejected", "hidden"] | None = Field(
        None, description="organisers only, but for approved (the default)"
    )
    limit: Annotated[int, Field(ge=1, le=100), QUERY_INT] = 50
    offset: Annotated[int, Field(ge=0, le=10_000), QUERY_INT] = 0


class MomentAuthorOut(BaseModel):
    handle: str | None


class MomentMintOut(BaseModel):
    status: Literal["awaiting_wallet", "queued", "submitted", "minted", "failed"]
    token_id: int | None = None
    tx_hash: str | None = None
    contract: str | None = None
    chain_id: int | None = None
    error: str | None = None


class MomentOut(BaseModel):
    id: int
    hunt: str
    collectible: str
    scene_s: int
    scene: str  # mm:ss
    title: str
    note: str | None
    sketch_url: str | None
    author: MomentAuthorOut
    status: Status
    loves: int
    loved: bool
    token_id: int | None
    mint: MomentMintOut | None
    created_at: datetime


MOMENT_LIST = {"type": "array", "items": MomentOut.model_json_schema()}


class MomentLovesOut(BaseModel):
    moment_id: int
    loves: int
    loved: bool


class MomentReportOut(BaseModel):
    moment_id: int
    reported: bool


class MomentDecisionOut(BaseModel):
    id: int
    action: Literal["approve", "reject", "hide"]
    status: Literal["approved", "rejected", "hidden"]
    reason: str | None
    actor_role: Literal["organiser", "reports"]
    actor: str | None
    reports: int | None
    decided_at: datetime


DECISION_LIST = {"type": "array", "items": MomentDecisionOut.model_json_schema()}
