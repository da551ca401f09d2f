"""The evidence chain of a hazard's history (DESIGN principle 7).

hash = sha256(prev_hash + canonical event), where the canonical event is compact,
key-sorted JSON of everything the entry asserts. Editing, deleting or reordering any
entry breaks the chain from that entry on; the hazard row keeps the head and length,
so a deleted tail shows too.

Each entry says the format it was hashed in (`chain_format`):

1. (entries written before revision 0007) the actor as it is: `actor_user_id` and
   `actor_label`. Every other field of a report's entry is shown to the enterprise's
   safety officers, so its hash let them confirm a guess of who reported it (安全生产法
   Art. 41: the reporter is confidential). `audit verify` still checks these; the
   hashes of such a chain are not shown to those who may not see its reporter
   (schemas.present_detail).
2. (since) the actor only as a commitment, `actor = sha256(actor_salt + [actor_user_id,
   actor_label])`, with a random 256-bit salt per entry. The salt is kept beside the
   reporter's identity and shown to no one, so without it the hash confirms no guess;
   with it (the database, `audit verify`) the chain still proves who acted."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from hazard_ledger.enums import Grade, HazardState
from hazard_ledger.hazards.models import Hazard, HazardEvent

GENESIS = "0" * 64
FORMAT = 2  # the format new entries are hashed in
FORMATS = (1, 2)


def canonical(hazard_code: str, entry: HazardEvent) -> str:
    # the code, not the id, names the hazard: it is known before the first INSERT
    asserted = {
        "hazard": hazard_code,
        "seq": entry.seq,
        "event": entry.event,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
        "at": entry.at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        "data": entry.data,
    }
    if entry.chain_format == 1:
        asserted.update(actor_user_id=entry.actor_user_id, actor_label=entry.actor_label)
    elif entry.chain_format == 2:
        asserted.update(format=2, actor=actor_commitment(entry.actor_salt, entry.actor_user_id, entry.actor_label))
    else:
        raise ValueError(f"unknown chain format {entry.chain_format!r}")
    return _json(asserted)


def actor_commitment(salt: str | None, actor_user_id: int | None, actor_label: str | None) -> str:
    """Who acted, committed to without being revealed (format 2)."""
    return hashlib.sha256(((salt or "") + _json([actor_user_id, actor_label])).encode()).hexdigest()


def json_safe(values: dict[str, Any]) -> dict[str, Any]:
    """Event data as it goes into the history and its hash: dates ISO, money as text."""
    safe = {}
    for key, value in values.items():
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = f"{value:.2f}"
        elif isinstance(value, (HazardState, Grade)):
            value = value.value
        safe[key] = value
    return safe


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def link(prev_hash: str, hazard_code: str, entry: HazardEvent) -> str:
    return hashlib.sha256((prev_hash + canonical(hazard_code, entry)).encode()).hexdigest()


def _new_salt() -> str:
    return secrets.token_hex(32)


def first_entry(*, event: str, to_state: str, actor_user_id: int | None, actor_label: str | None,
                at: datetime, data: dict) -> HazardEvent:
    """A new hazard's first entry, not linked yet: its hash needs the hazard's code."""
    return HazardEvent(seq=1, event=event, from_state=None, to_state=to_state, actor_user_id=actor_user_id,
                       actor_label=actor_label, at=at.astimezone(timezone.utc), data=data, prev_hash=GENESIS,
                       chain_format=FORMAT, actor_salt=_new_salt())


def around_code(entry: HazardEvent) -> tuple[str, str]:
    """The text a first entry's hash covers, before and after its hazard's code: for a
    database that numbers the hazard and hashes `GENESIS + before + code + after` itself.
    (A code is letters, digits and dashes, which JSON writes as they are.) The entry is
    written twice, with two stand-ins for the code: the texts part where the code goes,
    whatever the reporter wrote elsewhere in them."""
    one, two = canonical("A", entry), canonical("BB", entry)
    start = len(os.path.commonprefix([one, two]))
    return one[:start], one[start + len("A"):]


def next_entry(hazard: Hazard, *, event: str, from_state: str | None, to_state: str,
               actor_user_id: int | None, actor_label: str | None, at: datetime, data: dict) -> HazardEvent:
    """The next entry of the hazard's chain, linked, and the head moved to it; the caller
    writes it (append, or a transition's one statement on PostgreSQL)."""
    entry = HazardEvent(
        seq=hazard.history_length + 1, event=event, from_state=from_state,
        to_state=to_state, actor_user_id=actor_user_id, actor_label=actor_label,
        at=at.astimezone(timezone.utc), data=data, prev_hash=hazard.chain_head,
        chain_format=FORMAT, actor_salt=_new_salt(),
    )
    entry.hash = link(hazard.chain_head, hazard.code, entry)
    hazard.chain_head = entry.hash
    hazard.history_length = entry.seq
    return entry


def append(hazard: Hazard, **entry) -> HazardEvent:
    """Add the next entry of the hazard's chain to its session and move the head."""
    added = next_entry(hazard, **entry)
    if hazard.id is None or "history" in hazard.__dict__:
        added.hazard = hazard  # a new hazard (id filled in at INSERT), or a history already loaded
    else:
        added.hazard_id = hazard.id  # no need to load the whole history to add to it
    object_session(hazard).add(added)
    return added


@dataclass(frozen=True)
class ChainBreak:
    hazard_id: int
    code: str
    seq: int | None
    problem: str


def verify_all(session: Session, batch: int = 500) -> Iterator[ChainBreak]:
    """Yield every break, hazard by hazard, reading the history in id batches."""
    last_id = 0
    while True:
        hazards = session.execute(
            select(Hazard.id, Hazard.code, Hazard.chain_head, Hazard.history_length)
            .where(Hazard.id > last_id).order_by(Hazard.id).limit(batch)
        ).all()
        if not hazards:
            return
        ids = [row.id for row in hazards]
        entries: dict[int, list[HazardEvent]] = {hid: [] for hid in ids}
        for entry in session.scalars(
            select(HazardEvent).where(HazardEvent.hazard_id.in_(ids)).order_by(HazardEvent.hazard_id, HazardEvent.seq)
        ):
            entries[entry.hazard_id].append(entry)
        for row in hazards:
            yield from _verify_one(row, entries[row.id])
        session.expunge_all()
        last_id = ids[-1]


def _verify_one(row, entries: list[HazardEvent]) -> Iterator[ChainBreak]:
    prev = GENESIS
    for expected_seq, entry in enumerate(entries, start=1):
        if entry.seq != expected_seq:
            yield ChainBreak(row.id, row.code, entry.seq, f"entry {expected_seq} is missing")
            return
        if entry.chain_format not in FORMATS:
            yield ChainBreak(row.id, row.code, entry.seq, f"entry is in an unknown chain format {entry.chain_format!r}")
            return
        if entry.prev_hash != prev or link(prev, row.code, entry) != entry.hash:
            yield ChainBreak(row.id, row.code, entry.seq, "entry does not match its hash")
            return
        prev = entry.hash
    if len(entries) != row.history_length or prev != row.chain_head:
        yield ChainBreak(row.id, row.code, None, "history was cut short: the chain head does not match")


def verify_entries(row, entries: list) -> Iterator[ChainBreak]:
    """The breaks of one chain, of a hazard or of any record chained the same way (a
    union's notice): `row` has id, code, chain_head and history_length, `entries` seq,
    prev_hash, hash and what `canonical` reads, in seq order."""
    return _verify_one(row, entries)
