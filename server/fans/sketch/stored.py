"""What a sketch becomes: the bytes stored and served, always our own encoding."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sketch:
    data: bytes
    media_type: str  # image/png or image/svg+xml
