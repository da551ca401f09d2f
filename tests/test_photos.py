"""Photos are re-encoded, pixels only: no EXIF (owner, camera serial, GPS, time), no
comments or text chunks, nothing after the image; upright by their orientation; a file
that does not decode, or has too many pixels, is a 422 naming `file`."""

import hashlib
import io
import struct
import zlib

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import func, select

from hazard_ledger.hazards.models import Attachment, Hazard
from tests.conftest import JPEG, PNG, WEBP
from tests.factories import make_hazard
from tests.test_api import assert_error, upload
from tests.test_pages import csrf_token

ARTIST, SERIAL, CAMERA_OWNER = "Zhang San", "SN-4711-0815", "Owner Li Si"
SECRETS = [ARTIST.encode(), SERIAL.encode(), CAMERA_OWNER.encode(), "李四".encode(), b"Exif"]


def phone_photo() -> bytes:
    """A 40×20 JPEG, red on the left and blue on the right, as a phone held turned a
    quarter writes it: orientation 6 (turn 90° clockwise to view), the owner as Artist
    and CameraOwnerName, the body's serial, a GPS position and a comment."""
    image = Image.new("RGB", (40, 20), "red")
    image.paste("blue", (20, 0, 40, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x013B] = ARTIST  # Artist
    exif[0x010F], exif[0x0110] = "PhoneMaker", "Phone 15"
    exif.get_ifd(0x8769).update({0xA430: CAMERA_OWNER, 0xA431: SERIAL,  # CameraOwnerName, BodySerialNumber
                                 0x9003: "2026:11:30 08:15:00"})  # DateTimeOriginal
    exif.get_ifd(0x8825).update({1: "N", 2: (35.0, 6.0, 15.0), 3: "E", 4: (118.0, 21.0, 30.0)})  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"taken by " + CAMERA_OWNER.encode(), quality=95)
    return out.getvalue()


def stored_file(settings, sha256: str) -> bytes:
    return (settings.upload_dir / sha256[:2] / sha256).read_bytes()


def downloaded(world, who: str, attachment_id: int) -> bytes:
    answer = world.get(who, f"/api/v1/attachments/{attachment_id}")
    assert answer.status_code == 200
    data = answer.data
    answer.close()
    return data


def assert_pixels_only(data: bytes) -> Image.Image:
    for secret in SECRETS:
        assert secret not in data, secret
    image = Image.open(io.BytesIO(data))
    image.load()
    assert len(image.getexif()) == 0 and not image.getexif().get_ifd(0x8825)
    assert not {"exif", "comment", "icc_profile", "xmp", "XML:com.adobe.xmp", "Author"} & set(image.info)
    return image


def test_a_phone_photo_loses_its_exif_and_is_turned_upright(world, database, settings):
    original = phone_photo()
    assert all(secret in original for secret in SECRETS if secret != "李四".encode())  # the photo does carry them
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # and a GPS position
    hazard_id = make_hazard(database, world)
    answer = upload(world, "worker_a1", hazard_id, original)
    assert answer.status_code == 201, answer.json
    served = downloaded(world, "officer_a1", answer.json["id"])
    # what is stored, hashed, counted and served is the re-encoded file
    assert served == stored_file(settings, answer.json["sha256"]) != original
    assert answer.json["sha256"] == hashlib.sha256(served).hexdigest() and answer.json["size"] == len(served)
    assert answer.json["content_type"] == "image/jpeg"
    image = assert_pixels_only(served)
    assert image.format == "JPEG" and image.size == (20, 40)  # turned a quarter clockwise
    top, bottom = image.convert("RGB").getpixel((10, 5)), image.convert("RGB").getpixel((10, 35))
    assert top[0] > 200 > top[2] and bottom[2] > 200 > bottom[0]  # the left (red) side is now on top


def test_the_qr_form_strips_an_anonymous_reporters_photo_too(client, world, database, settings):
    token = world.report_token["A1"]
    form = client.get(f"/r/{token}")
    answer = client.post(f"/r/{token}", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(form.text), "location": "二号车间", "description": "地面油污易滑倒",
        "anonymous": "y", "photos": [(io.BytesIO(phone_photo()), "IMG_0001.jpg")],
    })
    assert answer.status_code == 303, answer.text
    with database.unit_of_work(write=False) as session:
        attachment = session.scalar(select(Attachment))
    served = downloaded(world, "officer_a1", attachment.id)
    assert hashlib.sha256(served).hexdigest() == attachment.sha256 and attachment.size == len(served)
    assert assert_pixels_only(served).size == (20, 40)


