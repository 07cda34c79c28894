"""PUT /v1/hunts/{slug}/collectibles/{key}/image and GET /art/{sha}.webp over HTTP: what is
accepted is re-encoded without its metadata and served from geohunt's own origin; every refusal
is a 400 (413 over 5 MiB) and stores nothing."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import asyncpg
from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo

from server.http.auth import Role
from tests.support.api import Api
from tests.support.builders import Hunt, make_hunt

SECRET_TEXT = "shot at my home, 12 Secret Lane"
# 48°51'29.6"N 2°17'40.2"E: where the picture was taken, which must not reach anyone.
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (48.0, 51.0, 29.6),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (2.0, 17.0, 40.2),
}
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description>' + SECRET_TEXT.encode() + b"</rdf:Description>"
    b"</rdf:RDF></x:xmpmeta>"
)
# Chunks of a WebP file that carry pixels (and its header); anything else is metadata.
PIXEL_CHUNKS = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}
MiB = 1024 * 1024


def scene(size: tuple[int, int] = (320, 200), mode: str = "RGB") -> Image.Image:
    """A picture with some structure (a gradient and a block), deterministic."""
    image = Image.linear_gradient("L").resize(size).convert(mode)
    image.paste((200, 40, 90, 255)[: len(mode)], (20, 20, size[0] // 2, size[1] // 2))
    return image


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.ImageDescription] = SECRET_TEXT
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    return exif


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def png_with_metadata() -> bytes:
    info = PngInfo()
    info.add_text("Comment", SECRET_TEXT)
    info.add_itxt("Description", SECRET_TEXT, zip=True)
    return encoded(scene(mode="RGBA"), "PNG", pnginfo=info, exif=exif_with_gps())


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header declares `width` x `height` pixels: a few hundred
    bytes that would decode into gigabytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 4096, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header (SOF0) is rewritten to declare another size."""
    data = bytearray(encoded(scene((16, 16)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_chunks(data: bytes) -> list[bytes]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    kinds, at = [], 12
    while at + 8 <= len(data):
        kind, size = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])[0]
        kinds.append(kind)
        at += 8 + size + (size & 1)
    return kinds


async def art_rows(db: asyncpg.Connection) -> int:
    return int(await db.fetchval("SELECT count(*) FROM collectible_art"))


async def upload(
    api: Api,
    hunt: Hunt,
    key: str,
    data: bytes,
    media_type: str | None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    sent = {**(api.organiser if headers is None else headers)}
    if media_type is not None:
        sent["Content-Type"] = media_type
    path = f"/v1/hunts/{hunt.slug}/collectibles/{key}/image"
    return await api.call("PUT", path, headers=sent, data=data)


async def served(api: Api, url: str) -> tuple[bytes, Any]:
    base = api.settings.public_base_url
    assert url.startswith(base + "/art/") and url.endswith(".webp"), url
    response = await api.client.get(url.removeprefix(base))
    assert response.status == 200
    return await response.read(), response.headers


async def test_png_jpeg_and_webp_are_kept_without_their_metadata(
    api: Api, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api)
    uploads = {
        "image/png": png_with_metadata(),
        "image/jpeg": encoded(
            scene(), "JPEG", exif=exif_with_gps(), icc_profile=_srgb_icc(), comment=SECRET_TEXT
        ),
        "image/webp": encoded(
            scene(mode="RGBA"), "WEBP", exif=exif_with_gps(), xmp=XMP, icc_profile=_srgb_icc()
        ),
    }
    for media_type, data in uploads.items():
        assert SECRET_TEXT.encode() in data or b"SpyCam" in data  # the inputs carry metadata
        key = await hunt.collectible()
        _, collectible = await upload(api, hunt, key, data, media_type)
        assert collectible["key"] == key, collectible
        stored, headers = await served(api, collectible["image_url"])
        assert headers["Content-Type"] == "image/webp"
        assert set(webp_chunks(stored)) <= PIXEL_CHUNKS, (media_type, webp_chunks(stored))
        for leaked in (SECRET_TEXT.encode(), b"SpyCam", b"Exif", b"xmpmeta", b"sRGB"):
            assert leaked not in stored, (media_type, leaked)
        with Image.open(io.BytesIO(stored)) as image:
            assert image.format == "WEBP" and image.size == (320, 200)
            assert not image.getexif() and not set(image.info) & {"exif", "xmp", "icc_profile"}
            # The pixels came through: the block is still red where it was painted.
            red, green, blue = image.convert("RGB").getpixel((60, 40))  # type: ignore[misc]
            assert red > 150 and green < 90 and blue < 130, (media_type, red, green, blue)
        # The hunt shows the new art, and the same bytes are kept once under their hash.
        _, shown = await api.call("GET", f"/v1/hunts/{hunt.slug}", 200)
        [mine] = [c for c in shown["collectibles"] if c["key"] == key]
        assert mine["image_url"] == collectible["image_url"]
        sha = collectible["image_url"].rsplit("/", 1)[1].removesuffix(".webp")
        assert await db.fetchval("SELECT sha256 FROM collectible_art WHERE sha256 = $1", sha)

    # Uploading the same file again, or for another collectible, keeps one copy.
    before = await art_rows(db)
    first = await hunt.collectible()
    second = await hunt.collectible()
    _, one = await upload(api, hunt, first, uploads["image/png"], "image/png")
    _, two = await upload(api, hunt, second, uploads["image/png"], "image/png; charset=x")
    assert one["image_url"] == two["image_url"]
    assert await art_rows(db) == before  # the PNG of the first round, already kept


def _srgb_icc() -> bytes:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return profile.tobytes()


async def test_the_served_art_is_immutable_typed_and_inert(api: Api) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible()
    _, collectible = await upload(api, hunt, key, encoded(scene(), "PNG"), "image/png")
    path = collectible["image_url"].removeprefix(api.settings.public_base_url)
    for method in ("GET", "HEAD"):
        response = await api.client.request(method, path)
        assert response.status == 200
        headers = response.headers
        assert headers["Content-Type"] == "image/webp"
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "unsafe" not in headers["Content-Security-Policy"]


async def test_unknown_or_malformed_art_is_404(api: Api) -> None:
    for path in (
        "/art/" + "0" * 64 + ".webp",
        "/art/" + "A" * 64 + ".webp",  # upper case is not how an address is written
        "/art/abc.webp",
        "/art/" + "0" * 64 + ".png",
    ):
        status, problem = await api.call("GET", path)
        assert status == 404, (path, status)
        if isinstance(problem, dict):
            assert problem["code"] == "not_found"


async def test_bombs_truncated_files_and_wrong_types_are_refused_and_nothing_is_kept(
    api: Api, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible()
    good_png = encoded(scene(), "PNG")
    good_jpeg = encoded(scene(), "JPEG")
    good_webp = encoded(scene(), "WEBP")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>x</script></svg>'
    refusals: list[tuple[str, bytes, str | None, str]] = [
        # Decompression bombs: the header's size is refused before any pixel is decoded.
        ("50000x50000 PNG", png_declaring(50_000, 50_000), "image/png", "pixels"),
        ("over the pixel bound", png_declaring(4097, 4096), "image/png", "4097x4096"),
        ("over a side", png_declaring(8000, 100), "image/png", "8000x100"),
        ("JPEG declaring 60000 px", jpeg_declaring(60_000, 60_000), "image/jpeg", "pixels"),
        # Truncated files.
        ("half a PNG", good_png[: len(good_png) // 2], "image/png", "not a complete"),
        ("a PNG without its end", good_png[:-13], "image/png", "not a complete"),
        ("half a JPEG", good_jpeg[: len(good_jpeg) // 2], "image/jpeg", "not a complete"),
        ("half a WebP", good_webp[: len(good_webp) // 2], "image/webp", "not a complete"),
        # Wrong types.
        ("a GIF", encoded(scene(), "GIF"), "image/gif", "Content-Type must be"),
        ("a GIF called PNG", encoded(scene(), "GIF"), "image/png", "not a PNG, JPEG or WebP"),
        ("an SVG", svg, "image/svg+xml", "Content-Type must be"),
        ("an SVG called PNG", svg, "image/png", "not a PNG, JPEG or WebP"),
        ("a PNG called JPEG", good_png, "image/jpeg", "PNG image but was sent as image/jpeg"),
        ("a JPEG called WebP", good_jpeg, "image/webp", "JPEG image but was sent as image/webp"),
        ("JSON", b'{"image_url": "https://x.example/a.png"}', "application/json", "must be"),
        ("no Content-Type", good_png, None, "Content-Type must be"),
        ("an empty body", b"", "image/png", "empty"),
    ]
    before = await art_rows(db)
    for label, data, media_type, reason in refusals:
        status, problem = await upload(api, hunt, key, data, media_type)
        assert status == 400, (label, status, problem)
        assert problem["code"] == "invalid_request", (label, problem)
        assert reason in problem["detail"], (label, problem["detail"])
    assert await art_rows(db) == before
    _, shown = await api.call("GET", f"/v1/hunts/{hunt.slug}", 200)
    assert shown["collectibles"][0]["image_url"] == "https://img.example/x.png"


async def test_a_file_over_5_mib_is_413_and_nothing_is_kept(
    api: Api, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible()
    # A valid PNG padded past the limit with a private chunk: only its size is wrong.
    good = encoded(scene(), "PNG")
    padding = _chunk(b"prVt", b"\x00" * (5 * MiB))
    oversize = good[:-12] + padding + good[-12:]
    assert len(oversize) > 5 * MiB
    before = await art_rows(db)
    status, problem = await upload(api, hunt, key, oversize, "image/png")
    assert (status, problem["code"]) == (413, "payload_too_large")

    # Sent in chunks, with no Content-Length to refuse up front: read up to the limit only.
    async def chunks() -> Any:
        for at in range(0, len(oversize), 256 * 1024):
            yield oversize[at : at + 256 * 1024]

    headers = {**api.organiser, "Content-Type": "image/png"}
    path = f"/v1/hunts/{hunt.slug}/collectibles/{key}/image"
    response = await api.client.put(path, headers=headers, data=chunks())
    assert response.status == 413
    assert await art_rows(db) == before

    # Exactly at the limit is not refused for its size (the padding chunk is dropped).
    at_limit = good[:-12] + _chunk(b"prVt", b"\x00" * (5 * MiB - len(good) - 12)) + good[-12:]
    assert len(at_limit) == 5 * MiB
    status, collectible = await upload(api, hunt, key, at_limit, "image/png")
    assert status == 200, collectible


async def test_only_organisers_of_the_hunt_upload_art(api: Api, db: asyncpg.Connection) -> None:
    hunt = await make_hunt(api)
    other = await make_hunt(api)
    key = await hunt.collectible()
    png = encoded(scene((64, 64)), "PNG")
    _, hunter = await api.hunter()
    before = await art_rows(db)
    for headers, expected in (
        ({}, 401),
        (hunter, 403),
        (api.auth(Role.FIELD, "field-team"), 403),
        (api.auth(Role.SCREEN, "venue", hunt.slug), 403),
        (api.auth(Role.ORGANISER, "elsewhere", other.slug), 403),
    ):
        status, problem = await upload(api, hunt, key, png, "image/png", headers=headers)
        assert status == expected, (headers, status, problem)
    assert await art_rows(db) == before

    status, problem = await upload(api, hunt, "no-such-key", png, "image/png")
    assert (status, problem["code"]) == (404, "not_found")
    status, problem = await upload(api, other, key, png, "image/png")  # not that hunt's
    assert (status, problem["code"]) == (404, "not_found")
    path = f"/v1/hunts/no-such-hunt/collectibles/{key}/image"
    headers = {**api.organiser, "Content-Type": "image/png"}
    status, _ = await api.call("PUT", path, headers=headers, data=png)
    assert status == 404
    assert await art_rows(db) == before

    mine = api.auth(Role.ORGANISER, "owner", hunt.slug)
    status, collectible = await upload(api, hunt, key, png, "image/png", headers=mine)
    assert status == 200 and collectible["image_url"].endswith(".webp")
