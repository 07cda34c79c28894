"""A phone camera's view for Chromium's fake capture device: a QR code the test renders itself,
written as a one-frame Y4M (4:2:0, which Chromium loops for ever)."""

from __future__ import annotations

from pathlib import Path

import qrcode
from PIL import Image

WIDTH, HEIGHT = 640, 480


def qr_y4m(text: str, path: Path) -> Path:
    """A frame with the QR code of `text` in its middle, on a light grey wall."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    side = min(WIDTH, HEIGHT) - 80
    image = image.resize((side, side), Image.Resampling.NEAREST)
    frame = Image.new("RGB", (WIDTH, HEIGHT), (200, 200, 200))
    frame.paste(image, ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    planes = [y.tobytes(), *(p.resize(half, Image.Resampling.BILINEAR).tobytes() for p in (cb, cr))]
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F30:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + b"FRAME\n" + b"".join(planes))
    return path
