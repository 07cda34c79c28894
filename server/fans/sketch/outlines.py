"""What an outline asks of the rasteriser (a path's data, a polyline's or polygon's points, a
shape's perimeter), and the most a transform list scales a length by: read as a browser reads
them, for the drawing's price."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from itertools import pairwise

from server.fans.sketch.grammar import _NUMBERS, _PX_PER_UNIT, _length


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
