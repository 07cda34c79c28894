"""A hunter's sketch, decoded and re-encoded by the server: what is stored and served is always
our own PNG or SVG, never the bytes that were sent.

PNG: the header's dimensions are checked before any pixel is decoded (a small file must not
decode into a huge image), the file is verified, then fully decoded (a truncated file fails
here) and written afresh without any metadata chunk. SVG: parsed without DTDs, entities or
external references (defusedxml), refused when it carries a script, an event handler or a
reference outside the document, and re-serialised from a whitelist of elements and attributes
whose every value must match the attribute's grammar (a number, a length, a colour, path data, a
transform, a keyword...): no escape, comment or function but colours, transforms and `url(#id)`
reaches the browser's CSS parser.

What an SVG asks a browser to draw is bounded too: every SVG served renders, at its own size, in
well under a second. Its own size is fixed by the server: the root always carries a viewBox and
a width and height in pixels, at most MAX_RENDERED_SIDE on the longer side (the aspect ratio
kept), so a page that shows it inline or as an <img> without sizing it draws at most about a
megapixel; a page that scales it up pays in proportion to the area (and a page whose style
sheet restyles the inside of an inline SVG draws what it asks for). "Renders" means from the
page's load to a completed paint (laid out, painted and rasterised) in Chromium, software
rasterisation, at that size. The drawing is priced by a cost model measured in Chromium (see the
budget below) and refused over BUDGET; tests/test_sketch_render_browser.py draws the worst
cases the budget allows, and four times as much, in Chromium.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
import unicodedata
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import pairwise

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from PIL import Image, UnidentifiedImageError

from hunt_engine.errors import InvalidRequest

MAX_SKETCH_BYTES = 256 * 1024
MAX_SIDE = 2048
MAX_STORED_BYTES = 1024 * 1024
MAX_ELEMENTS = 5000  # in the file as sent
MAX_DEPTH = 40  # nesting, in the file and once every <use> is followed
MAX_RENDERED_SIDE = 1024  # px: the SVG's own size on its longer side
MAX_MARKS_IN_A_ROW = 8  # combining marks after a character (Zalgo text stacks hundreds)
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
    _fix_own_size(clean)
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
            if local == "font-size" and attributes[local].lower() in FONT_SIZES:
                # In px: as a keyword, the size would be the reader's default font's.
                attributes[local] = _decimal(FONT_SIZES[attributes[local].lower()])
    if name == "use" and "href" not in attributes:
        return None
    clean = ET.Element(name, attributes)
    if name in TEXT_ELEMENTS:
        clean.text = _text(element.text)
    if name == "use":
        return clean  # what a <use> holds is not drawn, and ids in it would complicate references
    for child in element:
        copied = _copy(child)
        if copied is not None:
            if name in TEXT_ELEMENTS:
                copied.tail = _text(child.tail)
            clean.append(copied)
    return clean


def _text(text: str | None) -> str | None:
    """The text, unless it stacks more than MAX_MARKS_IN_A_ROW combining marks on a character."""
    run = 0
    for character in text or "":
        run = run + 1 if unicodedata.category(character).startswith("M") else 0
        if run > MAX_MARKS_IN_A_ROW:
            raise InvalidRequest(
                f"sketch SVG refused: more than {MAX_MARKS_IN_A_ROW} combining marks in a row"
            )
    return text


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
FONT_SIZES = {  # px, as Chromium sizes them with its default font size
    "xx-small": 9.0,
    "x-small": 10.0,
    "small": 13.0,
    "medium": 16.0,
    "large": 18.0,
    "x-large": 24.0,
    "xx-large": 32.0,
}
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
    **dict.fromkeys("cx cy fx fy fr".split(), _LENGTH_GRAMMAR),
    # What sizes a shape or a viewport: not in em, ex or rem (the page's font would set it).
    **dict.fromkeys(
        "width height r rx ry x1 y1 x2 y2".split(),
        _grammar(
            rf"{_NUMBER}(?:px|pt|pc|mm|cm|in|q|%)?",
            "a length in px, pt, pc, mm, cm, in, q or %",
            ignore_case=True,
        ),
    ),
    # Not in em, ex or rem: the page's font would set how wide it is drawn.
    "stroke-width": _grammar(
        rf"{_NUMBER}(?:px|pt|pc|mm|cm|in|q|%)?{_INHERIT}",
        "a width in px, pt, pc, mm, cm, in, q or %",
        ignore_case=True,
    ),
    **dict.fromkeys("x y dx dy".split(), _LENGTHS_GRAMMAR),
    "points": _NUMBERS_GRAMMAR,
    "viewBox": _grammar(
        rf"{_NUMBER}(?:{_SEP}{_NUMBER}){{3}}", "four numbers, the last two (its size) positive"
    ),
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
    "font-size": _grammar(  # not in rem: the page's font would set it
        rf"{_NUMBER}(?:px|pt|pc|mm|cm|in|q|em|ex|%)?"
        rf"|{_keywords(' '.join(FONT_SIZES))}|larger|smaller{_INHERIT}",
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
    if not pattern.fullmatch(normal) or not _MEANINGFUL.get(name, _anything)(normal):
        shown = normal if len(normal) <= 40 else normal[:40] + "..."
        raise InvalidRequest(f"sketch SVG refused: {name}={shown!r} is not {what}")
    return normal


def _anything(value: str) -> bool:
    return True


def _parses(parse: Callable[[str], object]) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        try:
            parse(value)
        except ValueError:
            return False
        return True

    return check


# Beyond the grammar, what the budget reads must make sense: a viewBox of four numbers with a
# positive size, transforms with their number of arguments, path data that parses to its end.
_MEANINGFUL: dict[str, Callable[[str], bool]] = {}  # filled in below, with the parsers


# --- SVG: its own size ----------------------------------------------------------------------------
# Inline in a page, an SVG without a width and height fills its container, and the browser draws
# as many pixels as the page is wide: the time it takes is not the sketch's to bound. So the root
# always gets a viewBox (its coordinates, as drawn) and a width and height in px, at most
# MAX_RENDERED_SIDE on the longer side. An SVG that says how big it is keeps its size (in px, the
# absolute units converted) unless it is bigger; one that does not is drawn as big as allowed,
# or, without a viewBox either, at CSS's default size of 300x150. The root's own transform, x and
# y are dropped: its place and size on the page are the page's, not the sketch's. Its font size
# is written in px (16, the browsers' default, when it has none or one relative to the page's),
# so that the page's font does not size the sketch's text.

_PX_PER_UNIT = {"": 1.0, "px": 1.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4, "q": 96 / 101.6}
_PX_PER_UNIT |= {"pt": 96 / 72, "pc": 16.0}
_LENGTH_PARTS = re.compile(rf"({_NUMBER})([A-Za-z%]*)", re.ASCII)
_NUMBERS = re.compile(_NUMBER, re.ASCII)
DEFAULT_SIZE = (300.0, 150.0)
DEFAULT_FONT_SIZE = FONT_SIZES["medium"]


def _view_box(value: str) -> tuple[float, float, float, float]:
    """x, y, width and height of a viewBox; ValueError unless four numbers, the size positive."""
    numbers = [float(number) for number in _NUMBERS.findall(value)]
    if len(numbers) != 4 or not all(map(math.isfinite, numbers)) or min(numbers[2:]) <= 0:
        raise ValueError(value)
    return numbers[0], numbers[1], numbers[2], numbers[3]


def _length(value: str | None) -> tuple[float, str] | None:
    """A length's number and its unit (lower case, "" for none), or None if absent or a keyword."""
    parts = _LENGTH_PARTS.fullmatch(value or "")
    if parts is None:
        return None
    return float(parts[1]), parts[2].lower()


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


