"""The drawing budget of an SVG sketch: what it draws, priced by the cost model (cost_model.py,
pricing.py), must fit within BUDGET, or the sketch is refused."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from server.fans.sketch.cost_model import COLOUR, NO_PAINT
from server.fans.sketch.grammar import _view_box
from server.fans.sketch.own_size import DEFAULT_FONT_SIZE
from server.fans.sketch.pricing import Drawing, Style

# Over some 150 sketches measured, none took more than two thirds of its price. The worst case of
# each kind at the budget, and all of them at once, render there in at most 0.3 s (0.06 s of it
# the page's own), four times the budget in up to 0.9 s
# (tests/server/fans/test_sketch_render_browser.py): room for a machine a few times slower within
# a second.
BUDGET = 350_000.0  # microseconds


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
