"""The answer of `GET /v1/codes/{code}`: what a scanned code is for, and never where it is."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class CodeHunt(BaseModel):
    slug: str
    name: str


class CodeClue(BaseModel):
    id: int
    # An AR clue has no code to look up (its tickets are personal): never named here.
    kind: Literal["billboard", "digital", "social"]
    label: str
    city: str | None


class CodeCollectible(BaseModel):
    key: str
    name: str
    episode: str | None
    image_url: str


class CodeOut(BaseModel):
    hunt: CodeHunt
    clue: CodeClue
    collectible: CodeCollectible
    # Whether a scan of it could count now, as far as the hunt's and the clue's windows and the
    # clue's switch go (its supply is the scan's to find out).
    active: bool
    # When not active, the verdict a scan would get for it.
    reason: Literal["hunt_not_active", "clue_not_active"] | None = None
    # A digital clue's code only: the seconds it is still accepted (its step and the next).
    expires_in_s: float | None = None
