"""Photos of a hazard: stored re-encoded under their sha256 (photos.py), read by those
who may see the hazard."""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hazard_ledger import permissions
from hazard_ledger.errors import Forbidden, NotFound, TooLarge, ValidationFailed
from hazard_ledger.hazards import photos
from hazard_ledger.hazards.models import Attachment, Hazard
from hazard_ledger.hazards.queries import visible_hazard
from hazard_ledger.organisations.models import User


def add_attachment(session: Session, actor: User | None, hazard: Hazard, stream: BinaryIO, *,
                   upload_dir: Path, max_bytes: int, max_pixels: int, now: datetime) -> Attachment:
    """Store a photo under its sha256: every upload (API, QR form, work pages) comes
    here. The photo is re-encoded, pixels only (photos.reencode): no EXIF, GPS or camera
    serial survives, nor anything after or inside the image that is not its pixels. What
    is stored, hashed and served is the new file. `actor` None: the public form, already
    authorised."""
    if actor is not None and not permissions.may_attach(actor, hazard):
        raise Forbidden("无权上传照片 / you may not add photos to this hazard")
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as received:
        size = 0
        while chunk := stream.read(65536):
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(f"文件超过 {max_bytes} 字节 / the file is larger than {max_bytes} bytes")
            received.write(chunk)
        received.seek(0)
        content_type = photos.sniff_image(received.read(16))
        if content_type is None:
            raise ValidationFailed.on("file", "只接受 JPEG、PNG 或 WebP 图片 / only JPEG, PNG or WebP images")
        received.seek(0)
        content = photos.reencode(received, content_type, max_pixels=max_pixels)
    sha256 = hashlib.sha256(content).hexdigest()
    target = upload_dir / sha256[:2] / sha256
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=upload_dir, delete=False, prefix=".upload-") as temporary:
        try:
            temporary.write(content)
            temporary.flush()
            os.fsync(temporary.fileno())
        except BaseException:
            os.unlink(temporary.name)
            raise
    os.replace(temporary.name, target)
    attachment = Attachment(hazard_id=hazard.id, content_type=content_type, size=len(content), sha256=sha256,
                            uploaded_by_user_id=actor.id if actor else None, uploaded_at=now)
    session.add(attachment)
    session.flush()
    return attachment


def visible_attachment(session: Session, viewer: User, attachment_id: int) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("附件不存在 / no such attachment")
    visible_hazard(session, viewer, attachment.hazard_id)
    return attachment


def attachment_path(upload_dir: Path, attachment: Attachment) -> Path:
    return upload_dir / attachment.sha256[:2] / attachment.sha256


def attachments_of(session: Session, hazard_id: int) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(Attachment.hazard_id == hazard_id).order_by(Attachment.id)))


def first_photos(session: Session, hazard_ids: list[int]) -> dict[int, int]:
    """The first photo of each hazard (its attachment id), for the ledger's thumbnails: one query a page."""
    if not hazard_ids:
        return {}
    return dict(session.execute(select(Attachment.hazard_id, func.min(Attachment.id))
                                .where(Attachment.hazard_id.in_(hazard_ids)).group_by(Attachment.hazard_id)).all())
