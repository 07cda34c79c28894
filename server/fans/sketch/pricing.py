"""The price of drawing a cleaned SVG sketch: its elements walked, every <use> followed, and the
quantities of the cost model (cost_model.py) charged, refused as soon as it is over a budget."""

from __future__ import annotations

import math
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace

from hunt_engine.errors import InvalidRequest
from server.fans.sketch.cost_model import (
    COLOUR,
    GLYPH_BOX,
    HIDDEN,
    LISTS_OF_NUMBERS,
    MEGAPIXEL,
    NO_PAINT,
    OUTLINES,
    SHAPES,
    TRANSFORMED,
    UNITS,
    WEIGHTS,
    Paint,
)
from server.fans.sketch.grammar import (
    _NUMBERS,
    _PAINT_URL,
    _PX_PER_UNIT,
    GRADIENTS,
    _length,
    _view_box,
)
from server.fans.sketch.outlines import (
    Outline,
    path_outline,
    points_outline,
    shape_outline,
    transform_scale,
)
from server.fans.sketch.own_size import _font_size

MAX_DEPTH = 40  # nesting, in the file and once every <use> is followed


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


# A <use> is priced as the copy it makes, and a cycle of them refused: references make a sketch
# no cheaper to draw than writing the copies out. Gradients cannot refer to one another (their
# href is not kept): <use> is the only reference.
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
