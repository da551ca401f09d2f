"""QR codes drawn here (no outside service), for posters and receipts."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from markupsafe import Markup


def qr_svg(address: str, box_size: int = 12) -> Markup:
    """An inline <svg> of `address`, for the printed posters."""
    image = qrcode.make(address, image_factory=qrcode.image.svg.SvgPathImage, box_size=box_size)
    buffer = io.BytesIO()
    image.save(buffer)
    return Markup(buffer.getvalue().decode().split("?>", 1)[-1])


def qr_image(address: str) -> str:
    """A data: address of an SVG image of `address`: an <img> a phone can long-press to
    keep (the Content-Security-Policy allows data: images)."""
    image = qrcode.make(address, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
