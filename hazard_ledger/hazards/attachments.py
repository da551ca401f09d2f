"""Photos of a hazard: stored re-encoded under their sha256 (photos.py), each chained by
the history entry it came with, read by those who may see the hazard.

Every photo's sha256 is in the data of a history entry (`"photos": [sha256, ...]`), so
the evidence is chained (chain.py) and `audit verify` checks each stored file against it
(verify_photos). A photo comes with the report (its first entry), with a `progress`,
`rectify` or `close` event (that event's entry), or on its own through the API: then it
gets an entry of its own, event `photo`, with the stage the hazard is in. No photo is
stored without an entry that names it."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hazard_ledger import permissions
from hazard_ledger.enums import HazardState
from hazard_ledger.errors import Conflict, Forbidden, NotFound, TooLarge, ValidationFailed
from hazard_ledger.hazards import chain, photos
from hazard_ledger.hazards.models import Attachment, Hazard, HazardEvent
from hazard_ledger.hazards.queries import visible_hazard
from hazard_ledger.organisations.models import User

# A photo's stage is the event it came with; the pages group them 整改前 / 整改中 / 整改后.
STAGES = ("report", "progress", "rectify", "close")
PHOTO_EVENTS = ("progress", "rectify", "close")  # the events whose forms take photos
SIDES = {"report": "before", "progress": "during", "rectify": "after", "close": "after"}
# a photo sent on its own belongs to the stage the hazard is in (also migration 0016's rule)
STAGE_OF_STATE = {HazardState.REPORTED: "report", HazardState.REJECTED: "report", HazardState.ASSIGNED: "progress",
                  HazardState.RECTIFIED: "rectify", HazardState.CLOSED: "close"}
PHOTO_ENTRY = "photo"  # the event of a photo's own history entry


@dataclass(frozen=True)
class Uploads:
    """Where photos go and how large they may be ([uploads] in the configuration)."""

    upload_dir: Path
    max_bytes: int
    max_pixels: int


@dataclass(frozen=True)
class StoredPhoto:
    """A photo on disk, re-encoded, not yet part of a hazard's history."""

    sha256: str
    content_type: str
    size: int


def store_photo(stream: BinaryIO, uploads: Uploads) -> StoredPhoto:
    """Store a photo under its sha256, with its thumbnail: every upload (API, QR form,
    work pages, planned inspections) comes here. The photo is re-encoded, pixels only
    (photos.reencode): no EXIF, GPS or camera serial survives, nor anything after or
    inside the image that is not its pixels. What is stored, hashed and served is the new
    file. A file left by a request that then fails is harmless: named by its content."""
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as received:
        size = 0
        while chunk := stream.read(65536):
            size += len(chunk)
            if size > uploads.max_bytes:
                raise TooLarge(f"文件超过 {uploads.max_bytes} 字节 / the file is larger than {uploads.max_bytes} bytes")
            received.write(chunk)
        received.seek(0)
        content_type = photos.sniff_image(received.read(16))
        if content_type is None:
            raise ValidationFailed.on("file", "只接受 JPEG、PNG 或 WebP 图片 / only JPEG, PNG or WebP images")
        received.seek(0)
        content = photos.reencode(received, content_type, max_pixels=uploads.max_pixels)
    sha256 = hashlib.sha256(content).hexdigest()
    target = file_path(uploads.upload_dir, sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(uploads.upload_dir, target, content)
    _write_atomically(uploads.upload_dir, _thumbnail_of(target), photos.thumbnail(target))
    return StoredPhoto(sha256=sha256, content_type=content_type, size=len(content))


def _write_atomically(upload_dir: Path, target: Path, content: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=upload_dir, delete=False, prefix=".upload-") as temporary:
        try:
            temporary.write(content)
            temporary.flush()
            os.fsync(temporary.fileno())
        except BaseException:
            os.unlink(temporary.name)
            raise
    os.replace(temporary.name, target)


def chained(stored: Iterable[StoredPhoto]) -> dict:
    """What a history entry says of the photos it came with."""
    hashes = [photo.sha256 for photo in stored]
    return {"photos": hashes} if hashes else {}


def record_photos(session: Session, hazard: Hazard, entry: HazardEvent, stored: Iterable[StoredPhoto], *,
                  stage: str, uploader_id: int | None, now: datetime) -> list[Attachment]:
    """The rows of photos already stored and chained by `entry` (its data says chained(stored))."""
    rows = [Attachment(hazard_id=hazard.id, content_type=photo.content_type, size=photo.size, sha256=photo.sha256,
                       uploaded_by_user_id=uploader_id, uploaded_at=now, stage=stage, entry_seq=entry.seq)
            for photo in stored]
    session.add_all(rows)
    return rows


def add_attachment(session: Session, actor: User, hazard: Hazard, stream: BinaryIO, *, uploads: Uploads,
                   now: datetime) -> Attachment:
    """A photo sent on its own (`POST /hazards/{id}/attachments`): stored, and chained by
    an entry of its own (event `photo`, the hazard's state unchanged) with the stage the
    hazard is in. Like any entry it moves the hazard's version."""
    if not permissions.may_attach(actor, hazard):
        raise Forbidden("无权上传照片 / you may not add photos to this hazard")
    stored = store_photo(stream, uploads)
    hazard = visible_hazard(session, actor, hazard.id, for_update=True)
    stage = STAGE_OF_STATE[hazard.state]
    entry = chain.append(hazard, event=PHOTO_ENTRY, from_state=hazard.state.value, to_state=hazard.state.value,
                 actor_user_id=actor.id, actor_label=actor.display_name, at=now,
                 data={"stage": stage, **chained([stored])})
    (attachment,) = record_photos(session, hazard, entry, [stored], stage=stage, uploader_id=actor.id, now=now)
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("隐患已被他人修改 / the hazard changed while you were working on it") from None
    return attachment


def visible_attachment(session: Session, viewer: User, attachment_id: int) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("附件不存在 / no such attachment")
    visible_hazard(session, viewer, attachment.hazard_id)
    return attachment


def file_path(upload_dir: Path, sha256: str) -> Path:
    return upload_dir / sha256[:2] / sha256


def attachment_path(upload_dir: Path, attachment: Attachment) -> Path:
    return file_path(upload_dir, attachment.sha256)


def _thumbnail_of(path: Path) -> Path:
    return path.with_name(path.name + ".thumb.jpg")


def thumbnail_path(upload_dir: Path, attachment: Attachment) -> Path:
    """The photo's small JPEG, made at upload; a photo stored before thumbnails were
    kept gets its own the first time it is asked for."""
    path = _thumbnail_of(attachment_path(upload_dir, attachment))
    if not path.exists():
        _write_atomically(upload_dir, path, photos.thumbnail(attachment_path(upload_dir, attachment)))
    return path


def attachments_of(session: Session, hazard_id: int) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(Attachment.hazard_id == hazard_id).order_by(Attachment.id)))