# --- SVG: drawing budget --------------------------------------------------------------------------
# Whatever a sketch draws, every <use> followed, is priced in microseconds of a browser's time at
# the sketch's own size, and the sketch refused over BUDGET. The price is a sum of quantities
# times WEIGHTS, each weight an upper bound of what it was measured to cost in Chromium (software
# rasterisation, at 1024x1024 px, on a 2-core machine) in the worst case of its kind:
#
# - every element held or copied by a <use> (the DOM, style and layout), and every number in its
#   attributes (a list of text positions, a transform list): a browser parses them for each copy;
# - every area painted, the fill or the stroke of a shape or of glyphs: its pixels, at most the
#   sketch's, at a price per megapixel for a colour (translucent), more for a gradient, and more
#   for each of its stops (Skia looks each pixel's stop up among them; and sets them all up for
#   each shape painted: a gradient of 2,000 stops on 2,900 dots took 370 ms). The area is
#   bounded from the shape's box in user units, times the most the transforms in force scale a
#   length by (a box of sides w and h lies, however transformed, in a square of side
#   (w^2 + h^2)^0.5 times that); a stroke widens the box by its width (times the miter limit, if
#   joins are mitred);
# - every opacity below 1: a layer as big as the sketch (nested, they stay allocated); every
#   nested <svg>: a clip as big as the sketch (turned, an anti-aliased mask: 570 of them, nested
#   19 deep, took 450 ms);
# - outlines (paths, polylines, polygons, and the shapes'): their segments; the device pixels
#   their edges span (at most the length of the segments, of a curve's control polygon, of an
#   arc's whole ellipse, times the scale; a stroke twice its outline plus, at every vertex, its
#   width times 3, or 2 + the miter limit if mitred); and that span times the number of edges,
#   for at every scanline the rasteriser sorts and blits the edges that cross it (3,000 edges
#   zig-zagging across the sketch take a second, and 20,000 tangled in 10 px too);
# - glyphs: each character is a glyph drawn on its own, shaped and placed, and filled or stroked
#   over a box of twice its font size each way (as wide as the widest glyphs; the sketch's root
#   has a font size in px); each font family a text names is looked up once, even in <defs>
#   (an unknown one takes a millisecond), and so is a font for each character beyond ASCII (2,000
#   distinct ones took 130 ms the first time). A glyph a colour font may draw (an emoji) costs much
#   more: not measured (no colour font here), but priced as ten layers of gradient; the nearest
#   measured, a bitmap scaled to cover the sketch (as a bitmap emoji is), took 2.7 ms.
#
# Over some 150 sketches measured, none took more than two thirds of its price. The worst case of
# each kind at the budget, and all of them at once, render there in at most 0.3 s (0.06 s of it
# the page's own), four times the budget in up to 0.9 s (tests/test_sketch_render_browser.py):
# room for a machine a few times slower within a second. A <use> is priced
# as the copy it makes, and a cycle of them refused: references make a sketch no cheaper to draw
# than writing the copies out. Gradients cannot refer to one another (their href is not kept):
# <use> is the only reference.

