"""The grammars of the attribute values an SVG sketch may keep, and how the numbers, lengths and
viewBoxes in those values are read."""

from __future__ import annotations

import math
import re

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


# --- reading values -------------------------------------------------------------------------------

_PX_PER_UNIT = {"": 1.0, "px": 1.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4, "q": 96 / 101.6}
_PX_PER_UNIT |= {"pt": 96 / 72, "pc": 16.0}
_LENGTH_PARTS = re.compile(rf"({_NUMBER})([A-Za-z%]*)", re.ASCII)
_NUMBERS = re.compile(_NUMBER, re.ASCII)


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
