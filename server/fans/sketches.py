"""A hunter's sketch, decoded and re-encoded by the server: what is stored and served is always
our own PNG or SVG, never the bytes that were sent.

PNG: the header's dimensions are checked before any pixel is decoded (a small file must not
decode into a huge image), the file is verified, then fully decoded (a truncated file fails
here) and written afresh without any metadata chunk. SVG: parsed without DTDs, entities or
external references (defusedxml), refused when it carries a script, an event handler or a
reference outside the document, and re-serialised from a whitelist of elements and attributes
whose every value must match the attribute's grammar (a number, a length, a colour, path data, a
transform, a keyword...): no escape, comment or function but colours, transforms and `url(#id)`
reaches the browser's CSS parser. What it draws, every <use> followed, is bounded by a budget.
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
MAX_ELEMENTS = 5000  # in the file as sent
# What every <use> adds, followed recursively, to what the file itself holds (see the budget).
MAX_REFERENCED_ELEMENTS = 32  # a character of text counts as an element
MAX_REFERENCED_COORDINATES = 1000  # numbers of paths, polylines and polygons
MAX_DEPTH = 40  # nesting, in the file and once every <use> is followed
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
SAME_DOCUMENT = re.compile(r"#[A-Za-z_][A-Za-z0-9_.-]{0,100}", re.ASCII)
PROCESSING_INSTRUCTION = re.compile(r"<\?(?!xml\s)")
LOCAL_URL = re.compile(r"url\(\s*#[A-Za-z_][\w.-]{0,100}\s*\)")  # for the tripwire


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
    _keep_references_inside(clean)
    _check_drawing_budget(clean)
    clean.set("xmlns", SVG_NS)
    data = ET.tostring(clean, encoding="unicode").encode()
    return Sketch(data, "image/svg+xml")


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _refuse_hostile(element: ET.Element, depth: int) -> None:
    """Refuses what shows intent anywhere in the file, kept or not. A tripwire, for a clear
    answer: what is served is safe because `_copy` keeps only values of known grammars."""
    if depth > MAX_DEPTH:
        raise InvalidRequest(f"sketch SVG is nested deeper than {MAX_DEPTH}")
    if not isinstance(element.tag, str):  # comments and processing instructions
        return
    name = _local(element.tag)
    if name in HOSTILE_ELEMENTS:
        raise InvalidRequest(f"sketch SVG refused: <{name}> is not allowed")
    if name == "style" and (_external(element.text or "") or "\\" in (element.text or "")):
        raise InvalidRequest(
            "sketch SVG refused: a style sheet refers outside the document or holds an escape"
        )
    for attribute, value in element.attrib.items():
        local = _local(attribute)
        if local.lower().startswith("on"):
            raise InvalidRequest(f"sketch SVG refused: event handler {local!r}")
        if local == "href" and not SAME_DOCUMENT.fullmatch(value.strip()):
            raise InvalidRequest("sketch SVG refused: a link outside the document")
        if _external(value):
            raise InvalidRequest(f"sketch SVG refused: {local!r} refers outside the document")
    for child in element:
        _refuse_hostile(child, depth + 1)


def _external(value: str) -> bool:
    lowered = value.lower()
    if "javascript:" in lowered or "@import" in lowered:
        return True
    return any(
        not LOCAL_URL.fullmatch(match.group(0)) for match in re.finditer(r"url\([^)]*\)?", lowered)
    )


def _copy(element: ET.Element) -> ET.Element | None:
    """The whitelisted part of an element, with plain SVG names; None if it is dropped.
    Every attribute kept must match its grammar, else the sketch is refused."""
    if not isinstance(element.tag, str) or _namespace(element.tag) not in ("", SVG_NS):
        return None
    name = _local(element.tag)
    if name not in ELEMENTS:
        return None
    attributes: dict[str, str] = {}
    for attribute, value in element.attrib.items():
        namespace, local = _namespace(attribute), _local(attribute)
        if local == "href" and name == "use" and namespace in ("", XLINK_NS):
            # SVG 2's plain href wins over xlink:href; both were checked same-document above.
            if namespace == "" or "href" not in attributes:
                attributes["href"] = value.strip()
        elif namespace == "" and local in GRAMMARS:
            attributes[local] = _valid(local, value)
    if name == "use" and "href" not in attributes:
        return None
    clean = ET.Element(name, attributes)
    if name in TEXT_ELEMENTS:
        clean.text = element.text
    if name == "use":
        return clean  # what a <use> holds is not drawn, and ids in it would complicate references
    for child in element:
        copied = _copy(child)
        if copied is not None:
            if name in TEXT_ELEMENTS:
                copied.tail = child.tail
            clean.append(copied)
    return clean


def _keep_references_inside(root: ET.Element) -> None:
    """Drops each <use> and paint whose #id names nothing in the sketch. Standalone they draw
    nothing; placed inline in a page they would draw the page's own elements of that id."""
    targets: dict[str, ET.Element] = {}
    for element in root.iter():
        if "id" in element.attrib:
            targets.setdefault(element.attrib["id"], element)
    dangling: dict[int, bool] = {}

    def dangles(use: ET.Element) -> bool:
        """Whether the <use> names a missing element, or a <use> that dangles (a chain)."""
        chain: dict[int, None] = {}  # in order, and a quick test for a cycle
        while id(use) not in dangling and id(use) not in chain:
            chain[id(use)] = None
            target = targets.get(use.attrib["href"][1:])
            if target is None or target.tag != "use":
                dangling.update(dict.fromkeys(chain, target is None))
                return target is None
            use = target
        answer = dangling.get(id(use), False)  # a cycle is refused by the budget, not here
        dangling.update(dict.fromkeys(chain, answer))
        return answer

    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == "use" and dangles(child):
                parent.remove(child)
        for name in ("fill", "stroke"):
            paint = _PAINT_URL.fullmatch(parent.attrib.get(name, ""))
            target = targets.get(paint["id"]) if paint else None
            if paint and (target is None or target.tag not in GRADIENTS):
                parent.attrib[name] = paint["fallback"] or "none"


