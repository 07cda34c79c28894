"""Printable QR images of a code's URL."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M


def _qr(url: str, scale: int) -> qrcode.QRCode:
    # Medium error correction survives weathered billboards without making the code dense.
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=scale, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    return qr


def png(url: str, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    _qr(url, scale).make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def svg(url: str, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    _qr(url, scale).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue()
