"""The ledger as a file, streamed: rows are read in keyset batches and written one by
one, so memory stays flat whatever the size of the ledger."""

from __future__ import annotations

from datetime import date, datetime
from typing import IO, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hazard_ledger.hazards.models import Hazard, HazardEvent
from hazard_ledger.hazards.operations import HazardFilters, filtered_query
from hazard_ledger.organisations.models import Enterprise, User
from hazard_ledger.hazards.schemas import source_of
from hazard_ledger.paperwork.columns import GRADE_WORDS, LEDGER_COLUMNS, SOURCE_WORDS, STATE_WORDS
from hazard_ledger.tabular import write_table

BATCH = 1000


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0) if moment else None


def ledger_row(number: int, hazard: Hazard, today: date, zone: ZoneInfo, accepted_by: str | None = None) -> list:
    # never the reporter: the ledger is read by the enterprise
    return [
        number, hazard.code, _local(hazard.reported_at, zone), hazard.location, hazard.description, hazard.category,
        GRADE_WORDS.get(hazard.grade, ""), hazard.measure, hazard.responsible_unit, hazard.responsible_person,
        hazard.deadline, hazard.protective_measures, hazard.rectification_note, hazard.completed_on,
        hazard.verification_note, _local(hazard.closed_at, zone), STATE_WORDS[hazard.state],
        "是" if hazard.is_overdue(today) else "否", hazard.days_overdue(today),
        hazard.funds, hazard.emergency_plan, SOURCE_WORDS[source_of(hazard)], accepted_by,
    ]


def ledger_rows(session: Session, viewer: User, filters: HazardFilters, today: date, zone: ZoneInfo) -> Iterator[list]:
    """Every matching hazard in ledger order (oldest first), one batch in memory at a time."""
    query = filtered_query(session, viewer, filters, today, zone)
    last_id, number = 0, 0
    while True:
        batch = list(session.scalars(query.where(Hazard.id > last_id).order_by(Hazard.id).limit(BATCH)))
        if not batch:
            return
        closers = _closers(session, [hazard.id for hazard in batch])
        for hazard in batch:
            number += 1
            yield ledger_row(number, hazard, today, zone, closers.get(hazard.id))
        last_id = batch[-1].id
        for hazard in batch:
            session.expunge(hazard)


def _closers(session: Session, hazard_ids: list[int]) -> dict[int, str]:
    """The name of who closed each hazard (验收人): the actor of its close event."""
    rows = session.execute(select(HazardEvent.hazard_id, User.name, User.username)
                           .join(User, User.id == HazardEvent.actor_user_id)
                           .where(HazardEvent.hazard_id.in_(hazard_ids), HazardEvent.event == "close"))
    return {hazard_id: name or username for hazard_id, name, username in rows}


def title_block(session: Session, viewer: User | None, filters: HazardFilters, today: date) -> list[str]:
    """The workbook's first lines, as on a ledger kept on paper: whose ledger, what it
    holds, who made it and when."""
    enterprise_id = filters.enterprise_id or (viewer.enterprise_id if viewer is not None else None)
    enterprise = session.get(Enterprise, enterprise_id) if enterprise_id else None
    scope = []
    if filters.ids:
        scope.append(f"所选 {len(filters.ids)} 项")
    if filters.states:
        scope.append("、".join(STATE_WORDS[state] for state in filters.states))
    if filters.grade:
        scope.append(f"{GRADE_WORDS[filters.grade]}隐患")
    if filters.overdue is not None:
        scope.append("逾期" if filters.overdue else "未逾期")
    if filters.reported_from or filters.reported_to:
        scope.append(f"报告于 {filters.reported_from or '…'} 至 {filters.reported_to or '…'}")
    if filters.text:
        scope.append(f"含“{filters.text}”")
    maker = (viewer.name or viewer.username) if viewer is not None else "系统（命令行）"
    return [f"{enterprise.name if enterprise else ''}隐患排查治理台账",
            f"范围：{'；'.join(scope) or '全部隐患'}　　制表人：{maker}　　制表日期：{today.isoformat()}"]


def export_ledger(session: Session, viewer: User | None, filters: HazardFilters, target: str | IO[bytes], fmt: str,
                  today: date, zone: ZoneInfo) -> None:
    write_table(target, fmt, LEDGER_COLUMNS, ledger_rows(session, viewer, filters, today, zone), title="隐患排查治理台账",
                heading=title_block(session, viewer, filters, today))
