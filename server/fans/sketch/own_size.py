"""The size a served SVG sketch is drawn at on its own: fixed by the server, at most
MAX_RENDERED_SIDE px on its longer side."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from hunt_engine.errors import InvalidRequest
from server.fans.sketch.grammar import _PX_PER_UNIT, FONT_SIZES, _length, _view_box

# Inline in a page, an SVG without a width and height fills its container, and the browser draws
# as many pixels as the page is wide: the time it takes is not the sketch's to bound. So the root
# always gets a viewBox (its coordinates, as drawn) and a width and height in px, at most
# MAX_RENDERED_SIDE on the longer side. An SVG that says how big it is keeps its size (in px, the
# absolute units converted) unless it is bigger; one that does not is drawn as big as allowed,
# or, without a viewBox either, at CSS's default size of 300x150. The root's own transform, x and
# y are dropped: its place and size on the page are the page's, not the sketch's. Its font size
# is written in px (16, the browsers' default, when it has none or one relative to the page's),
# so that the page's font does not size the sketch's text.

MAX_RENDERED_SIDE = 1024  # px: the SVG's own size on its longer side
DEFAULT_SIZE = (300.0, 150.0)
DEFAULT_FONT_SIZE = FONT_SIZES["medium"]


def _px(value: str | None) -> float | None:
    """A length in absolute units, in px; None if absent, relative, not positive or too big."""
    length = _length(value)
    if length is None or length[1] not in _PX_PER_UNIT:
        return None
    px = length[0] * _PX_PER_UNIT[length[1]]
    return px if 0 < px < math.inf else None


def _font_size(value: str | None, parent: float) -> float:
    """In px (user units), from the parent's: an absent, inherited or negative one is that."""
    if value is None:
        return parent
    keyword = value.lower()
    if keyword in FONT_SIZES:
        return FONT_SIZES[keyword]
    if keyword in ("larger", "smaller"):
        return parent * 1.2 if keyword == "larger" else parent / 1.2
    length = _length(value)
    if length is None or length[0] < 0:
        return parent
    if length[1] in ("em", "ex"):  # an ex is at most an em
        return parent * length[0]
    if length[1] == "%":
        return parent * length[0] / 100
    return length[0] * _PX_PER_UNIT[length[1]]


def _decimal(value: float) -> str:
    """At most three decimals, never more than the value (a size must not grow)."""
    text = f"{math.floor(value * 1000) / 1000:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def _fix_own_size(root: ET.Element) -> None:
    width, height = _px(root.attrib.get("width")), _px(root.attrib.get("height"))
    if "viewBox" in root.attrib:
        box = _view_box(root.attrib["viewBox"])
        view_box = root.attrib["viewBox"]
        ratio = box[2] / box[3]
        if width is not None and height is None:
            height = width / ratio
        elif height is not None and width is None:
            width = height * ratio
        elif width is None or height is None:
            width, height = (1.0, 1 / ratio) if ratio >= 1 else (ratio, 1.0)
            width, height = width * MAX_RENDERED_SIDE, height * MAX_RENDERED_SIDE
    else:  # user units are px: the viewBox is the size it would have had
        width, height = width or DEFAULT_SIZE[0], height or DEFAULT_SIZE[1]
        view_box = f"0 0 {width:.9g} {height:.9g}"
    shrink = min(1.0, MAX_RENDERED_SIDE / max(width, height))
    font_size = _font_size(root.attrib.get("font-size"), DEFAULT_FONT_SIZE)
    if not all(map(math.isfinite, (width * shrink, height * shrink, font_size))):
        raise InvalidRequest("sketch SVG refused: its size is not a finite number")
    kept = {
        name: value
        for name, value in root.attrib.items()
        if name not in ("viewBox", "width", "height", "font-size", "x", "y", "transform")
    }
    root.attrib.clear()
    root.attrib.update(
        {
            "viewBox": view_box,
            "width": _decimal(width * shrink),
            "height": _decimal(height * shrink),
            "font-size": _decimal(font_size),
            **kept,
        }
    )