# --- SVG: attribute grammars ----------------------------------------------------------------------
# Values are allowed by what they are (a number, a length, a colour, path data, a transform),
# never by the absence of known bad strings. Colours, paints and most others are parsed by the
# browser as CSS, where `\75 rl(` is `url(`: no grammar below admits a backslash, an ampersand
# (an XML character reference arrives here already decoded), a comment, an `@`, a colon or a
# function other than the colour ones, the transform ones and `url(#id)`. Only ASCII matches.

_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?"
_UNIT = r"(?:px|pt|pc|mm|cm|in|q|em|ex|rem|%)"
_LENGTH = rf"{_NUMBER}{_UNIT}?"
_SEP = r"(?: ?, ?| )"  # after `_normalise`, whitespace is one space
_IDENT = r"[A-Za-z_][A-Za-z0-9_.-]{0,100}"
_LOCAL_URL = rf"url\( ?#{_IDENT} ?\)"
_ANGLE_OR_PERCENT = rf"{_NUMBER}(?:%|deg|rad|grad|turn)?"
_COLOUR_FUNCTION = (
    rf"(?:rgba?|hsla?)\( ?{_ANGLE_OR_PERCENT}(?:{_SEP}{_ANGLE_OR_PERCENT}){{2}}"
    rf"(?:(?:{_SEP}| ?/ ?){_ANGLE_OR_PERCENT})? ?\)"
)
_HEX = r"#(?:[0-9A-Fa-f]{3,4}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})"
_NAMED_COLOURS = (
    "aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue"
    " blueviolet brown burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk"
    " crimson cyan darkblue darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki"
    " darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon darkseagreen"
    " darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink deepskyblue"
    " dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite"
    " gold goldenrod gray green greenyellow grey honeydew hotpink indianred indigo ivory khaki"
    " lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan"
    " lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen"
    " lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime limegreen linen"
    " magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen"
    " mediumslateblue mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream"
    " mistyrose moccasin navajowhite navy oldlace olive olivedrab orange orangered orchid"
    " palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum"
    " powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown"
    " seagreen seashell sienna silver skyblue slateblue slategray slategrey snow springgreen"
    " steelblue tan teal thistle tomato turquoise violet wheat white whitesmoke yellow"
    " yellowgreen transparent currentcolor"
)
_COLOUR = rf"(?:{_HEX}|{_COLOUR_FUNCTION}|(?:{'|'.join(_NAMED_COLOURS.split())}))"
_TRANSFORM_FUNCTION = (
    rf"(?:matrix|translate|scale|rotate|skewX|skewY) ?\( ?(?:{_NUMBER}(?:{_SEP}{_NUMBER})*)? ?\)"
)


def _grammar(pattern: str, what: str, ignore_case: bool = False) -> tuple[re.Pattern[str], str]:
    flags = re.ASCII | (re.IGNORECASE if ignore_case else 0)
    return re.compile(pattern, flags), what