BUDGET = 350_000.0  # microseconds
MEGAPIXEL = 1e6
WEIGHTS: dict[str, float] = {
    "element": 20.0,  # each element, held or copied
    "number": 2.0,  # each number in its lists of positions and of transforms
    "paint": 20.0,  # each fill or stroke painted
    "gradient_setup": 0.1,  # each stop of the gradient it is painted with (set up for each)
    "solid": 300.0,  # a megapixel painted with a colour
    "gradient": 1_500.0,  # ... with a gradient
    "gradient_stop": 850.0,  # ... for each of its stops
    "layer": 6_000.0,  # a megapixel of layer (a sketch's area for each opacity below 1)
    "clip": 1_500.0,  # a megapixel of clip (a sketch's area for each nested <svg>)
    "shape": 30.0,  # a rect, circle, ellipse or line (and its outline, as an outline's)
    "segment": 4.0,  # a command of path data, or a point of a polyline or polygon
    "fill_span": 0.15,  # a device pixel spanned by an edge of a filled outline
    "stroke_span": 0.15,  # ... of a stroked outline
    "fill_density": 0.00012,  # a device pixel spanned by an edge, times the outline's edges
    "stroke_density": 0.0002,  # ... of a stroked outline
    "glyph": 40.0,  # a character of text, shaped and placed
    "glyph_fill": 400.0,  # a megapixel of glyphs filled
    "glyph_stroke": 20.0,  # a glyph's outline stroked
    "glyph_stroke_area": 3_000.0,  # a megapixel of glyphs stroked
    "colour_glyph": 30_000.0,  # a megapixel of glyphs a colour font may draw (emoji)
    "font": 1_400.0,  # a font family looked up (once) for texts
    "fallback": 150.0,  # a character not in ASCII, the first time (a font found for it)
}
UNITS = {
    "element": "elements, copies included",
    "number": "numbers in attributes (lists of positions, transforms)",
    "paint": "fills and strokes",
    "gradient_setup": "gradients of many stops painted",
    "solid": "areas painted with a colour",
    "gradient": "areas painted with a gradient",
    "gradient_stop": "gradient stops",
    "layer": "opacity layers",
    "clip": "nested <svg> viewports",
    "shape": "shapes",
    "segment": "path segments",
    "fill_span": "the extent of filled outlines",
    "stroke_span": "the extent of stroked outlines",
    "fill_density": "filled outlines of many edges",
    "stroke_density": "stroked outlines of many edges",
    "glyph": "characters of text",
    "glyph_fill": "the area of glyphs",
    "glyph_stroke": "stroked characters",
    "glyph_stroke_area": "the area of stroked glyphs",
    "colour_glyph": "the area of emoji",
    "font": "font families looked up",
    "fallback": "distinct characters beyond ASCII",
}
GLYPH_BOX = 2.0  # a glyph's ink lies in a square this many times its font size
SHAPES = frozenset({"rect", "circle", "ellipse", "line"})
OUTLINES = frozenset({"path", "polyline", "polygon"})
# What these hold is not drawn where it stands (only through a <use>, which draws its target).
HIDDEN = frozenset({"defs", "linearGradient", "radialGradient", "stop", "title", "desc"})
# Attributes of any length but path data and points (priced by their segments).
LISTS_OF_NUMBERS = ("x", "y", "dx", "dy", "transform", "gradientTransform")
# Where a browser certainly applies a transform (not a tspan, say): elsewhere it may shrink nothing.
TRANSFORMED = SHAPES | OUTLINES | {"g", "use", "text", "defs"}

