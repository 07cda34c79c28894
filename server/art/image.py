"""An uploaded picture made safe to serve: decoded within bounds, and re-encoded by us.

What goes in: a PNG, JPEG or WebP file of at most `MAX_UPLOAD_BYTES`, at most `MAX_SIDE` pixels
a side, whose declared type is what the file is. What comes out: a WebP file of our own, with
nothing of the upload but its pixels.

- The declared `Content-Type` and the decoded format must agree (a PNG sent as `image/jpeg` is
  refused): a mislabelled file is a client bug worth saying, and never guessed around.
- The dimensions are read from the header and checked before a single pixel is decoded, so a
  small file declaring a huge image (a decompression bomb) costs nothing; Pillow's own bomb
  guard (far above ours) is caught too.
- A truncated or corrupt file is refused: Pillow's `LOAD_TRUNCATED_IMAGES` is left off, and a
  PNG's chunks are verified (CRCs) before it is decoded.
- An animated image (APNG, animated WebP) keeps its first frame only: a collectible's art is a
  still picture, and the first frame is what a still renderer shows too.
- The EXIF orientation is applied, then the pixels are converted to sRGB (through the file's ICC
  profile when it has one for its colour model) in RGB, or RGBA when the image has transparency.
- The stored copy is at most `STORED_SIDE` pixels a side (apps show it a few hundred CSS pixels
  wide, a 1080p screen at most ~1000) and at most `STORED_MAX_BYTES`.
- Output: WebP, lossy at quality 90 with a lossless alpha channel. It keeps transparency (JPEG
  cannot), a photograph or painting is a fraction of its PNG size (a 2048 px PNG of a painting
  can pass 5 MB; the WebP is a few hundred KB), and every browser the apps support decodes it.
  The file is written from a new image built from the pixels alone, so no EXIF, XMP, ICC or text
  chunk can survive. Re-encoding is deterministic: the same upload gives the same bytes, hence
  the same content address.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from hunt_engine.errors import InvalidRequest

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_SIDE = 4096
# The pixel bound, checked from the header before decoding (16.8 Mpx: 64 MB as RGBA).
MAX_PIXELS = MAX_SIDE * MAX_SIDE
STORED_SIDE = 2048
STORED_MAX_BYTES = 2 * 1024 * 1024
STORED_MEDIA_TYPE = "image/webp"
STORED_EXTENSION = "webp"
QUALITIES = (90, 80, 70, 60)

# The media types accepted, and the Pillow formats each may decode to (a JPEG with a second
# picture appended, as cameras write them, is Pillow's MPO: still a JPEG file).
ACCEPTED: dict[str, tuple[str, ...]] = {
    "image/png": ("PNG",),
    "image/jpeg": ("JPEG", "MPO"),
    "image/webp": ("WEBP",),
}
_FORMAT_NAMES = {"PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG", "WEBP": "WebP"}
_DECODERS = ["PNG", "JPEG", "WEBP"]
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class ArtRefused(InvalidRequest):
    """The upload is not a picture geohunt serves."""


@dataclass(frozen=True, slots=True)
class Art:
    """Art as stored and served: our own WebP encoding and its content address."""

    data: bytes
    width: int
    height: int
    sha256: str
    media_type: str = STORED_MEDIA_TYPE

    @property
    def path(self) -> str:
        return f"/art/{self.sha256}.{STORED_EXTENSION}"


def declared_type(header: str | None) -> str:
    """The media type of a `Content-Type` header, without parameters; refused unless accepted."""
    media = (header or "").split(";", 1)[0].strip().lower()
    if media not in ACCEPTED:
        shown = media[:60] or "none"
        raise ArtRefused(
            f"Content-Type must be image/png, image/jpeg or image/webp (the image itself as the"
            f" body), not {shown}"
        )
    return media


def clean_art(raw: bytes, media_type: str) -> Art:
    """`raw`, declared as `media_type`, decoded within bounds and re-encoded (see the module)."""
    allowed = ACCEPTED.get(media_type)
    if allowed is None:
        raise ArtRefused(f"{media_type} is not an accepted image type")
    if not raw:
        raise ArtRefused("the body is empty: send the image itself")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ArtRefused(f"the image is over {MAX_UPLOAD_BYTES} bytes")
    try:
        pixels = _decode(raw, media_type, allowed)
    except ArtRefused:
        raise
    except Image.DecompressionBombError:
        raise ArtRefused(f"the image is larger than {MAX_SIDE}x{MAX_SIDE} pixels") from None
    except Exception:  # noqa: BLE001 - whatever a decoder raises on a hostile file
        # OSError (truncated), SyntaxError (broken chunk), ValueError, EOFError, struct.error,
        # MemoryError, DecompressionBombWarning when warnings are errors...: all mean the same.
        raise ArtRefused(f"the body is not a complete, valid {_name(allowed[0])} image") from None
    return encode(pixels)


def _name(pillow_format: str) -> str:
    return _FORMAT_NAMES.get(pillow_format, pillow_format)


def _decode(raw: bytes, media_type: str, allowed: tuple[str, ...]) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(raw), formats=_DECODERS)
    except UnidentifiedImageError:
        raise ArtRefused("the body is not a PNG, JPEG or WebP image") from None
    with image:
        found = image.format or "?"
        if found not in allowed:
            raise ArtRefused(f"the body is a {_name(found)} image but was sent as {media_type}")
        check_size(image.size)
        if found == "PNG":
            # Every chunk's CRC, up to IEND, before any pixel: a cut or damaged file stops here.
            with Image.open(io.BytesIO(raw), formats=["PNG"]) as probe:
                probe.verify()
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)  # an animation keeps its first frame
        if found in ("JPEG", "MPO"):
            # Decoded straight at a reduced scale when the stored copy is smaller anyway.
            image.draft(None, (STORED_SIDE, STORED_SIDE))
        image.load()
        icc = image.info.get("icc_profile")
        try:
            upright = ImageOps.exif_transpose(image)
        except Exception:  # noqa: BLE001 - an unreadable EXIF block is dropped like any other
            upright = image.copy()
        return to_srgb(upright, icc if isinstance(icc, bytes) else None)


def check_size(size: tuple[int, int]) -> None:
    width, height = size
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE) or width * height > MAX_PIXELS:
        raise ArtRefused(f"the image is {width}x{height} pixels; at most {MAX_SIDE} pixels a side")


def to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB, or RGBA when the image has transparency, in sRGB."""
    target = "RGBA" if image.has_transparency_data else "RGB"
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        # 16-bit grey: its top 8 bits (a plain convert would clip everything above 255 to white).
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    converted = _through_profile(image, icc, target) if icc else None
    if converted is None:
        converted = image.convert(target)
    if converted.mode == "RGBA" and converted.getchannel("A").getextrema() == (255, 255):
        converted = converted.convert("RGB")  # an alpha channel that hides nothing
    return converted


