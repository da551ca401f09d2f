"""The photo pipeline: a photo is decoded in full and written anew, pixels only.

A phone's photo carries its owner's name, the camera's serial number, GPS and the time
(EXIF, XMP, comments), also on an anonymous report; and a file may be an image only in
its first bytes (HTML or script after a JPEG header). So nothing the sender wrote is
kept but the pixels: the image is decoded as the type its first bytes claim (a file
that does not decode is refused), turned upright by its EXIF orientation, and encoded
again in the same format with no metadata at all. What is stored, hashed and served
is that new file."""

from __future__ import annotations

import io
import math
import struct
import zlib
from typing import BinaryIO

from PIL import Image, ImageOps

from hazard_ledger.errors import ValidationFailed

FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
FORMAT_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}

# the modes each format is written in; anything else is converted first
_MODES = {"JPEG": ("L", "RGB"), "PNG": ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"), "WEBP": ("RGB", "RGBA")}
_SAVE_OPTIONS = {"JPEG": {"quality": 90}, "PNG": {}, "WEBP": {"quality": 90}}

# What decoders of untrusted bytes raise on a broken file: a truncated file is an OSError,
# a broken header a SyntaxError, a bad chunk or table a ValueError, struct.error or
# zlib.error, a short read an EOFError or IndexError.
_UNDECODABLE = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)


def sniff_image(head: bytes) -> str | None:
    """The image type by content, never by name or declared type."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def reencode(raw: BinaryIO, content_type: str, *, max_pixels: int) -> bytes:
    """The photo in `raw` (of the sniffed `content_type`) as a new file of the same
    format: upright, pixels only. A file that does not decode as that type, or has more
    than `max_pixels` pixels, is a 422 on the field `file`."""
    kind = FORMATS[content_type]
    # Pillow's own guard against decompression bombs stays on: past MAX_IMAGE_PIXELS it
    # warns (an error where warnings are errors), past twice that it refuses to open.
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or math.inf)
    try:
        with Image.open(raw, formats=[kind]) as image:
            width, height = image.size
            if width * height > limit:
                raise _too_many_pixels(width, height, limit)
            image.load()  # every byte decoded now: a truncated file fails here
            upright = ImageOps.exif_transpose(image)  # a new image, turned as the camera was held
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(None, None, limit) from None
    except _UNDECODABLE:
        name = FORMAT_NAMES[kind]
        raise ValidationFailed.on("file", f"不是可以完整解码的 {name} 图片 / not a {name} image that decodes") from None
    pixels = _in_writable_mode(upright, kind)
    # Some encoders fall back to what the decoder found (a JPEG comment, a PNG's ICC
    # profile): the new image knows nothing but its pixels.
    pixels.info = {}
    out = io.BytesIO()
    pixels.save(out, kind, **_SAVE_OPTIONS[kind])
    return out.getvalue()


def _in_writable_mode(image: Image.Image, kind: str) -> Image.Image:
    transparent = "transparency" in image.info
    if image.mode in _MODES[kind] and not (transparent and image.mode in ("P", "L", "RGB")):
        return image
    # a palette or single-colour transparency becomes an alpha channel, where the format has one
    alpha = transparent or "A" in image.mode or image.mode == "PA"
    if kind == "JPEG":
        return image.convert("RGB")
    if kind == "PNG" and image.mode == "I":
        return image.convert("I;16")
    return image.convert("RGBA" if alpha else "RGB")


def _too_many_pixels(width: int | None, height: int | None, limit: float) -> ValidationFailed:
    size = f"{width}×{height} " if width else ""
    return ValidationFailed.on("file", f"图片像素过多（{size}超过 {int(limit)} 像素）/ "
                                       f"the image has too many pixels ({size}more than {int(limit)})")


THUMBNAIL_SIDE = 240


def thumbnail(path, side: int = THUMBNAIL_SIDE) -> bytes:
    """A small JPEG of a stored (already re-encoded) photo, for the ledger's rows. A JPEG
    decodes at a fraction of its size (draft mode), so a 2000-px photo costs milliseconds."""
    with Image.open(path) as image:
        image.draft("RGB", (side, side))
        image.thumbnail((side, side))
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()
