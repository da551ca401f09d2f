"""Idempotency-Keys: the stored side (the HTTP side is hazard_ledger/web/idempotency.py).

A key belongs to a caller; the pair is kept only as an HMAC under the secret key, so the
table does not show who wrote what, nor the key itself. The answer of the first request
is stored encrypted (AES-GCM) under a key derived from the caller, the Idempotency-Key
and the secret key: an answer may hold what is shown once and otherwise stored only as a
hash (a public report's receipt) or a bearer token, and the table alone opens none.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hazard_ledger.config import Settings
from hazard_ledger.db import dialect_of
from hazard_ledger.errors import Conflict
from hazard_ledger.reliability.models import IdempotencyKey

KEPT_FOR = timedelta(hours=24)
KEYS = IdempotencyKey.__table__


@dataclass(frozen=True)
class KeyedRequest:
    """One request under an Idempotency-Key: what identifies it, what it asked."""

    key_hash: str
    request_hash: str
    cipher_key: bytes

    @classmethod
    def of(cls, secret: str, caller: str, key: str, request_hash: str) -> "KeyedRequest":
        secret_bytes, subject = secret.encode(), f"{caller}\0{key}".encode()
        return cls(
            key_hash=hmac.new(secret_bytes, b"idempotency-key\0" + subject, hashlib.sha256).hexdigest(),
            request_hash=request_hash,
            cipher_key=hmac.new(secret_bytes, b"idempotency-answer\0" + subject, hashlib.sha256).digest(),
        )


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a key: a new row (`claim_id`) for this request to write
    under, or the answer of the earlier request with this key (`earlier`), or the news
    that the earlier request asked something else (`mismatch`)."""

    claim_id: int | None = None
    earlier: Answer | None = None
    mismatch: bool = False


def claim_key(session: Session, request: KeyedRequest, now: datetime) -> Claim:
    """Claim the key for this request, in the request's transaction.

    The row is inserted first, so that a concurrent request with the same key waits on
    it: on PostgreSQL its INSERT waits for this transaction to end (SQLite queues its
    writers anyway), then finds the row, committed with its answer, or nothing if this
    request was rolled back. A key older than 24 hours is forgotten and claimed anew."""
    claiming = (dialect_of(session).insert(KEYS)
                .values(key_hash=request.key_hash, request_hash=request.request_hash, created_at=now)
                .on_conflict_do_nothing(index_elements=["key_hash"]).returning(KEYS.c.id))
    for _ in range(3):
        claimed = session.execute(claiming).scalar_one_or_none()
        if claimed is not None:
            return Claim(claim_id=claimed)
        earlier = session.execute(select(KEYS).where(KEYS.c.key_hash == request.key_hash)).one_or_none()
        if earlier is None:  # forgotten between the two statements
            continue
        if earlier.created_at <= now - KEPT_FOR:
            session.execute(delete(KEYS).where(KEYS.c.id == earlier.id))
            continue
        if earlier.request_hash != request.request_hash:
            return Claim(mismatch=True)
        return Claim(earlier=_opened(request, earlier))
    raise Conflict("同一 Idempotency-Key 的请求正在处理，请稍后重试 / a request with this Idempotency-Key is in progress; "
                   "retry later")


def store_answer(session: Session, request: KeyedRequest, claim_id: int, answer: Answer) -> None:
    """Keep the answer with the claimed key, in the transaction of the write it answers."""
    nonce = os.urandom(12)
    sealed = nonce + AESGCM(request.cipher_key).encrypt(nonce, answer.body, request.key_hash.encode())
    session.execute(update(KEYS).where(KEYS.c.id == claim_id)
                    .values(status=answer.status, content_type=answer.content_type, answer=sealed))


def answer_of(session: Session, request: KeyedRequest, now: datetime) -> Answer | None:
    """The stored answer under a key, while it is kept: what a page shows again after its
    form was answered with a redirect (the report form's receipt). `request.request_hash`
    is not compared: holding the key is what counts."""
    row = session.execute(select(KEYS).where(KEYS.c.key_hash == request.key_hash,
                                             KEYS.c.created_at > now - KEPT_FOR)).one_or_none()
    if row is None or row.answer is None:
        return None
    return _opened(request, row)


def _opened(request: KeyedRequest, row) -> Answer:
    try:
        body = AESGCM(request.cipher_key).decrypt(row.answer[:12], row.answer[12:], request.key_hash.encode())
    except (InvalidTag, TypeError, ValueError):  # not this key's answer (changed by hand)
        raise Conflict("无法读取该 Idempotency-Key 的首次应答 / the first answer under this Idempotency-Key cannot be "
                       "read; use a new key") from None
    return Answer(status=row.status, content_type=row.content_type, body=body)


def forget_old_keys(session: Session, now: datetime, settings: Settings) -> dict:
    """The `idempotency` job: keys older than 24 hours are forgotten."""
    forgotten = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at <= now - KEPT_FOR)).rowcount
    return {"forgotten": forgotten}