def png_with_text() -> bytes:
    text = PngInfo()
    text.add_text("Author", ARTIST, zip=False)
    text.add_itxt("Comment", "拍摄者 李四 " + CAMERA_OWNER)
    out = io.BytesIO()
    Image.new("RGBA", (3, 3), "green").save(out, "PNG", pnginfo=text)
    return out.getvalue()


@pytest.mark.parametrize("content, kind", [(png_with_text(), "PNG"), (PNG, "PNG"), (JPEG, "JPEG"), (WEBP, "WEBP")],
                         ids=["png-with-text", "png", "jpeg", "webp"])
def test_every_format_is_re_encoded_in_kind(world, database, settings, content, kind):
    hazard_id = make_hazard(database, world)
    answer = upload(world, "worker_a1", hazard_id, content, name="whatever.txt")
    assert answer.status_code == 201, answer.json
    served = downloaded(world, "officer_a1", answer.json["id"])
    assert served == stored_file(settings, answer.json["sha256"])
    assert hashlib.sha256(served).hexdigest() == answer.json["sha256"]
    assert assert_pixels_only(served).format == kind


def truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


def png_claiming(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header claims `width`×`height` pixels."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("content", [
    truncated(phone_photo()), truncated(png_with_text()), JPEG[:2] + b"\xff\xe0\x00\x10JFIF\0" + b"\0" * 40,
    b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b"RIFF\x20\x00\x00\x00WEBP<script>alert(document.cookie)</script>",
], ids=["truncated-jpeg", "truncated-png", "jpeg-header-only", "png-signature-only", "riff-webp-script"])
def test_a_file_that_does_not_decode_is_422_on_file(world, database, content):
    hazard_id = make_hazard(database, world)
    assert_error(upload(world, "worker_a1", hazard_id, content), 422, "validation_error", "file")
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Attachment)) == 0


@pytest.mark.parametrize("width, height", [(7000, 7000), (10000, 10000), (30000, 30000)],
                         ids=["over-max-pixels", "over-pillows-warning", "over-pillows-limit"])
def test_too_many_pixels_is_422_on_file(world, database, width, height):
    hazard_id = make_hazard(database, world)
    content = png_claiming(width, height)
    assert len(content) < 100
    answer = upload(world, "worker_a1", hazard_id, content)
    assert_error(answer, 422, "validation_error", "file")
    assert "pixels" in answer.json["error"]["fields"]["file"][0]


def test_max_pixels_is_a_setting(world, database, app, settings):
    settings.values["uploads"]["max_pixels"] = 3
    hazard_id = make_hazard(database, world)
    assert_error(upload(world, "worker_a1", hazard_id, JPEG), 422, "validation_error", "file")  # 2×2 is 4 pixels
    settings.values["uploads"]["max_pixels"] = 4
    assert upload(world, "worker_a1", hazard_id, JPEG).status_code == 201


def valid_webp_then(tail: bytes) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "WEBP")
    return out.getvalue() + tail


SCRIPT = b"<html><body><script>fetch('/api/v1/me').then(r=>r.text()).then(alert)</script></body></html>"


def jpeg_with_script_inside() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "JPEG", comment=SCRIPT)
    return out.getvalue()


@pytest.mark.parametrize("content", [JPEG + SCRIPT, jpeg_with_script_inside(), PNG + SCRIPT, valid_webp_then(SCRIPT)],
                         ids=["jpeg-then-html", "jpeg-comment-html", "png-then-html", "webp-then-html"])
def test_polyglots_lose_their_script(world, database, settings, content):
    hazard_id = make_hazard(database, world)
    answer = upload(world, "worker_a1", hazard_id, content, name="x.html")
    assert answer.status_code == 201, answer.json
    stored = stored_file(settings, answer.json["sha256"])
    assert b"<script" not in stored and b"<html" not in stored
    assert downloaded(world, "officer_a1", answer.json["id"]) == stored


def test_a_refused_photo_on_the_qr_form_stores_no_report(client, world, database):
    token = world.report_token["A1"]
    form = client.get(f"/r/{token}")
    answer = client.post(f"/r/{token}", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(form.text), "location": "二号车间", "description": "地面油污",
        "photos": [(io.BytesIO(truncated(phone_photo())), "IMG_0002.jpg")],
    })
    assert answer.status_code == 422 and "JPEG" in answer.text
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Hazard)) == 0
