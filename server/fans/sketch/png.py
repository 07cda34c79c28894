"""A PNG sketch: its header's dimensions checked before any pixel is decoded (a small file must
not decode into a huge image), the file verified, then fully decoded (a truncated file fails here)
and written afresh without any metadata chunk."""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

from hunt_engine.errors import InvalidRequest
from server.fans.sketch.stored import Sketch

MAX_SIDE = 2048


def clean_png(raw: bytes) -> Sketch:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=["PNG"]) as probe:
                _check_size(probe.size)
                probe.verify()
            with Image.open(io.BytesIO(raw), formats=["PNG"]) as image:
                _check_size(image.size)
                image.load()
                pixels = image.convert("RGBA")
    except InvalidRequest:
        raise
    except (
        OSError,
        SyntaxError,
        ValueError,
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        EOFError,
    ):
        raise InvalidRequest("sketch is not a complete, valid PNG") from None
    # A new image from the pixels alone: no text, EXIF, ICC or other chunk survives.
    fresh = Image.frombytes("RGBA", pixels.size, pixels.tobytes())
    out = io.BytesIO()
    fresh.save(out, format="PNG", optimize=True)
    return Sketch(out.getvalue(), "image/png")


def _check_size(size: tuple[int, int]) -> None:
    width, height = size
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise InvalidRequest(f"sketch is {width}x{height} pixels; at most {MAX_SIDE}x{MAX_SIDE}")