Paint = tuple[int, int, int]  # what painting costs: (colours, gradients, their stops)
NO_PAINT: Paint = (0, 0, 0)
COLOUR: Paint = (1, 0, 0)


@dataclass(frozen=True, slots=True)
class Outline:
    """What an outline asks of the rasteriser, in its own user units."""

    segments: int  # commands drawn (moves and closes included), or points
    edges: int  # the rasteriser's edges: a line 1, a quadratic 2, a cubic 3, an arc 12
    length: float  # at least the length of every edge, each subpath closed
    width: float  # of a box holding it
    height: float


class _Box:
    """The smallest box holding the points added."""

    def __init__(self) -> None:
        self.left = self.top = math.inf
        self.right = self.bottom = -math.inf

    def add(self, x: float, y: float, margin: float = 0.0) -> None:
        self.left, self.right = min(self.left, x - margin), max(self.right, x + margin)
        self.top, self.bottom = min(self.top, y - margin), max(self.bottom, y + margin)

    def size(self) -> tuple[float, float]:
        if self.left > self.right:
            return 0.0, 0.0
        return self.right - self.left, self.bottom - self.top


# --- outlines: path data and points ---------------------------------------------------------------
# Parsed as the SVG grammar says (numbers may touch: `1-2.5.5`; arc flags are one digit: `0110`),
# to the end or refused: a browser stops drawing at an error, a parser of ours that stopped
# earlier than the browser would undercount.

_PATH_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_ARGUMENTS = {"M": "nn", "L": "nn", "T": "nn", "H": "n", "V": "n", "C": "nnnnnn", "S": "nnnn"}
_ARGUMENTS |= {"Q": "nnnn", "A": "nnnffnn"}
_NUMBER_START = frozenset("+-.0123456789")


def path_outline(d: str) -> Outline:
    """The outline of normalised path data (one space between tokens at most); ValueError if it
    does not parse to its end."""
    end, at = len(d), 0
    segments = edges = 0
    length = 0.0
    x = y = start_x = start_y = 0.0
    control_x = control_y = 0.0  # the last control point, for S and T
    previous = ""
    box = _Box()

    def skip_space() -> None:
        nonlocal at
        if at < end and d[at] == " ":
            at += 1

    def separator() -> None:
        nonlocal at
        skip_space()
        if at < end and d[at] == ",":
            at += 1
            skip_space()

    def argument(kind: str) -> float:
        nonlocal at
        if kind == "f":
            if at < end and d[at] in "01":
                at += 1
                return float(d[at - 1])
            raise ValueError(d)
        number = _PATH_NUMBER.match(d, at)
        if number is None:
            raise ValueError(d)
        at = number.end()
        return float(number.group())

    skip_space()
    while at < end:
        command = d[at]
        upper = command.upper()
        if upper not in _ARGUMENTS and upper != "Z" or (segments == 0 and upper != "M"):
            raise ValueError(d)
        at += 1
        if upper == "Z":
            length += math.hypot(x - start_x, y - start_y)
            edges, segments, previous = edges + 1, segments + 1, "Z"
            x, y = start_x, start_y
            skip_space()
            continue
        skip_space()
        while True:
            values = []
            for index, kind in enumerate(_ARGUMENTS[upper]):
                if index:
                    separator()
                values.append(argument(kind))
            dx, dy = (0.0, 0.0) if command.isupper() else (x, y)
            segments += 1
            if upper == "M":
                length += math.hypot(x - start_x, y - start_y)  # the last subpath, closed
                edges += 1
                x, y = start_x, start_y = values[0] + dx, values[1] + dy
                box.add(x, y)
                upper, command = "L", "L" if command == "M" else "l"  # the pairs that follow
            elif upper in "LHV":
                to_x = x if upper == "V" else values[0] + dx
                to_y = y if upper == "H" else values[-1] + dy
                length += math.hypot(to_x - x, to_y - y)
                edges += 1
                x, y = to_x, to_y
                box.add(x, y)
            elif upper in "CSQT":
                given = [(values[i] + dx, values[i + 1] + dy) for i in range(0, len(values), 2)]
                if upper in "ST":  # the first control point: the last one reflected, or here
                    smooth = previous in ("CS" if upper == "S" else "QT")
                    given.insert(0, (2 * x - control_x, 2 * y - control_y) if smooth else (x, y))
                polygon = [(x, y), *given]  # a Bézier curve lies in its control polygon's hull
                length += sum(math.dist(a, b) for a, b in pairwise(polygon))
                for point in given:
                    box.add(*point)
                edges += 3 if upper in "CS" else 2  # cut where it turns up or down
                (control_x, control_y), (x, y) = polygon[-2], polygon[-1]
            else:  # an arc: no longer than its whole ellipse, which is no longer than its box
                to_x, to_y = values[5] + dx, values[6] + dy
                rx, ry = abs(values[0]), abs(values[1])
                if rx == 0 or ry == 0:
                    length += math.hypot(to_x - x, to_y - y)
                    edges += 1
                else:  # radii too small for the ends are scaled up until they fit
                    angle = math.radians(values[2])
                    half_x, half_y = (x - to_x) / 2, (y - to_y) / 2
                    along = math.cos(angle) * half_x + math.sin(angle) * half_y
                    across = -math.sin(angle) * half_x + math.cos(angle) * half_y
                    grow = math.sqrt(max(1.0, (along / rx) ** 2 + (across / ry) ** 2))
                    length += 4 * (rx + ry) * grow
                    box.add(x, y, 2 * max(rx, ry) * grow)  # the ellipse passes through here
                    edges += 12  # in at most four cubic curves
                x, y = to_x, to_y
                box.add(x, y)
            previous = upper
            resume = at
            separator()
            if at < end and d[at] in _NUMBER_START:
                continue  # the same command again, its letter implied
            at = resume
            break
        skip_space()
    length += math.hypot(x - start_x, y - start_y)
    return Outline(segments, edges + 1, length, *box.size())