def _keywords(words: str) -> str:
    return "(?:" + "|".join(words.split()) + ")"


_INHERIT = "|inherit"
_LENGTH_GRAMMAR = _grammar(rf"{_LENGTH}{_INHERIT}", "a length", ignore_case=True)
_LENGTHS_GRAMMAR = _grammar(rf"{_LENGTH}(?:{_SEP}{_LENGTH})*", "a list of lengths", True)
_NUMBERS_GRAMMAR = _grammar(rf"{_NUMBER}(?:{_SEP}{_NUMBER})*", "a list of numbers")
_FRACTION_GRAMMAR = _grammar(rf"{_NUMBER}%?{_INHERIT}", "a number or a percentage")
_TRANSFORM_GRAMMAR = _grammar(
    rf"{_TRANSFORM_FUNCTION}(?:{_SEP}?{_TRANSFORM_FUNCTION})*", "a list of numeric transforms"
)
_PAINT_GRAMMAR = _grammar(
    rf"none|{_COLOUR}|{_LOCAL_URL}(?: (?:none|{_COLOUR}))?{_INHERIT}",
    "a colour, none or url(#id)",
    ignore_case=True,
)
GRAMMARS: dict[str, tuple[re.Pattern[str], str]] = {
    **dict.fromkeys(
        "width height cx cy r rx ry x1 y1 x2 y2 fx fy fr stroke-width".split(), _LENGTH_GRAMMAR
    ),
    **dict.fromkeys("x y dx dy".split(), _LENGTHS_GRAMMAR),
    **dict.fromkeys("viewBox points".split(), _NUMBERS_GRAMMAR),
    **dict.fromkeys(
        "opacity fill-opacity stroke-opacity stop-opacity offset".split(), _FRACTION_GRAMMAR
    ),
    **dict.fromkeys("transform gradientTransform".split(), _TRANSFORM_GRAMMAR),
    **dict.fromkeys("fill stroke".split(), _PAINT_GRAMMAR),
    "d": _grammar(r"[MmZzLlHhVvCcSsQqTtAaEe0-9.,+ -]*", "path data"),
    "stop-color": _grammar(rf"{_COLOUR}{_INHERIT}", "a colour", ignore_case=True),
    "stroke-miterlimit": _grammar(rf"{_NUMBER}{_INHERIT}", "a number"),
    "version": _grammar(_NUMBER, "a number"),
    "id": _grammar(_IDENT, "an identifier (ASCII letters, digits, _ . -)"),
    "font-family": _grammar(r"[A-Za-z0-9 _,'\"-]{1,200}", "a list of font names"),
    "font-size": _grammar(
        rf"{_LENGTH}|{_keywords('xx-small x-small small medium large x-large xx-large')}"
        rf"|larger|smaller{_INHERIT}",
        "a font size",
        ignore_case=True,
    ),
    "font-weight": _grammar(
        rf"{_NUMBER}|normal|bold|bolder|lighter{_INHERIT}", "a font weight", ignore_case=True
    ),
    "fill-rule": _grammar(f"nonzero|evenodd{_INHERIT}", "nonzero or evenodd"),
    "stroke-linecap": _grammar(f"butt|round|square{_INHERIT}", "butt, round or square"),
    "stroke-linejoin": _grammar(
        f"miter|miter-clip|round|bevel|arcs{_INHERIT}", "a line join keyword"
    ),
    "text-anchor": _grammar(f"start|middle|end{_INHERIT}", "start, middle or end"),
    "gradientUnits": _grammar("userSpaceOnUse|objectBoundingBox", "a gradient unit keyword"),
    "spreadMethod": _grammar("pad|reflect|repeat", "pad, reflect or repeat"),
    "preserveAspectRatio": _grammar(
        r"(?:defer )?(?:none|x(?:Min|Mid|Max)Y(?:Min|Mid|Max))(?: (?:meet|slice))?",
        "an aspect ratio keyword",
    ),
}
# Not kept: stroke-dasharray and stroke-dashoffset. A dash pattern multiplies the drawing by the
# path's length over the pattern's period (8 KB of 0.01-long dashes kept Chromium busy for a
# minute), and no grammar can bound that without measuring every path.
ATTRIBUTES = frozenset(GRAMMARS)
GRADIENTS = frozenset({"linearGradient", "radialGradient"})
_PAINT_URL = re.compile(
    rf"url\( ?#(?P<id>{_IDENT}) ?\)(?: (?P<fallback>.+))?", re.ASCII | re.IGNORECASE
)
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")


