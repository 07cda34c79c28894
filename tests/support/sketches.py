"""What the tests of SVG sketches share (tests/server/fans/test_sketch_sanitiser.py and
test_sketch_render_browser.py): a document around a body, the drawing budget set for a while,
and the costliest sketch of each kind the budget allows (its worst cases, found by bisection)."""

from __future__ import annotations

import contextlib
import functools
import random
from collections.abc import Callable, Iterator

from hunt_engine.errors import InvalidRequest
from server.fans.sketch import drawing_budget
from server.fans.sketch.svg import SVG_NS, XLINK_NS, clean_svg


def svg(body: str, root: str = "") -> bytes:
    """A sketch of that body, 100 user units a side, the root's own attributes added."""
    return (
        f'<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" viewBox="0 0 100 100"{root}>{body}</svg>'
    ).encode()


@contextlib.contextmanager
def budget(value: float) -> Iterator[None]:
    """The drawing budget set to `value` for a while."""
    real = drawing_budget.BUDGET
    drawing_budget.BUDGET = value
    try:
        yield
    finally:
        drawing_budget.BUDGET = real


def accepted(body: str) -> bool:
    """Whether a sketch of that body is served; refused, it must be for its price."""
    try:
        clean_svg(svg(body))
    except InvalidRequest as refused:
        assert "costs more than the drawing budget" in str(refused), refused
        return False
    return True


def stops(count: int) -> str:
    return "".join(
        f'<stop offset="{i / (count - 1):.3f}" stop-opacity=".{5 + i % 4}"'
        f' stop-color="#{i * 37 % 256:02x}{i * 91 % 256:02x}{i * 53 % 256:02x}"/>'
        for i in range(count)
    )


# The costliest gradient measured: two circles (a focal one), reflected, eight translucent stops.
GRADIENT = (
    '<radialGradient id="g" r="0.01" fx="0.3" fy="0.2" fr="0.005" spreadMethod="reflect">'
    f"{stops(8)}</radialGradient>"
)
PAGE = 'width="100" height="100"'  # the whole sketch (its viewBox is 0 0 100 100)
TRANSLUCENT = 'fill="rgba(255, 0, 0, 0.5)"'


def gradients(k: int) -> str:
    """`k` rectangles covering the sketch, filled with the gradient."""
    return GRADIENT + f'<rect {PAGE} fill="url(#g)"/>' * k


def gradient_shapes(k: int) -> str:
    """The same, stroked wide with the gradient too, each with an opacity (a layer)."""
    paint = 'fill="url(#g)" stroke="url(#g)" stroke-width="25" stroke-linejoin="round"'
    return GRADIENT + f'<rect {PAGE} {paint} opacity=".7"/>' * k


def layers(k: int) -> str:
    """`k` groups with an opacity, nested 38 deep (the deepest allowed), over two rectangles."""
    inside = f'<rect {PAGE} {TRANSLUCENT}/><rect width="90" height="90" fill="blue"/>'
    stacks, rest = divmod(k, 38)
    nest = ['<g opacity=".9">' * n + inside + "</g>" * n for n in [38] * stacks + [rest]]
    return "".join(nest)


def clips(k: int) -> str:
    """`k` nested <svg>s, each turned a little (an anti-aliased clip), 19 deep, over two
    rectangles."""
    inside = f'<rect {PAGE} {TRANSLUCENT}/><rect width="90" height="90" fill="blue"/>'
    turned = '<g transform="rotate(3 50 50)"><svg width="100" height="100">'
    stacks, rest = divmod(k, 19)
    nest = [turned * n + inside + "</svg></g>" * n for n in [19] * stacks + [rest]]
    return "".join(nest)


def zigzag(k: int) -> str:
    """One outline of `k` segments, each from the top of the sketch to its bottom (even-odd)."""
    draw = random.Random(7)
    points = " ".join(f"{draw.uniform(0, 100):.1f} {100 * (i % 2)}" for i in range(k + 1))
    return f'<path d="M{points}" fill-rule="evenodd" {TRANSLUCENT}/>'


def tangle(k: int) -> str:
    """One stroked outline of `k` segments tangled in a square of 10 px."""
    draw = random.Random(7)
    points = " ".join(f"{50 + draw.random():.3f} {50 + draw.random():.3f}" for _ in range(k + 1))
    return f'<path d="M{points}" fill="none" stroke="rgba(0, 0, 255, 0.5)" stroke-width=".1"/>'


def glyphs(k: int) -> str:
    """`k` bold glyphs as big as the sketch, at one place, gradient filled and stroked wide."""
    at = " ".join(["-10"] * k)
    paint = 'fill="url(#g)" stroke="url(#g)" stroke-width="25" stroke-linejoin="round"'
    return (
        f'{GRADIENT}<text x="{at}" y="90" font-size="150" font-weight="bold" {paint}>'
        f"{'@' * k}</text>"
    )


def fonts(k: int) -> str:
    """`k` font families no one has, each looked up for a character."""
    spans = "".join(f'<tspan font-family="f{i}x">a</tspan>' for i in range(k))
    return f'<text y="50">{spans}</text>'


def copies(k: int) -> str:
    """`k` copies of a small square, by <use>s of <use>s, ten to a level."""
    defs, level, made = '<rect id="u0" width="1" height="1"/>', 0, 1
    while made * 10 <= k:
        level, made = level + 1, made * 10
        defs += f'<g id="u{level}">' + f'<use href="#u{level - 1}"/>' * 10 + "</g>"
    uses, left = "", k
    for depth in range(level, -1, -1):
        count, left = divmod(left, 10**depth)
        uses += f'<use href="#u{depth}"/>' * count
    return f"<defs>{defs}</defs>{uses}"


WORST_CASES: dict[str, Callable[[int], str]] = {
    "gradients": gradients,
    "gradient shapes": gradient_shapes,
    "layers": layers,
    "clips": clips,
    "zigzag": zigzag,
    "tangle": tangle,
    "glyphs": glyphs,
    "fonts": fonts,
    "copies": copies,
}


@functools.cache
def limit(kind: str, times: float = 1.0) -> int:
    """The most of `kind` accepted within `times` the budget."""
    build = WORST_CASES[kind]
    with budget(drawing_budget.BUDGET * times):
        low, high = 0, 1
        while accepted(build(high)):
            low, high = high, high * 2
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if accepted(build(middle)) else (low, middle)
    return low


def worst_case(kind: str, times: float = 1.0) -> str:
    """The body of the costliest sketch of a kind within `times` the budget; `combined`: every
    kind, each within its share of it."""
    if kind == "combined":
        share = times / len(WORST_CASES)
        return "".join(build(limit(name, share)) for name, build in WORST_CASES.items())
    return WORST_CASES[kind](limit(kind, times))
