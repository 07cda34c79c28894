"""A hunter's sketch, decoded and re-encoded by the server: what is stored and served is always
our own PNG or SVG, never the bytes that were sent.

PNG: the header's dimensions are checked before any pixel is decoded (a small file must not
decode into a huge image), the file is verified, then fully decoded (a truncated file fails
here) and written afresh without any metadata chunk. SVG: parsed without DTDs, entities or
external references (defusedxml), refused when it carries a script, an event handler or a
reference outside the document, and re-serialised from a whitelist of elements and attributes.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from PIL import Image, UnidentifiedImageError

from hunt_engine.errors import InvalidRequest

MAX_SKETCH_BYTES = 256 * 1024
MAX_SIDE = 2048
MAX_STORED_BYTES = 1024 * 1024
MAX_ELEMENTS = 5000
MAX_DEPTH = 40
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

ELEMENTS = frozenset(
    "svg g path rect circle ellipse line polyline polygon text tspan title desc defs"
    " linearGradient radialGradient stop use".split()
)
# Refused outright rather than dropped: their presence means the file tried something.
HOSTILE_ELEMENTS = frozenset(
    "script foreignObject image iframe embed object feImage handler listener".split()
)
TEXT_ELEMENTS = frozenset({"text", "tspan", "title", "desc"})
ATTRIBUTES = frozenset(
    """
    viewBox width height x y cx cy r rx ry x1 y1 x2 y2 d points transform id
    fill fill-opacity fill-rule stroke stroke-width stroke-opacity stroke-linecap
    stroke-linejoin stroke-dasharray stroke-dashoffset stroke-miterlimit opacity
    offset stop-color stop-opacity font-size font-family font-weight text-anchor
    gradientUnits gradientTransform spreadMethod fx fy fr preserveAspectRatio version dx dy
    """.split()
)
SAME_DOCUMENT = re.compile(r"^#[A-Za-z_][\w.-]{0,100}$")
PROCESSING_INSTRUCTION = re.compile(r"<\?(?!xml\s)")
LOCAL_URL = re.compile(r"^url\(\s*#[A-Za-z_][\w.-]{0,100}\s*\)$")


@dataclass(frozen=True, slots=True)
class Sketch:
    data: bytes
    media_type: str  # image/png or image/svg+xml


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


# --- PNG ------------------------------------------------------------------------------------------


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


# --- SVG ------------------------------------------------------------------------------------------


def clean_svg(raw: bytes) -> Sketch:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest("sketch is neither a PNG nor a UTF-8 SVG") from None
    if PROCESSING_INSTRUCTION.search(text):
        # e.g. <?xml-stylesheet href="https://..."?>: a reference outside the document.
        raise InvalidRequest("sketch SVG refused: processing instructions are not allowed")
    try:
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as refused:
        raise InvalidRequest(
            f"sketch SVG refused: {type(refused).__name__}"
            " (no DTD, entities or external references)"
        ) from None
    except (ET.ParseError, ValueError):
        raise InvalidRequest("sketch is neither a PNG nor a well-formed SVG") from None
    if _local(root.tag) != "svg" or _namespace(root.tag) not in ("", SVG_NS):
        raise InvalidRequest("sketch is neither a PNG nor an SVG")
    count = sum(1 for _ in root.iter())
    if count > MAX_ELEMENTS:
        raise InvalidRequest(f"sketch SVG has {count} elements; at most {MAX_ELEMENTS}")
    _refuse_hostile(root, 0)
    clean = _copy(root)
    assert clean is not None
    clean.set("xmlns", SVG_NS)
    data = ET.tostring(clean, encoding="unicode").encode()
    return Sketch(data, "image/svg+xml")


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _refuse_hostile(element: ET.Element, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidRequest(f"sketch SVG is nested deeper than {MAX_DEPTH}")
    if not isinstance(element.tag, str):  # comments and processing instructions
        return
    name = _local(element.tag)
    if name in HOSTILE_ELEMENTS:
        raise InvalidRequest(f"sketch SVG refused: <{name}> is not allowed")
    if name == "style" and _external(element.text or ""):
        raise InvalidRequest("sketch SVG refused: a style sheet refers outside the document")
    for attribute, value in element.attrib.items():
        local = _local(attribute)
        if local.lower().startswith("on"):
            raise InvalidRequest(f"sketch SVG refused: event handler {local!r}")
        if local == "href" and not SAME_DOCUMENT.match(value.strip()):
            raise InvalidRequest("sketch SVG refused: a link outside the document")
        if _external(value):
            raise InvalidRequest(f"sketch SVG refused: {local!r} refers outside the document")
    for child in element:
        _refuse_hostile(child, depth + 1)


def _external(value: str) -> bool:
    lowered = value.lower()
    if "javascript:" in lowered or "@import" in lowered:
        return True
    for match in re.finditer(r"url\([^)]*\)?", lowered):
        if not LOCAL_URL.match(match.group(0)):
            return True
    return False


def _copy(element: ET.Element) -> ET.Element | None:
    """The whitelisted part of an element, with plain SVG names; None if it is dropped."""
    if not isinstance(element.tag, str) or _namespace(element.tag) not in ("", SVG_NS):
        return None
    name = _local(element.tag)
    if name not in ELEMENTS:
        return None
    attributes: dict[str, str] = {}
    for attribute, value in element.attrib.items():
        namespace, local = _namespace(attribute), _local(attribute)
        if local == "href" and name == "use" and namespace in ("", XLINK_NS):
            attributes["href"] = value.strip()  # checked same-document above
        elif namespace == "" and local in ATTRIBUTES and "url(" not in value.lower():
            attributes[local] = value
        elif namespace == "" and local in ATTRIBUTES and LOCAL_URL.match(value.strip().lower()):
            attributes[local] = value.strip()
    if name == "use" and "href" not in attributes:
        return None
    clean = ET.Element(name, attributes)
    if name in TEXT_ELEMENTS:
        clean.text = element.text
    for child in element:
        copied = _copy(child)
        if copied is not None:
            if name in TEXT_ELEMENTS:
                copied.tail = child.tail
            clean.append(copied)
    return clean
