"""Moving a hazard along the rulebook: fire the event, chain the history entry, follow
the effects the event declares (hazard_ledger/effects.py), write both rows."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, inspect, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hazard_ledger import effects
from hazard_ledger.clock import local_today
from hazard_ledger.db import commits_each_statement, dialect_of
from hazard_ledger.errors import Conflict, ValidationFailed
from hazard_ledger.hazards import chain
from hazard_ledger.hazards.attachments import PHOTO_EVENTS, StoredPhoto, chained, record_photos
from hazard_ledger.hazards.models import Hazard, HazardEvent
from hazard_ledger.hazards.queries import visible_hazard
from hazard_ledger.hazards.writes import columns_of, inserting_from
from hazard_ledger.organisations.models import User
from hazard_ledger.workflow import TransitionContext, fire


def transition(session: Session, actor: User, hazard_id: int, event: str, data: dict, *,
               version: int | None, now: datetime, zone: ZoneInfo, photos: Sequence[StoredPhoto] = ()) -> Hazard:
    """Fire `event` on a hazard the actor can see. The state change, its history entry
    and the effects declared for the event (hazard_ledger/effects.py) are written
    together, in that order; any refusal changes nothing. Photos (stored already) come
    with `progress`, `rectify` and `close` only: their sha256 go into the entry, their
    rows are written with it (in a transaction: the pages').

    In a transaction the hazard's row is locked as it is read, so transitions of one
    hazard queue behind each other. In a session that commits each statement (the API's
    transitions of events without effects on PostgreSQL: `db.one_statement`) the write is
    one statement that holds only if the hazard's version is still the one read; when it
    moved meanwhile, an event fired without `version` is fired again on the fresh row,
    as the lock would have had it wait for that row, and one fired with `version` is the
    409 it would have been."""
    if photos and event not in PHOTO_EVENTS:
        raise ValidationFailed.on("photos", "只有整改进展、整改完成和验收销号可以附照片 / only progress, rectify "
                                            "and close take photos")
    one_statement = commits_each_statement(session)
    if one_statement and (effects.effects_of(event) or photos):
        raise RuntimeError(f"'{event}' has effects or photos: it needs a transaction, not a session of one statement")
    for _attempt in range(MOVED_RETRIES + 1):
        hazard = visible_hazard(session, actor, hazard_id, for_update=not one_statement)
        if version is not None and version != hazard.version:
            raise Conflict(f"隐患已被他人修改（当前版本 {hazard.version}）/ the hazard changed: version is now {hazard.version}")
        if _fire_and_write(session, actor, hazard, event, data, now=now, zone=zone, one_statement=one_statement,
                           photos=photos):
            return hazard
        session.expire(hazard)  # what the event changed on the stale row: read the fresh one
        if version is not None or not one_statement:
            break
    raise Conflict("隐患已被他人修改 / the hazard changed while you were working on it")


MOVED_RETRIES = 10  # a hazard that moves under its statement this often is fought over: answer 409


def _fire_and_write(session: Session, actor: User, hazard: Hazard, event: str, data: dict, *, now: datetime,
                    zone: ZoneInfo, one_statement: bool, photos: Sequence[StoredPhoto]) -> bool:
    """Fire, chain and write; False when the hazard's version moved before the write."""
    before = hazard.state
    ctx = TransitionContext(session=session, actor=actor, now=now, today=local_today(now, zone), data=data)
    fire(hazard, event, ctx)
    entry = chain.next_entry(
        hazard, event=event, from_state=before.value, to_state=hazard.state.value,
        actor_user_id=actor.id, actor_label=actor.display_name, at=now,
        data={**chain.json_safe(ctx.cleaned), **chained(photos)},
    )
    changed = _changed_columns(hazard)
    if changed is not None and "history" not in hazard.__dict__ and dialect_of(session) is postgresql:
        if not _write_transition_postgresql(session, hazard, entry, changed):
            return False
    elif one_statement:
        raise RuntimeError(f"'{event}' changed more than one statement can write")
    else:
        entry.hazard_id = hazard.id
        if "history" in hazard.__dict__:
            entry.hazard = hazard  # keep a loaded history whole
        session.add(entry)
    record_photos(session, hazard, entry, photos, stage=event, uploader_id=actor.id, now=now)
    effects.follow(effects.Fired(session, event, hazard, actor, now, zone, ctx.cleaned))
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("隐患已被他人修改 / the hazard changed while you were working on it") from None
    return True


# A transition is the busiest write after a report. On PostgreSQL its two rows (the
# hazard's new state and version, the history entry) are one statement instead of a
# unit-of-work flush of two: one round trip less while the hazard's row lock is held,
# and none of the flush's bookkeeping. The session then holds the hazard as written.

def _changed_columns(hazard: Hazard) -> dict | None:
    """The columns the rule and the chain changed, with their new values; None when
    something else changed (a relationship), which only a flush writes."""
    state = inspect(hazard)
    columns = _column_keys()
    if not set(state.committed_state) <= columns:
        return None
    return {key: state.dict[key] for key, before in state.committed_state.items() if state.dict[key] != before}


@lru_cache(maxsize=1)
def _column_keys() -> frozenset[str]:
    return frozenset(column.key for column in Hazard.__table__.columns)


def _write_transition_postgresql(session: Session, hazard: Hazard, entry: HazardEvent, changed: dict) -> bool:
    entry_values = columns_of(entry)
    parameters = {"hazard_id": hazard.id, "old_version": hazard.version,
                  **{f"hazard_{key}": value for key, value in changed.items()},
                  **{f"entry_{key}": value for key, value in entry_values.items()}}
    written = session.connection().execute(
        _transition_statement(tuple(changed), tuple(entry_values)), parameters).first()
    if written is None:  # the version moved under us: what a flush reports as stale data
        return False
    hazard.version += 1
    # the hazard as written: nothing left for a flush to compare, column by column
    state = inspect(hazard)
    state._commit_all(state.dict, session.identity_map)
    # the entry stays out of the session: it is written, and a history read later loads it
    entry.id, entry.hazard_id = written
    return True


@lru_cache(maxsize=32)
def _transition_statement(hazard_columns: tuple[str, ...], entry_columns: tuple[str, ...]) -> Select:
    """UPDATE the hazard where its version is still the one read, INSERT the entry for
    the row updated (none if the version moved): built once per set of columns."""
    hazards = Hazard.__table__
    moved = (update(hazards)
             .where(hazards.c.id == bindparam("hazard_id"), hazards.c.version == bindparam("old_version"))
             .values({**{key: bindparam(f"hazard_{key}", type_=hazards.c[key].type) for key in hazard_columns},
                      "version": hazards.c.version + 1})
             .returning(hazards.c.id).cte("moved"))
    new_entry = inserting_from(HazardEvent, "entry", entry_columns, ("id", "hazard_id"),
                                hazard_id=moved.c.id).cte("new_entry")
    return select(new_entry.c.id, new_entry.c.hazard_id)