def _through_profile(image: Image.Image, icc: bytes, target: str) -> Image.Image | None:
    """The image converted from its ICC profile to sRGB; None when the profile does not fit
    the image's colour model or cannot be read (the pixels are then taken as sRGB)."""
    if image.mode == "CMYK":
        model, source_mode, out_mode = "CMYK", "CMYK", "RGB"
    elif image.mode in ("RGB", "RGBA"):
        model, source_mode, out_mode = "RGB", image.mode, image.mode
    else:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if profile.profile.xcolor_space.strip() != model:
            return None
        transform = ImageCms.buildTransform(profile, _SRGB, source_mode, out_mode)
        converted = ImageCms.applyTransform(image, transform)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    if converted is None:
        return None
    return converted.convert(target)


def encode(image: Image.Image) -> Art:
    """Our WebP of `image` (RGB or RGBA), at most STORED_SIDE a side and STORED_MAX_BYTES."""
    image = image.copy()
    image.thumbnail((STORED_SIDE, STORED_SIDE), Image.Resampling.LANCZOS)
    while True:
        # A new image from the pixels alone: no info (EXIF, XMP, ICC, text) rides along.
        fresh = Image.frombytes(image.mode, image.size, image.tobytes())
        for quality in QUALITIES:
            out = io.BytesIO()
            fresh.save(out, format="WEBP", quality=quality, method=4, alpha_quality=100)
            data = out.getvalue()
            if len(data) <= STORED_MAX_BYTES:
                return Art(data, fresh.width, fresh.height, hashlib.sha256(data).hexdigest())
        # Still too large at the lowest quality (noise compresses badly): halve the size.
        image = image.resize((max(1, image.width // 2), max(1, image.height // 2)))
