"""An SVG sketch: parsed without DTDs, entities or external references (defusedxml), refused
when it carries a script, an event handler or a reference outside the document, and
re-serialised from a whitelist of elements and attributes whose every value must match the
attribute's grammar (grammar.py), at its own size (own_size.py), once its drawing is priced
within the budget (drawing_budget.py)."""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from hunt_engine.errors import InvalidRequest
from server.fans.sketch.drawing_budget import _check_drawing_budget
from server.fans.sketch.grammar import (
    _PAINT_URL,
    FONT_SIZES,
    GRADIENTS,
    GRAMMARS,
    _normalise,
    _view_box,
)
from server.fans.sketch.outlines import path_outline, transform_scale
from server.fans.sketch.own_size import _decimal, _fix_own_size
from server.fans.sketch.pricing import MAX_DEPTH
from server.fans.sketch.stored import Sketch

MAX_ELEMENTS = 5000  # in the file as sent
MAX_MARKS_IN_A_ROW = 8  # combining marks after a character (Zalgo text stacks hundreds)
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


# --- attribute values -----------------------------------------------------------------------------


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
_MEANINGFUL: dict[str, Callable[[str], bool]] = {
    "viewBox": _parses(_view_box),
    "transform": _parses(transform_scale),
    "gradientTransform": _parses(transform_scale),
    "d": _parses(path_outline),
}
