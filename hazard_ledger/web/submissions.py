"""The report form's own idempotency key: Post/Redirect/Get without filing twice.

The form carries a random key in a hidden field (made by the server with the page, made
anew by the page's script each time the form is shown, kept with a report waiting
offline). The report, its photos and the answer (code and receipt, encrypted) are
written under that key in one transaction, by the API's machinery
(hazard_ledger.reliability.idempotency), and the browser is sent on to the receipt page,
which reads the answer back by the key. So:

- a refresh of the receipt page shows the receipt again and files nothing;
- a second POST of the same form (a double tap, the back button to a kept page, a report
  sent again from the phone's queue) finds the key and is sent to the first receipt;
- the same key with other content (the form changed after it was sent) files nothing
  and says so, keeping what was typed.

Whose key: the form's address (which holds the enterprise's report token), as the API's
public form; the key itself is 128 random bits, so only the browser that sent it can
open the receipt. Kept 24 hours (the `idempotency` job forgets it), like the API's."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass

from hazard_ledger.reliability.idempotency import Answer, KeyedRequest, answer_of
from hazard_ledger.web import db

KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_key() -> str:
    return secrets.token_urlsafe(16)


def usable_key(typed: str | None) -> str | None:
    return typed if typed and KEY.fullmatch(typed) else None


def _keyed(report_token: str, key: str, content_hash: str = "") -> KeyedRequest:
    return KeyedRequest.of(db.settings()["app"]["secret_key"], f"report-form:{report_token}", key, content_hash)


def keyed_submission(report_token: str, key: str, fields: dict, photos: list, reporter_id: int | None
                     ) -> KeyedRequest:
    """The key with what the form carried (its fields, the photos' contents, the account
    it was sent from): the same key with other content is another request."""
    content = hashlib.sha256(json.dumps({"fields": fields, "reporter": reporter_id}, sort_keys=True,
                                        ensure_ascii=False).encode())
    for photo in photos:
        for chunk in iter(lambda: photo.stream.read(1 << 16), b""):
            content.update(chunk)
        photo.stream.seek(0)
        content.update(b"\0photo\0")
    return _keyed(report_token, key, content.hexdigest())


@dataclass(frozen=True)
class Filed:
    """What the receipt page shows: the hazard's code, and the receipt of a report made
    without an account (None for a worker's own report, which their account holds)."""

    code: str
    hazard_id: int
    receipt: str | None

    def answer(self) -> Answer:
        body = json.dumps({"code": self.code, "hazard_id": self.hazard_id, "receipt": self.receipt}).encode()
        return Answer(201, "application/json", body)


def filed_under(report_token: str, key: str) -> Filed | None:
    answer = answer_of(db.session(), _keyed(report_token, key), db.now())
    if answer is None:
        return None
    stored = json.loads(answer.body)
    return Filed(code=stored["code"], hazard_id=stored["hazard_id"], receipt=stored["receipt"])
