"""Answer shapes of collectible art, and the request body as the description states it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from server.art.image import ACCEPTED, MAX_UPLOAD_BYTES

# The body is the image itself; its type is in Content-Type (one of ACCEPTED).
IMAGE_BODY: dict[str, Any] = {
    "type": "string",
    "format": "binary",
    "maxLength": MAX_UPLOAD_BYTES,
    "description": "the image file itself (PNG, JPEG or WebP), at most 4096 pixels a side",
}
IMAGE_MEDIA: tuple[str, ...] = tuple(ACCEPTED)


class ArtCollectibleOut(BaseModel):
    """The collectible, its `image_url` now naming geohunt's own copy."""

    key: str
    name: str
    episode: str | None
    image_url: str
    description: str
    supply: int | None
    found: int