def by_side(attachments: Iterable[Attachment]) -> dict[str, list[Attachment]]:
    """The photos as the pages show them: 整改前 (before), 整改中 (during), 整改后 (after)."""
    sides: dict[str, list[Attachment]] = {"before": [], "during": [], "after": []}
    for attachment in attachments:
        sides[SIDES.get(attachment.stage, "before")].append(attachment)
    return sides


def first_photos(session: Session, hazard_ids: list[int]) -> dict[int, int]:
    """The first photo of each hazard (its attachment id), for the ledger's thumbnails: one query a page."""
    if not hazard_ids:
        return {}
    return dict(session.execute(select(Attachment.hazard_id, func.min(Attachment.id))
                                .where(Attachment.hazard_id.in_(hazard_ids)).group_by(Attachment.hazard_id)).all())


# ---- audit: each stored photo is the one its entry chained ---------------------------------

def verify_photos(session: Session, upload_dir: Path, batch: int = 500) -> Iterator[chain.ChainBreak]:
    """Every photo a history entry chained must be on disk with that sha256, and every
    attachment must be the photo its entry chained. (A photo stored before revision 0016
    was chained by no entry: its file is still checked against its name.)"""
    checked: dict[str, str | None] = {}  # a file shared by several entries is read once
    chained_by: dict[tuple[int, int], set[str]] = {}
    entries = select(HazardEvent.id, HazardEvent.hazard_id, HazardEvent.seq, HazardEvent.data,
                     Hazard.code).join(Hazard, Hazard.id == HazardEvent.hazard_id)
    for row in _in_batches(session, entries, HazardEvent.id, batch):
        hashes = row.data.get("photos") if isinstance(row.data, dict) else None
        for sha256 in hashes if isinstance(hashes, list) else ():
            chained_by.setdefault((row.hazard_id, row.seq), set()).add(sha256)
            if problem := _file_problem(upload_dir, str(sha256), checked):
                yield chain.ChainBreak(row.hazard_id, row.code, row.seq, problem)
    attachments = select(Attachment.id, Attachment.hazard_id, Attachment.sha256, Attachment.entry_seq,
                         Hazard.code).join(Hazard, Hazard.id == Attachment.hazard_id)
    for row in _in_batches(session, attachments, Attachment.id, batch):
        if row.entry_seq is None:
            if problem := _file_problem(upload_dir, row.sha256, checked):
                yield chain.ChainBreak(row.hazard_id, row.code, None, f"attachment {row.id}: {problem}")
        elif row.sha256 not in chained_by.get((row.hazard_id, row.entry_seq), ()):
            yield chain.ChainBreak(row.hazard_id, row.code, row.entry_seq,
                                   f"attachment {row.id} ({row.sha256[:12]}…) is not a photo this entry chained")


def _in_batches(session: Session, query, key, batch: int) -> Iterator:
    """The rows of `query` in order of `key`, `batch` at a time: none held longer than its batch."""
    last = 0
    while rows := session.execute(query.where(key > last).order_by(key).limit(batch)).all():
        yield from rows
        last = rows[-1].id


def _file_problem(upload_dir: Path, sha256: str, checked: dict[str, str | None]) -> str | None:
    if sha256 not in checked:
        path = file_path(upload_dir, sha256)
        if not path.is_file():
            checked[sha256] = f"photo {sha256[:12]}… is missing"
        else:
            digest = hashlib.sha256()
            with path.open("rb") as stored:
                for chunk in iter(lambda: stored.read(1 << 20), b""):
                    digest.update(chunk)
            checked[sha256] = (None if digest.hexdigest() == sha256
                               else f"photo {sha256[:12]}… was changed: its file no longer has the sha256 chained")
    return checked[sha256]
