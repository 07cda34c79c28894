"""The demo's collectible art, drawn here: each episode's scene as a gradient, a few shapes and
the episode's name, in colours taken from its key. Deterministic (the same key and name give
the same PNG, byte for byte), so re-running the demo uploads the same art to the same address.

Nothing comes from another origin: the pictures are uploaded through the API
(`PUT /v1/hunts/{slug}/collectibles/{key}/image`), which keeps geohunt's own copy.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 750
MARGIN = 64


def _colour(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    red, green, blue = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


def _gradient(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    """A diagonal gradient from `top` (upper left) to `bottom` (lower right)."""
    down = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    across = Image.linear_gradient("L").transpose(Image.Transpose.TRANSPOSE).resize((WIDTH, HEIGHT))
    ramp = Image.blend(down, across, 0.5)
    return Image.composite(
        Image.new("RGB", ramp.size, bottom), Image.new("RGB", ramp.size, top), ramp
    )


def episode_art(key: str, name: str, episode: str | None) -> bytes:
    """The episode's scene as a PNG of WIDTH x HEIGHT pixels."""
    seed = hashlib.sha256(key.encode()).digest()
    hue = seed[0] / 256
    image = _gradient(_colour(hue, 0.75, 0.55), _colour(hue + 0.18, 0.85, 0.16))
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    # Shapes placed by the key's hash: discs, rings and one big triangle.
    for n in range(6):
        x = seed[1 + n] / 255 * WIDTH
        y = seed[7 + n] / 255 * HEIGHT * 0.7
        radius = 40 + seed[13 + n] % 160
        tint = _colour(hue + (0.5 if n % 2 else 0.08), 0.55, 0.95)
        box = (x - radius, y - radius, x + radius, y + radius)
        if n % 3 == 2:
            draw.ellipse(box, outline=(*tint, 150), width=10)
        else:
            draw.ellipse(box, fill=(*tint, 70 + seed[19 + n] % 70))
    apex = seed[25] / 255 * WIDTH
    draw.polygon(
        [(apex, HEIGHT * 0.18), (apex - 420, HEIGHT + 40), (apex + 420, HEIGHT + 40)],
        fill=(*_colour(hue + 0.33, 0.6, 0.2), 110),
    )
    # A dark band under the title, so that it reads on any colour.
    draw.rectangle((0, HEIGHT - 260, WIDTH, HEIGHT), fill=(5, 7, 12, 150))
    image = Image.alpha_composite(image.convert("RGBA"), layer)
    text = ImageDraw.Draw(image)
    small = ImageFont.load_default(size=34)
    large = ImageFont.load_default(size=72)
    if episode:
        text.text((MARGIN, HEIGHT - 230), episode.upper(), font=small, fill=(255, 255, 255, 200))
    lines = textwrap.wrap(name, width=26)[:2]
    for n, line in enumerate(lines):
        text.text((MARGIN, HEIGHT - 175 + n * 82), line, font=large, fill=(255, 255, 255, 255))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG")
    return out.getvalue()