def _normalise(value: str) -> str:
    return _WHITESPACE.sub(" ", value).strip(" ")


def _valid(name: str, value: str) -> str:
    """The value, its whitespace normalised, if it is in the attribute's grammar; else refused."""
    pattern, what = GRAMMARS[name]
    normal = _normalise(value)
    if not pattern.fullmatch(normal):
        shown = normal if len(normal) <= 40 else normal[:40] + "..."
        raise InvalidRequest(f"sketch SVG refused: {name}={shown!r} is not {what}")
    return normal


# --- SVG: drawing budget --------------------------------------------------------------------------
# A <use> draws its target again, and the target may itself hold <use>s: ten <use>s of ten
# <use>s, a dozen levels deep, are 3 KB that ask for 10^12 shapes. What a sketch asks the browser
# to draw is counted with every <use> followed (each element expanded once, memoised; a cycle is
# refused), and what the references add to what the file itself holds is bounded: at most
# MAX_REFERENCED_ELEMENTS more elements (a character of text counts as one: each glyph is drawn
# on its own and may cover the page) and MAX_REFERENCED_COORDINATES more numbers of outlines.
# Small enough that the worst they allow, copies of the costliest shapes, glyphs and outlines
# (covering the page, gradient fill and wide gradient stroke, opacity, outlines zig-zagging
# across it), renders well under a second in Chromium at 1920x1080 (the proof is
# tests/test_sketch_render_browser.py). So references cannot make a sketch much costlier than
# the same file without them. Gradients cannot refer to one another (their href is not kept):
# <use> is the only reference.

_NUMBERS = re.compile(_NUMBER, re.ASCII)


def _weight(element: ET.Element) -> tuple[int, int]:
    """What the element draws itself: elements (1, and 1 a character of text), coordinates."""
    if element.tag == "path":
        return 1, len(_NUMBERS.findall(element.get("d", "")))
    if element.tag in ("polyline", "polygon"):
        return 1, len(_NUMBERS.findall(element.get("points", "")))
    if element.tag in ("text", "tspan"):
        return 1 + len(element.text or "") + sum(len(child.tail or "") for child in element), 0
    return 1, 0


def _check_drawing_budget(root: ET.Element) -> None:
    own_elements = own_coordinates = 0
    targets: dict[str, ET.Element] = {}
    for element in root.iter():
        elements, coordinates = _weight(element)
        own_elements += elements
        own_coordinates += coordinates
        if "id" in element.attrib:
            targets.setdefault(element.attrib["id"], element)  # the first of an id is the one
    most_elements = own_elements + MAX_REFERENCED_ELEMENTS
    most_coordinates = own_coordinates + MAX_REFERENCED_COORDINATES
    done: dict[int, tuple[int, int, int]] = {}  # element -> elements, coordinates, height
    path: set[int] = set()  # the elements being expanded, from the root down
    deep = f"sketch SVG is nested deeper than {MAX_DEPTH} once <use> is followed"

    def expand(element: ET.Element, above: int) -> tuple[int, int, int]:
        """Elements, coordinates and height of the element's subtree, every <use> followed;
        `above` elements lie between it and the root (a file's own depth is at most MAX_DEPTH)."""
        key = id(element)
        if key in path:
            raise InvalidRequest("sketch SVG refused: a <use> refers to itself or to an ancestor")
        if above > MAX_DEPTH:
            raise InvalidRequest(deep)
        if key not in done:
            path.add(key)
            (elements, coordinates), height = _weight(element), 0
            below = list(element)
            if element.tag == "use":
                target = targets.get(element.attrib["href"][1:])
                if target is not None:
                    below.append(target)
            for child in below:
                child_elements, child_coordinates, child_height = expand(child, above + 1)
                elements += child_elements
                coordinates += child_coordinates
                height = max(height, child_height)
                if elements > most_elements:
                    raise InvalidRequest(
                        f"sketch SVG refused: its <use> elements draw more than"
                        f" {MAX_REFERENCED_ELEMENTS} elements and characters beyond the"
                        f" {own_elements} it holds"
                    )
                if coordinates > most_coordinates:
                    raise InvalidRequest(
                        f"sketch SVG refused: its <use> elements draw more than"
                        f" {MAX_REFERENCED_COORDINATES} coordinates beyond the"
                        f" {own_coordinates} it holds"
                    )
            path.remove(key)
            done[key] = (elements, coordinates, height + 1)
        if above + done[key][2] > MAX_DEPTH + 1:
            raise InvalidRequest(deep)
        return done[key]

    expand(root, 0)
