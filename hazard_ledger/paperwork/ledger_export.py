"""The ledger as a file, streamed: rows are read in keyset batches and written one by
one, so memory stays flat whatever the size of the ledger."""

from __future__ import annotations

from datetime import date, datetime
from typing import IO, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hazard_ledger.hazards.models import Hazard
from hazard_ledger.hazards.operations import HazardFilters, filtered_query
from hazard_ledger.organisations.models import User
from hazard_ledger.hazards.schemas import source_of
from hazard_ledger.paperwork.columns import GRADE_WORDS, LEDGER_COLUMNS, SOURCE_WORDS, STATE_WORDS
from hazard_ledger.tabular import write_table

BATCH = 1000


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0) if moment else None


def ledger_row(number: int, hazard: Hazard, today: date, zone: ZoneInfo) -> list:
    # never the reporter: the ledger is read by the enterprise
    return [
        number, hazard.code, _local(hazard.reported_at, zone), hazard.location, hazard.description, hazard.category,
        GRADE_WORDS.get(hazard.grade, ""), hazard.measure, hazard.responsible_unit, hazard.responsible_person,
        hazard.deadline, hazard.protective_measures, hazard.rectification_note, hazard.completed_on,
        hazard.verification_note, _local(hazard.closed_at, zone), STATE_WORDS[hazard.state],
        "是" if hazard.is_overdue(today) else "否", hazard.days_overdue(today),
        hazard.funds, hazard.emergency_plan, SOURCE_WORDS[source_of(hazard)],
    ]


def ledger_rows(session: Session, viewer: User, filters: HazardFilters, today: date, zone: ZoneInfo) -> Iterator[list]:
    """Every matching hazard in ledger order (oldest first), one batch in memory at a time."""
    query = filtered_query(session, viewer, filters, today, zone)
    last_id, number = 0, 0
    while True:
        batch = list(session.scalars(query.where(Hazard.id > last_id).order_by(Hazard.id).limit(BATCH)))
        if not batch:
            return
        for hazard in batch:
            number += 1
            yield ledger_row(number, hazard, today, zone)
        last_id = batch[-1].id
        for hazard in batch:
            session.expunge(hazard)


def export_ledger(session: Session, viewer: User, filters: HazardFilters, target: str | IO[bytes], fmt: str,
                  today: date, zone: ZoneInfo) -> None:
    write_table(target, fmt, LEDGER_COLUMNS, ledger_rows(session, viewer, filters, today, zone), title="隐患排查治理台账")
