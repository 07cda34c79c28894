"""The cost model of an SVG sketch's drawing: what each thing it draws costs a browser, as
measured in Chromium."""

from __future__ import annotations

# Whatever a sketch draws, every <use> followed, is priced in microseconds of a browser's time at
# the sketch's own size, and the sketch refused over BUDGET (drawing_budget.py). The price is a
# sum of quantities times WEIGHTS, each weight an upper bound of what it was measured to cost in
# Chromium (software rasterisation, at 1024x1024 px, on a 2-core machine) in the worst case of its
# kind:
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
