"""The evidence chain of a hazard's history (DESIGN principle 7).

hash = sha256(prev_hash + canonical event), where the canonical event is compact,
key-sorted JSON of everything the entry asserts. Editing, deleting or reordering any
entry breaks the chain from that entry on; the hazard row keeps the head and length,
so a deleted tail shows too."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from hazard_ledger.hazards.models import Hazard, HazardEvent

GENESIS = "0" * 64


def canonical(hazard_code: str, entry: HazardEvent) -> str:
    # the code, not the id, names the hazard: it is known before the first INSERT
    return json.dumps(
        {
            "hazard": hazard_code,
            "seq": entry.seq,
            "event": entry.event,
            "from_state": entry.from_state,
            "to_state": entry.to_state,
            "actor_user_id": entry.actor_user_id,
            "actor_label": entry.actor_label,
            "at": entry.at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
            "data": entry.data,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def link(prev_hash: str, hazard_code: str, entry: HazardEvent) -> str:
    return hashlib.sha256((prev_hash + canonical(hazard_code, entry)).encode()).hexdigest()


def first_entry(*, event: str, to_state: str, actor_user_id: int | None, actor_label: str | None,
                at: datetime, data: dict) -> HazardEvent:
    """A new hazard's first entry, not linked yet: its hash needs the hazard's code."""
    return HazardEvent(seq=1, event=event, from_state=None, to_state=to_state, actor_user_id=actor_user_id,
                       actor_label=actor_label, at=at.astimezone(timezone.utc), data=data, prev_hash=GENESIS)


def around_code(entry: HazardEvent) -> tuple[str, str]:
    """The text a first entry's hash covers, before and after its hazard's code: for a
    database that numbers the hazard and hashes `GENESIS + before + code + after` itself.
    (A code is letters, digits and dashes, which JSON writes as they are.) The entry is
    written twice, with two stand-ins for the code: the texts part where the code goes,
    whatever the reporter wrote elsewhere in them."""
    one, two = canonical("A", entry), canonical("BB", entry)
    start = len(os.path.commonprefix([one, two]))
    return one[:start], one[start + len("A"):]


def append(hazard: Hazard, *, event: str, from_state: str | None, to_state: str,
           actor_user_id: int | None, actor_label: str | None, at: datetime, data: dict) -> HazardEvent:
    """Add the next entry of the hazard's chain and move the head."""
    entry = HazardEvent(
        seq=hazard.history_length + 1, event=event, from_state=from_state,
        to_state=to_state, actor_user_id=actor_user_id, actor_label=actor_label,
        at=at.astimezone(timezone.utc), data=data, prev_hash=hazard.chain_head,
    )
    entry.hash = link(hazard.chain_head, hazard.code, entry)
    hazard.chain_head = entry.hash
    hazard.history_length = entry.seq
    if hazard.id is None or "history" in hazard.__dict__:
        entry.hazard = hazard  # a new hazard (id filled in at INSERT), or a history already loaded
    else:
        entry.hazard_id = hazard.id  # no need to load the whole history to add to it
    object_session(hazard).add(entry)
    return entry


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
