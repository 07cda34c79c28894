"""server/art/image.py on its own: what the stored copy of an upload is (upright, sRGB, the first
frame, transparency kept, within its size caps), and that no input, however broken, gets any
answer but a refusal."""

from __future__ import annotations

import io
import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms

from server.art.image import (
    MAX_UPLOAD_BYTES,
    STORED_MAX_BYTES,
    STORED_SIDE,
    ArtRefused,
    clean_art,
    declared_type,
    encode,
)


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def stored(raw: bytes, media_type: str) -> Image.Image:
    art = clean_art(raw, media_type)
    image = Image.open(io.BytesIO(art.data))
    assert image.format == "WEBP" and (image.width, image.height) == (art.width, art.height)
    return image


def test_the_exif_orientation_is_applied_before_it_is_dropped() -> None:
    # A phone's portrait photo: stored landscape pixels, EXIF saying "rotate 90° clockwise".
    landscape = Image.new("RGB", (40, 20), (0, 0, 255))
    landscape.paste((255, 0, 0), (0, 0, 20, 20))  # red on the left half
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    image = stored(encoded(landscape, "JPEG", exif=exif, quality=95), "image/jpeg")
    assert image.size == (20, 40)
    red, _, blue = image.convert("RGB").getpixel((10, 5))  # type: ignore[misc]
    assert red > 200 and blue < 60  # the left half is now the top


def test_colours_come_out_in_srgb_rgb() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    rgb = Image.new("RGB", (32, 32), (10, 120, 240))
    image = stored(encoded(rgb, "PNG", icc_profile=srgb), "image/png")
    assert image.mode == "RGB" and "icc_profile" not in image.info
    assert _close(image.getpixel((16, 16)), (10, 120, 240))

    cmyk = Image.new("CMYK", (32, 32), (0, 255, 255, 0))  # process red
    image = stored(encoded(cmyk, "JPEG", quality=95), "image/jpeg")
    red, green, blue = image.convert("RGB").getpixel((16, 16))  # type: ignore[misc]
    assert red > 200 and green < 60 and blue < 60

    # 16-bit grey: mid-grey stays mid-grey (a plain conversion would clip it to white).
    grey16 = Image.new("I;16", (16, 16), 32768)
    image = stored(encoded(grey16, "PNG"), "image/png")
    assert abs(image.convert("L").getpixel((8, 8)) - 128) <= 3  # type: ignore[operator]


def test_transparency_is_kept_and_an_opaque_alpha_dropped() -> None:
    palette = Image.new("P", (32, 32), 0)
    palette.putpalette([255, 0, 0, 0, 255, 0])
    palette.paste(1, (0, 0, 16, 32))
    image = stored(encoded(palette, "PNG", transparency=1), "image/png")
    assert image.mode == "RGBA"
    assert image.getpixel((4, 4))[3] == 0 and image.getpixel((28, 4))[3] == 255  # type: ignore[index]

    opaque = Image.new("RGBA", (32, 32), (1, 2, 3, 255))
    assert stored(encoded(opaque, "PNG"), "image/png").mode == "RGB"


@pytest.mark.parametrize(("fmt", "media_type"), [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_an_animation_keeps_its_first_frame(fmt: str, media_type: str) -> None:
    frames = [Image.new("RGB", (24, 24), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    raw = encoded(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(raw)).n_frames == 2  # type: ignore[attr-defined]
    image = stored(raw, media_type)
    assert getattr(image, "n_frames", 1) == 1
    red, _, blue = image.convert("RGB").getpixel((12, 12))  # type: ignore[misc]
    assert red > 200 and blue < 60


def test_the_stored_copy_is_capped_in_pixels_and_bytes() -> None:
    wide = Image.new("RGB", (4096, 300), (30, 60, 90))
    image = stored(encoded(wide, "PNG"), "image/png")
    assert image.size == (STORED_SIDE, 150)

    # Noise compresses worst of all: quality, then size, give way until it fits.
    noise = Image.frombytes("RGB", (STORED_SIDE, STORED_SIDE), random.Random(7).randbytes(3 << 22))
    art = encode(noise)
    assert len(art.data) <= STORED_MAX_BYTES and art.width <= STORED_SIDE
    assert encode(noise).data == art.data  # deterministic: the same address every time


def test_declared_types() -> None:
    assert declared_type("image/PNG; charset=binary") == "image/png"
    assert declared_type(" image/webp ") == "image/webp"
    for header in (None, "", "image/gif", "image/svg+xml", "text/html", "image/png2"):
        with pytest.raises(ArtRefused):
            declared_type(header)
    with pytest.raises(ArtRefused, match="over"):
        clean_art(b"\x89PNG" + b"\x00" * MAX_UPLOAD_BYTES, "image/png")


SEEDS = {
    "image/png": encoded(Image.new("RGBA", (9, 7), (9, 8, 7, 6)), "PNG"),
    "image/jpeg": encoded(Image.new("RGB", (9, 7), (9, 8, 7)), "JPEG"),
    "image/webp": encoded(Image.new("RGB", (9, 7), (9, 8, 7)), "WEBP"),
}


@settings(max_examples=150, deadline=None)
@given(
    media_type=st.sampled_from(sorted(SEEDS)),
    edits=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, 400),
    tail=st.binary(max_size=64),
)
def test_a_damaged_file_is_refused_never_an_error(
    media_type: str, edits: list[tuple[int, int]], cut: int, tail: bytes
) -> None:
    data = bytearray(SEEDS[media_type])
    for at, value in edits:
        if at < len(data):
            data[at] = value
    damaged = bytes(data[: max(1, len(data) - cut)]) + tail
    try:
        art = clean_art(damaged, media_type)
    except ArtRefused:
        return
    assert art.data[:4] == b"RIFF" and art.width * art.height > 0


def test_a_header_rewritten_to_a_huge_size_is_refused_before_decoding() -> None:
    raw = bytearray(SEEDS["image/webp"])
    # The VP8 frame header's 14-bit width and height, both set to 16383.
    at = raw.index(b"\x9d\x01\x2a") + 3
    raw[at : at + 4] = struct.pack("<HH", 16383, 16383)
    with pytest.raises(ArtRefused, match="pixels|not a complete"):
        clean_art(bytes(raw), "image/webp")


def _close(pixel: object, expected: tuple[int, int, int], tolerance: int = 6) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], expected, strict=True))
