"""Reporting a hazard: from a signed-in user, from the QR form, from a failed check of a
planned inspection. A report is one row, its code and its first history entry, written
in one statement on PostgreSQL. Each operation takes a Session, flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Insert, Select, String, bindparam, cast, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, make_transient_to_detached

from hazard_ledger import permissions
from hazard_ledger.clock import local_today
from hazard_ledger.db import dialect_of
from hazard_ledger.enums import HazardState, ReportChannel
from hazard_ledger.errors import NotFound, ValidationFailed
from hazard_ledger.hazards import chain
from hazard_ledger.hazards.attachments import StoredPhoto, chained, record_photos
from hazard_ledger.hazards.models import Hazard, HazardCodeCounter, HazardEvent
from hazard_ledger.hazards.writes import as_written, columns_of, inserting, inserting_from
from hazard_ledger.organisations.models import Enterprise, User
from hazard_ledger.security import new_receipt, receipt_hash
from hazard_ledger.sqltext import words

COUNTERS = HazardCodeCounter.__table__


def _bumping_counter(dialect, year) -> Insert:
    """The year's counter, one up (or 1 for a new year), under the row's write lock."""
    return (dialect.insert(COUNTERS).values(year=year, last_value=1)
            .on_conflict_do_update(index_elements=["year"], set_={"last_value": COUNTERS.c.last_value + 1}))


def _code_prefix(year: int) -> str:
    return f"YH-{year}-"


def next_hazard_code(session: Session, year: int) -> str:
    """YH-2026-000123: a per-year counter, bumped under the row's write lock."""
    statement = _bumping_counter(dialect_of(session), year).returning(COUNTERS.c.last_value)
    number = session.connection().execute(statement).scalar_one()
    return f"{_code_prefix(year)}{number:06d}"


@dataclass
class Report:
    location: str
    description: str
    category: str | None = None
    anonymous: bool = False
    reporter_name: str | None = None
    reporter_phone: str | None = None


@dataclass(frozen=True)
class Finding:
    """Where a hazard found by a planned inspection (hazard_ledger.prevention) comes from:
    the risk point, the inspection and the index of the failed check in its checklist."""

    risk_point_id: int
    inspection_id: int
    check_index: int

    SOURCE = "inspection"


def _record_report(session: Session, enterprise_id: int, report: Report, *, channel: ReportChannel,
                   reporter: User | None, now: datetime, zone: ZoneInfo, receipt: str | None = None,
                   finding: Finding | None = None, photos: Sequence[StoredPhoto] = ()) -> Hazard:
    links = {} if finding is None else {"source": Finding.SOURCE, "risk_point_id": finding.risk_point_id,
                                        "inspection_id": finding.inspection_id, "check_index": finding.check_index}
    hazard = Hazard(
        enterprise_id=enterprise_id,
        state=HazardState.REPORTED,
        category=report.category,
        location=report.location,
        description=report.description,
        reported_at=now,
        channel=channel,
        anonymous=report.anonymous,
        reporter_user_id=None if report.anonymous or reporter is None else reporter.id,
        reporter_name=None if report.anonymous else report.reporter_name,
        reporter_phone=None if report.anonymous else report.reporter_phone,
        receipt_hash=receipt_hash(receipt) if receipt else None,
        history_length=1,
        version=1,
        **links,
    )
    entry = chain.first_entry(
        event="report", to_state=HazardState.REPORTED.value, actor_user_id=hazard.reporter_user_id,
        actor_label=None if report.anonymous else (reporter.display_name if reporter else report.reporter_name),
        at=now,
        data=chain.json_safe({"location": report.location, "description": report.description,
                        "category": report.category, "channel": channel.value, "anonymous": report.anonymous,
                        **links, **chained(photos)}),
    )
    year = local_today(now, zone).year
    if dialect_of(session) is postgresql:
        _write_report_postgresql(session, hazard, entry, year)
    else:
        _write_report(session, hazard, entry, year)
    entry.hazard = hazard
    for record in (hazard, entry):
        as_written(record)
        make_transient_to_detached(record)  # as if loaded: the session holds them, with nothing to flush
    session.add(hazard)
    # the report's photos (整改前), chained by its entry; their uploader is the reporter
    record_photos(session, hazard, entry, photos, stage="report", uploader_id=hazard.reporter_user_id, now=now)
    return hazard


# From the moment a report takes its code until it commits, every other report of the
# year waits for the counter row: that is what keeps the codes without gaps. So a report
# takes its code last, and writes its two rows with plain INSERTs, not a unit-of-work
# flush. On PostgreSQL, where reports come in bursts from many processes, the counter,
# the code, the first link of the chain and both rows are a single statement, so the row
# is held for one statement and the commit (the report views open their session with
# Database.open_session(one_statement=True): for the statement alone); SQLite queues its
# writers anyway.

def _write_report(session: Session, hazard: Hazard, entry: HazardEvent, year: int) -> None:
    hazard.code = next_hazard_code(session, year)
    entry.hash = hazard.chain_head = chain.link(chain.GENESIS, hazard.code, entry)
    connection = session.connection()
    hazard.id = connection.execute(inserting(Hazard), columns_of(hazard)).scalar_one()
    entry.hazard_id = hazard.id
    entry.id = connection.execute(inserting(HazardEvent), columns_of(entry)).scalar_one()


