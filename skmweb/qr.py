"""QR codes as SVG (for pages and slips) and PNG (for receipt printers), with the qrcode package."""
from __future__ import annotations

import io

import qrcode
import qrcode.image.pure
import qrcode.image.svg


def qr_svg(url: str) -> str:
    """An SVG document of paths, no inline styles, so a page's CSP allows it inline."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")


def qr_png(url: str) -> bytes:
    image = qrcode.make(url, image_factory=qrcode.image.pure.PyPNGImage, box_size=6, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