def points_outline(points: str) -> Outline:
    """A polyline's or polygon's (a fill closes both); an odd number out is not drawn."""
    numbers = [float(number) for number in _NUMBERS.findall(points)]
    corners = list(zip(numbers[0::2], numbers[1::2], strict=False))
    length = sum(math.dist(a, b) for a, b in pairwise(corners))
    box = _Box()
    for corner in corners:
        box.add(*corner)
    if corners:
        length += math.dist(corners[-1], corners[0])
    return Outline(len(corners), len(corners), length, *box.size())


def shape_outline(element: ET.Element, viewport: tuple[float, float]) -> Outline:
    """A rect's, circle's, ellipse's or line's: its perimeter at most, in user units. A curved
    one may be cut into as many as 256 edges (a huge circle's conics into quadratics)."""
    width, height = viewport
    diagonal = math.hypot(width, height) / math.sqrt(2)

    def size(name: str, reference: float) -> float:
        length = _length(element.get(name))
        if length is None or length[0] < 0:  # absent, or an error: not drawn
            return 0.0
        if length[1] == "%":
            return reference * length[0] / 100
        return length[0] * _PX_PER_UNIT[length[1]]

    if element.tag == "rect":
        w, h = size("width", width), size("height", height)
        rounded = size("rx", width) > 0 or size("ry", height) > 0
        return Outline(8, 264 if rounded else 4, 2 * (w + h), w, h)
    if element.tag == "circle":
        r = size("r", diagonal)
        return Outline(4, 256, 2 * math.pi * r, 2 * r, 2 * r)
    if element.tag == "ellipse":
        rx, ry = size("rx", width), size("ry", height)
        rx, ry = rx or ry, ry or rx  # one of them absent: auto, the other
        return Outline(4, 256, 4 * (rx + ry), 2 * rx, 2 * ry)
    w = abs(size("x2", width) - size("x1", width))
    h = abs(size("y2", height) - size("y1", height))
    return Outline(2, 1, math.hypot(w, h), w, h)


# --- transforms -----------------------------------------------------------------------------------

_TRANSFORM_CALL = re.compile(r"([A-Za-z]+) ?\(([^)]*)\)", re.ASCII)
_TRANSFORM_ARGUMENTS = {
    "matrix": (6,),
    "translate": (1, 2),
    "scale": (1, 2),
    "rotate": (1, 3),
    "skewX": (1,),
    "skewY": (1,),
}