def _write_report_postgresql(session: Session, hazard: Hazard, entry: HazardEvent, year: int) -> None:
    before, after = chain.around_code(entry)
    hazard_values, entry_values = columns_of(hazard), columns_of(entry)
    parameters = {"year": year, "code_prefix": _code_prefix(year), "before_code": chain.GENESIS + before,
                  "after_code": after, **{f"hazard_{key}": value for key, value in hazard_values.items()},
                  **{f"entry_{key}": value for key, value in entry_values.items()}}
    hazard.id, hazard.code, hazard.chain_head, entry.id = session.connection().execute(
        _report_statement(tuple(hazard_values), tuple(entry_values)), parameters).one()
    entry.hazard_id, entry.hash = hazard.id, hazard.chain_head


@lru_cache(maxsize=8)
def _report_statement(hazard_columns: tuple[str, ...], entry_columns: tuple[str, ...]) -> Select:
    """The one statement of a report on PostgreSQL, built once per process; each report
    binds its values. The code is written as next_hazard_code writes it (at least six
    digits) and the head hashed as chain.link hashes it; tests check both agree."""
    number = cast(COUNTERS.c.last_value, String)
    code = words(bindparam("code_prefix", type_=String), func.lpad(number, func.greatest(6, func.length(number)), "0"))
    counter = _bumping_counter(postgresql, bindparam("year")).returning(code.label("code")).cte("counter")
    hashed = words(bindparam("before_code", type_=String), counter.c.code, bindparam("after_code", type_=String))
    head = func.encode(func.sha256(func.convert_to(hashed, "UTF8")), "hex")
    new_hazard = inserting_from(Hazard, "hazard", hazard_columns, ("id", "code", "chain_head"),
                                 code=counter.c.code, chain_head=head).cte("new_hazard")
    new_entry = inserting_from(HazardEvent, "entry", entry_columns, ("id", "hazard_id"),
                                hazard_id=new_hazard.c.id, hash=new_hazard.c.chain_head).cte("new_entry")
    return (select(new_hazard.c.id, new_hazard.c.code, new_hazard.c.chain_head, new_entry.c.id)
            .join_from(new_hazard, new_entry, new_entry.c.hazard_id == new_hazard.c.id))


def report_as_user(session: Session, actor: User, report: Report, enterprise_id: int | None,
                   now: datetime, zone: ZoneInfo, photos: Sequence[StoredPhoto] = ()) -> Hazard:
    """A logged-in user reports a hazard: to their own enterprise unless they name one
    they can see."""
    if enterprise_id is None:
        enterprise_id = actor.enterprise_id
        if enterprise_id is None:
            raise ValidationFailed.on("enterprise_id", "请指定企业 / name the enterprise")
    if enterprise_id != actor.enterprise_id:  # one's own enterprise is always in scope
        visible = session.scalar(
            select(Enterprise.id).where(Enterprise.id == enterprise_id, permissions.enterprise_clause(session, actor)))
        if visible is None:
            raise ValidationFailed.on("enterprise_id", "企业不存在或不可见 / no such enterprise in your scope")
    return _record_report(session, enterprise_id, report, channel=ReportChannel.LOGIN, reporter=actor, now=now,
                          zone=zone, photos=photos)


def report_finding(session: Session, actor: User, enterprise_id: int, report: Report, finding: Finding,
                   now: datetime, zone: ZoneInfo, photos: Sequence[StoredPhoto] = ()) -> Hazard:
    """A failed check of a planned inspection becomes a hazard in `reported`, reported by
    the inspecting user exactly as a logged-in report is, with its source and links: so
    every rule of the ledger (triage, reminders, statistics, rewards) applies to it. The
    caller has checked that `actor` may submit the inspection."""
    return _record_report(session, enterprise_id, report, channel=ReportChannel.LOGIN, reporter=actor, now=now,
                          zone=zone, finding=finding, photos=photos)


def report_publicly(session: Session, report_token: str, report: Report, now: datetime,
                    zone: ZoneInfo, photos: Sequence[StoredPhoto] = ()) -> tuple[Hazard, str]:
    """The QR-code form: no login; answers the hazard and its receipt, shown once."""
    enterprise = enterprise_by_report_token(session, report_token)
    receipt = new_receipt()
    hazard = _record_report(session, enterprise.id, report, channel=ReportChannel.PUBLIC_FORM, reporter=None,
                            now=now, zone=zone, receipt=receipt, photos=photos)
    return hazard, receipt


def enterprise_by_report_token(session: Session, report_token: str) -> Enterprise:
    enterprise = session.scalar(select(Enterprise).where(Enterprise.report_token == report_token))
    if enterprise is None:
        raise NotFound("二维码无效 / unknown report form")
    return enterprise


def hazard_by_receipt(session: Session, receipt: str) -> Hazard:
    hazard = session.scalar(select(Hazard).where(Hazard.receipt_hash == receipt_hash(receipt)))
    if hazard is None:
        raise NotFound("回执号不存在 / unknown receipt")
    return hazard
