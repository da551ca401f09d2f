"""QR codes drawn here (no outside service), for posters and receipts."""

from __future__ import annotations

import base64
import functools
import io

import qrcode
import qrcode.image.svg
from markupsafe import Markup


@functools.lru_cache(maxsize=1024)
def qr_svg(address: str, box_size: int = 12) -> Markup:
    """An inline <svg> of `address`, for the printed posters. Kept once drawn: a poster's
    address (an enterprise's form or board) never changes, and drawing it is most of the
    cost of the public board's page. (A receipt's code, qr_image, is never kept: its
    address is the reporter's secret.)"""
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