def transform_scale(value: str) -> float:
    """The most a transform list multiplies a length by (its linear part's largest singular
    value); ValueError if a function has a wrong number of arguments."""
    a, b, c, d = 1.0, 0.0, 0.0, 1.0  # the linear part, columns (a, b) and (c, d)
    for name, arguments in _TRANSFORM_CALL.findall(value):
        n = [float(number) for number in _NUMBERS.findall(arguments)]
        if len(n) not in _TRANSFORM_ARGUMENTS[name]:
            raise ValueError(value)
        if name == "matrix":
            m = (n[0], n[1], n[2], n[3])
        elif name == "scale":
            m = (n[0], 0.0, 0.0, n[-1])
        elif name == "rotate":
            cos, sin = math.cos(math.radians(n[0])), math.sin(math.radians(n[0]))
            m = (cos, sin, -sin, cos)
        elif name == "skewX":
            m = (1.0, 0.0, math.tan(math.radians(n[0])), 1.0)
        elif name == "skewY":
            m = (1.0, math.tan(math.radians(n[0])), 0.0, 1.0)
        else:
            continue  # a translation moves, it does not scale
        a, b, c, d = (
            a * m[0] + c * m[1],
            b * m[0] + d * m[1],
            a * m[2] + c * m[3],
            b * m[2] + d * m[3],
        )
    squares = a * a + b * b + c * c + d * d
    determinant = a * d - b * c
    return math.sqrt((squares + math.sqrt(max(0.0, squares**2 - 4 * determinant**2))) / 2)


_MEANINGFUL |= {
    "viewBox": _parses(_view_box),
    "transform": _parses(transform_scale),
    "gradientTransform": _parses(transform_scale),
    "d": _parses(path_outline),
}


# --- the price of a drawing -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Style:
    """What an element draws with: inherited paint, stroke and font, and where it draws."""

    fill: Paint
    stroke: Paint
    stroke_width: tuple[float, bool]  # in user units, or a percentage (True) of the viewport
    miter_limit: float
    mitred: bool  # joins are mitres (not round or bevelled): one reaches miter_limit widths out
    families: tuple[str, ...]  # font family names to look up ("" for the page's)
    font_size: float  # in user units
    scale: float  # the most device pixels a user unit spans
    viewport: tuple[float, float]  # in user units, for percentages


