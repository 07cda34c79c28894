"""A hunter's sketch, decoded and re-encoded by the server: what is stored and served is always
our own PNG or SVG, never the bytes that were sent.

PNG (png.py): the header's dimensions are checked before any pixel is decoded (a small file must
not decode into a huge image), the file is verified, then fully decoded (a truncated file fails
here) and written afresh without any metadata chunk. SVG (svg.py): parsed without DTDs, entities
or external references (defusedxml), refused when it carries a script, an event handler or a
reference outside the document, and re-serialised from a whitelist of elements and attributes
whose every value must match the attribute's grammar (grammar.py: a number, a length, a colour,
path data, a transform, a keyword...): no escape, comment or function but colours, transforms
and `url(#id)` reaches the browser's CSS parser.

What an SVG asks a browser to draw is bounded too: every SVG served renders, at its own size, in
well under a second. Its own size is fixed by the server (own_size.py): the root always carries a
viewBox and a width and height in pixels, at most MAX_RENDERED_SIDE on the longer side (the
aspect ratio kept), so a page that shows it inline or as an <img> without sizing it draws at most
about a megapixel; a page that scales it up pays in proportion to the area (and a page whose
style sheet restyles the inside of an inline SVG draws what it asks for). "Renders" means from
the page's load to a completed paint (laid out, painted and rasterised) in Chromium, software
rasterisation, at that size. The drawing is priced by a cost model measured in Chromium
(cost_model.py; outlines.py reads what outlines and transforms ask of the rasteriser, pricing.py
walks the drawing) and refused over BUDGET (drawing_budget.py);
tests/server/fans/test_sketch_render_browser.py draws the worst cases the budget allows, and four
times as much, in Chromium.
"""

from __future__ import annotations

import base64
import binascii

from hunt_engine.errors import InvalidRequest
from server.fans.sketch.drawing_budget import BUDGET
from server.fans.sketch.own_size import MAX_RENDERED_SIDE
from server.fans.sketch.png import clean_png
from server.fans.sketch.stored import Sketch
from server.fans.sketch.svg import clean_svg

__all__ = [
    "BUDGET",
    "MAX_RENDERED_SIDE",
    "MAX_SKETCH_BYTES",
    "MAX_STORED_BYTES",
    "Sketch",
    "clean_png",
    "clean_svg",
    "decode_sketch",
]

MAX_SKETCH_BYTES = 256 * 1024
MAX_STORED_BYTES = 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def decode_sketch(text: str) -> Sketch:
    """The stored form of a base64 sketch, or `InvalidRequest` (nothing to store)."""
    if text.startswith("data:"):
        header, _, text = text.partition(",")
        if not header.endswith(";base64"):
            raise InvalidRequest("a sketch data: URL must be base64")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest("sketch must be base64 (RFC 4648, no line breaks)") from None
    if not raw:
        raise InvalidRequest("sketch is empty")
    if len(raw) > MAX_SKETCH_BYTES:
        raise InvalidRequest(f"sketch is {len(raw)} bytes; at most {MAX_SKETCH_BYTES}")
    sketch = clean_png(raw) if raw.startswith(PNG_MAGIC) else clean_svg(raw)
    if len(sketch.data) > MAX_STORED_BYTES:
        raise InvalidRequest("sketch is too complex to store")
    return sketch