class Drawing:
    """The quantities a sketch asks a browser to draw (`used`, per WEIGHTS' name) and their price,
    refused as soon as it is over `budget`."""

    def __init__(self, root: ET.Element, budget: float) -> None:
        self.budget = budget
        self.used: dict[str, float] = dict.fromkeys(WEIGHTS, 0.0)
        self.price = 0.0
        self.page = float(root.attrib["width"]) * float(root.attrib["height"])  # device pixels
        self.targets: dict[str, ET.Element] = {}
        self.stops: dict[str, int] = {}
        for element in root.iter():
            if "id" in element.attrib:
                self.targets.setdefault(element.attrib["id"], element)  # the first is the one
        for name, element in self.targets.items():
            if element.tag in GRADIENTS:
                self.stops[name] = sum(1 for child in element if child.tag == "stop")
        self.outlines: dict[int, Outline] = {}
        self.numbers: dict[int, int] = {}
        self.fonts: set[str] = set()
        self.characters: set[str] = set()
        self.path: set[int] = set()  # the elements being drawn, from the root down

    def charge(self, unit: str, quantity: float) -> None:
        if quantity:
            self.used[unit] += quantity
            self.price += WEIGHTS[unit] * quantity
            if not self.price <= self.budget:  # also when it is not a number
                costliest = max(self.used, key=lambda name: WEIGHTS[name] * self.used[name])
                raise InvalidRequest(
                    f"sketch SVG refused: drawing it costs more than the drawing budget (about"
                    f" {self.budget / 1000:.0f} ms of a browser's time at its own size); the"
                    f" most of it: {UNITS[costliest]}"
                )

    def area(self, style: Style, width: float, height: float) -> float:
        """In megapixels, at most the sketch's: what a box of user units covers, transformed."""
        return min(self.page, style.scale**2 * (width**2 + height**2)) / MEGAPIXEL

    def paint(self, paint: Paint, area: float) -> None:
        if paint != NO_PAINT:
            self.charge("paint", 1)
            colours, gradients, stops = paint
            self.charge("gradient_setup", stops)
            self.charge("solid", colours * area)
            self.charge("gradient", gradients * area)
            self.charge("gradient_stop", stops * area)

    def draw(
        self,
        element: ET.Element,
        style: Style,
        depth: int = 0,
        hidden: bool = False,
        size: tuple[str | None, str | None] = (None, None),
    ) -> None:
        """Prices the element and what it holds. `hidden`: it stands where nothing is drawn (in
        <defs>, a gradient, a title...), laid out and its text shaped, but nothing painted;
        `size`: the width and height a <use> gives the <svg> it draws."""
        if depth > MAX_DEPTH:
            raise InvalidRequest(
                f"sketch SVG is nested deeper than {MAX_DEPTH} once <use> is followed"
            )
        if id(element) in self.path:
            raise InvalidRequest("sketch SVG refused: a <use> refers to itself or to an ancestor")
        self.charge("element", 1)
        self.charge("number", self.numbers_of(element))
        self.path.add(id(element))
        style = self.style(element, style, depth, hidden, size)
        tag = element.tag
        if tag == "use":
            target = self.targets.get(element.attrib["href"][1:])
            if target is not None:
                given = (element.get("width"), element.get("height"))
                if target.tag != "svg":
                    given = (None, None)
                self.draw(target, style, depth + 1, hidden, given)
        elif tag in SHAPES:
            self.charge("shape", 1)
            self.outline(style, shape_outline(element, style.viewport))
        elif tag in OUTLINES:
            self.outline(style, self.outline_of(element))
        elif tag in ("text", "tspan"):
            self.text(element, style)
        for child in element:
            self.draw(child, style, depth + 1, hidden or tag in HIDDEN)
        self.path.remove(id(element))

    def numbers_of(self, element: ET.Element) -> int:
        """Parsed for each copy: 80,000 numbers of text positions, copied 300 times, took 6 s."""
        numbers = self.numbers.get(id(element))
        if numbers is None:
            numbers = sum(len(_NUMBERS.findall(element.get(name, ""))) for name in LISTS_OF_NUMBERS)
            self.numbers[id(element)] = numbers
        return numbers

    def outline_of(self, element: ET.Element) -> Outline:
        outline = self.outlines.get(id(element))
        if outline is None:
            if element.tag == "path":
                outline = path_outline(element.get("d", ""))
            else:
                outline = points_outline(element.get("points", ""))
            self.outlines[id(element)] = outline
        return outline

    def outline(self, style: Style, outline: Outline) -> None:
        self.charge("segment", outline.segments)
        if style.fill != NO_PAINT:
            self.paint(style.fill, self.area(style, outline.width, outline.height))
            span = style.scale * outline.length
            self.charge("fill_span", span)
            self.charge("fill_density", outline.edges * span)
        width = self.stroke_width(style)
        if width > 0:
            grow = width * _join(style)
            self.paint(style.stroke, self.area(style, outline.width + grow, outline.height + grow))
            reach = 2 * outline.length + outline.segments * (2 + _join(style)) * width
            self.charge("stroke_span", style.scale * reach)
            self.charge("stroke_density", outline.edges * style.scale * reach)

    def text(self, element: ET.Element, style: Style) -> None:
        """A text's or tspan's own characters (those of its tspans are theirs)."""
        characters = (element.text or "") + "".join(child.tail or "" for child in element)
        glyphs = len(characters)
        new = set(style.families) - self.fonts  # a browser looks each one up once
        self.fonts.update(new)
        self.charge("font", len(new))
        new = {character for character in characters if ord(character) > 127} - self.characters
        self.characters.update(new)
        self.charge("fallback", len(new))
        self.charge("glyph", glyphs)
        if not glyphs:
            return
        side = GLYPH_BOX * style.font_size
        if style.fill != NO_PAINT or style.stroke != NO_PAINT:
            self.charge("colour_glyph", _colour_glyphs(characters) * self.area(style, side, side))
        if style.fill != NO_PAINT:
            covered = glyphs * self.area(style, side, side)
            self.paint(style.fill, covered)
            self.charge("glyph_fill", covered)
        width = self.stroke_width(style)
        if width > 0:
            grow = width * _join(style)
            covered = glyphs * self.area(style, side + grow, side + grow)
            self.paint(style.stroke, covered)
            self.charge("glyph_stroke", glyphs)
            self.charge("glyph_stroke_area", covered)

    @staticmethod
    def stroke_width(style: Style) -> float:
        """In user units; 0 if nothing is stroked."""
        if style.stroke == NO_PAINT:
            return 0.0
        width, percent = style.stroke_width
        if percent:
            return width / 100 * math.hypot(*style.viewport) / math.sqrt(2)
        return width

    def style(
        self,
        element: ET.Element,
        parent: Style,
        depth: int,
        hidden: bool,
        size: tuple[str | None, str | None],
    ) -> Style:
        attributes = element.attrib
        style = replace(
            parent,
            fill=NO_PAINT if hidden else self.paint_of(attributes.get("fill"), parent.fill),
            stroke=NO_PAINT if hidden else self.paint_of(attributes.get("stroke"), parent.stroke),
            font_size=_font_size(attributes.get("font-size"), parent.font_size),
        )
        width = _length(attributes.get("stroke-width"))
        if width is not None and width[0] >= 0:
            percent = width[1] == "%"
            in_user_units = width[0] if percent else width[0] * _PX_PER_UNIT[width[1]]
            style = replace(style, stroke_width=(in_user_units, percent))
        limit = _length(attributes.get("stroke-miterlimit"))
        if limit is not None and limit[0] >= 1:
            style = replace(style, miter_limit=limit[0])
        join = attributes.get("stroke-linejoin", "inherit")
        if join != "inherit":
            style = replace(style, mitred=join not in ("round", "bevel"))
        if "font-family" in attributes:
            names = (name.strip() for name in attributes["font-family"].split(","))
            style = replace(style, families=tuple(names))
        if not hidden and _is_layer(attributes.get("opacity")):
            self.charge("layer", self.page / MEGAPIXEL)
        if element.tag == "svg" and depth > 0:
            if not hidden:
                self.charge("clip", self.page / MEGAPIXEL)
            return self.viewport(element, style, size)
        if "transform" in attributes:
            scale = transform_scale(attributes["transform"])
            if element.tag not in TRANSFORMED:  # whether a browser applies it or not
                scale = max(1.0, scale)
            style = replace(style, scale=style.scale * scale)
        return style

    def paint_of(self, value: str | None, inherited: Paint) -> Paint:
        if value is None or value.lower() == "inherit":
            return inherited
        if value.lower() == "none":
            return NO_PAINT
        reference = _PAINT_URL.fullmatch(value)
        if reference is not None:  # only gradients are left (see _keep_references_inside)
            return (0, 1, self.stops.get(reference["id"], 0))
        return COLOUR

    @staticmethod
    def viewport(element: ET.Element, style: Style, size: tuple[str | None, str | None]) -> Style:
        """A nested <svg>: a viewport of its width and height, its viewBox scaled to fill it."""
        width, height = (
            _viewport_length(given or element.get(name), reference)
            for given, name, reference in zip(
                size, ("width", "height"), style.viewport, strict=True
            )
        )
        scale = style.scale
        if "transform" in element.attrib:  # whether a browser applies it to an <svg> or not
            scale *= max(1.0, transform_scale(element.attrib["transform"]))
        if "viewBox" not in element.attrib:
            return replace(style, scale=scale, viewport=(width, height))
        box = _view_box(element.attrib["viewBox"])
        fit = max(width / box[2], height / box[3])  # meet, slice or stretched: at most this
        return replace(style, scale=scale * fit, viewport=(box[2], box[3]))


def _colour_glyphs(text: str) -> int:
    """How many characters a colour font may draw (an emoji, in layers or as a bitmap): symbols,
    and any character asking for its emoji presentation or a keycap."""
    return sum(
        unicodedata.category(character) == "So" or following in ("\ufe0f", "\u20e3")
        for character, following in zip(text, text[1:] + " ", strict=True)
    )


def _join(style: Style) -> float:
    """How many stroke widths out a join reaches, caps included."""
    return style.miter_limit if style.mitred else 1.0


def _viewport_length(value: str | None, reference: float) -> float:
    length = _length(value)
    if length is None or length[0] < 0:
        return reference  # absent or negative (an error): auto, the whole viewport
    if length[1] == "%":
        return reference * length[0] / 100
    return length[0] * _PX_PER_UNIT[length[1]]


def _is_layer(opacity: str | None) -> bool:
    """Whether an opacity draws through a layer: any but 1 (or 100%), inherit included."""
    if opacity is None:
        return False
    length = _length(opacity)
    return length is None or length[0] < (100 if length[1] == "%" else 1)


def drawing(root: ET.Element, budget: float | None = None) -> Drawing:
    """The price of drawing a cleaned sketch, sized by `_fix_own_size`; refused over `budget`
    (BUDGET if None)."""
    view_box = _view_box(root.attrib["viewBox"])
    width, height = float(root.attrib["width"]), float(root.attrib["height"])
    style = Style(
        fill=COLOUR,
        stroke=NO_PAINT,
        stroke_width=(1.0, False),
        miter_limit=4.0,
        mitred=True,
        families=("",),
        font_size=DEFAULT_FONT_SIZE,
        scale=max(width / view_box[2], height / view_box[3]),
        viewport=(view_box[2], view_box[3]),
    )
    priced = Drawing(root, BUDGET if budget is None else budget)
    priced.draw(root, style)
    return priced


def _check_drawing_budget(root: ET.Element) -> None:
    drawing(root)
