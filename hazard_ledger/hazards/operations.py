"""Operations on the ledger. Each takes a Session, flushes, and never commits."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Insert, Select, String, bindparam, case, cast, func, inspect, or_, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from hazard_ledger import effects, permissions
from hazard_ledger.clock import local_today
from hazard_ledger.db import dialect_of
from hazard_ledger.enums import Grade, HazardState, ReportChannel
from hazard_ledger.errors import Conflict, Forbidden, NotFound, TooLarge, ValidationFailed
from hazard_ledger.hazards import chain, photos
from hazard_ledger.hazards.models import Attachment, Hazard, HazardCodeCounter, HazardEvent
from hazard_ledger.organisations.models import Enterprise, User
from hazard_ledger.security import new_receipt, receipt_hash
from hazard_ledger.sqltext import words
from hazard_ledger.validation import MAX_ID
from hazard_ledger.workflow import TransitionContext, fire


# ---- reporting --------------------------------------------------------------------

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
                   finding: Finding | None = None) -> Hazard:
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
                        **links}),
    )
    year = local_today(now, zone).year
    if dialect_of(session) is postgresql:
        _write_report_postgresql(session, hazard, entry, year)
    else:
        _write_report(session, hazard, entry, year)
    entry.hazard = hazard
    for record in (hazard, entry):
        _as_written(record)
        make_transient_to_detached(record)  # as if loaded: the session holds them, with nothing to flush
    session.add(hazard)
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
    hazard.id = connection.execute(_inserting(Hazard), _columns_of(hazard)).scalar_one()
    entry.hazard_id = hazard.id
    entry.id = connection.execute(_inserting(HazardEvent), _columns_of(entry)).scalar_one()


def _write_report_postgresql(session: Session, hazard: Hazard, entry: HazardEvent, year: int) -> None:
    before, after = chain.around_code(entry)
    hazard_values, entry_values = _columns_of(hazard), _columns_of(entry)
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
    new_hazard = _inserting_from(Hazard, "hazard", hazard_columns, ("id", "code", "chain_head"),
                                 code=counter.c.code, chain_head=head).cte("new_hazard")
    new_entry = _inserting_from(HazardEvent, "entry", entry_columns, ("id", "hazard_id"),
                                hazard_id=new_hazard.c.id, hash=new_hazard.c.chain_head).cte("new_entry")
    return (select(new_hazard.c.id, new_hazard.c.code, new_hazard.c.chain_head, new_entry.c.id)
            .join_from(new_hazard, new_entry, new_entry.c.hazard_id == new_hazard.c.id))


def _as_written(record) -> None:
    """The columns a report leaves out are NULL in its row (they have no defaults): say so,
    so that answering the report reads nothing back."""
    written = vars(record)
    for key in _null_unless_given(type(record)):
        if key not in written:
            setattr(record, key, None)


@lru_cache(maxsize=8)
def _null_unless_given(model) -> tuple[str, ...]:
    return tuple(column.key for column in model.__table__.columns
                 if column.default is None and column.server_default is None)


def _inserting(model) -> Insert:
    return model.__table__.insert().returning(model.__table__.c.id)


def _inserting_from(model, prefix: str, columns: tuple[str, ...], returning: tuple[str, ...], **computed) -> Insert:
    """INSERT … SELECT of the bound `columns` and the `computed` ones."""
    table = model.__table__
    values = {**{key: bindparam(f"{prefix}_{key}", type_=table.c[key].type) for key in columns}, **computed}
    statement = postgresql.insert(table).from_select(list(values), select(*values.values()))
    return statement.returning(*(table.c[key] for key in returning))


def _columns_of(record) -> dict:
    given = vars(record)
    return {column.key: given[column.key] for column in record.__table__.columns if column.key in given}


def report_as_user(session: Session, actor: User, report: Report, enterprise_id: int | None,
                   now: datetime, zone: ZoneInfo) -> Hazard:
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
                          zone=zone)


def report_finding(session: Session, actor: User, enterprise_id: int, report: Report, finding: Finding,
                   now: datetime, zone: ZoneInfo) -> Hazard:
    """A failed check of a planned inspection becomes a hazard in `reported`, reported by
    the inspecting user exactly as a logged-in report is, with its source and links: so
    every rule of the ledger (triage, reminders, statistics, rewards) applies to it. The
    caller has checked that `actor` may submit the inspection."""
    return _record_report(session, enterprise_id, report, channel=ReportChannel.LOGIN, reporter=actor, now=now,
                          zone=zone, finding=finding)


def report_publicly(session: Session, report_token: str, report: Report, now: datetime,
                    zone: ZoneInfo) -> tuple[Hazard, str]:
    """The QR-code form: no login; answers the hazard and its receipt, shown once."""
    enterprise = enterprise_by_report_token(session, report_token)
    receipt = new_receipt()
    hazard = _record_report(session, enterprise.id, report, channel=ReportChannel.PUBLIC_FORM, reporter=None,
                            now=now, zone=zone, receipt=receipt)
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


# ---- reading ----------------------------------------------------------------------

def reported_by(session: Session, reporter: User, hazard_id: int | None = None, limit: int = 200) -> list[Hazard]:
    """The reports of `reporter`'s account, newest first (their 我的举报): not the
    anonymous ones, which nothing links to an account."""
    query = select(Hazard).where(Hazard.reporter_user_id == reporter.id)
    if hazard_id is not None:
        query = query.where(Hazard.id == hazard_id)
    return list(session.scalars(query.order_by(Hazard.reported_at.desc(), Hazard.id.desc()).limit(limit)))


def visible_hazard(session: Session, viewer: User, hazard_id: int, for_update: bool = False) -> Hazard:
    """The hazard if `viewer` may see it; otherwise 404, never a 403 that confirms it."""
    query = select(Hazard).where(Hazard.id == hazard_id, permissions.hazard_clause(session, viewer))
    if for_update:
        query = query.with_for_update()
    hazard = session.scalar(query)
    if hazard is None:
        raise NotFound("隐患不存在 / no such hazard")
    return hazard


@dataclass
class HazardFilters:
    states: Sequence[HazardState] = ()
    enterprise_id: int | None = None
    grade: Grade | None = None
    overdue: bool | None = None
    text: str | None = None
    reported_from: date | None = None
    reported_to: date | None = None


def filtered_query(session: Session, viewer: User, filters: HazardFilters, today: date, zone: ZoneInfo):
    """A select of the hazards `viewer` may see that match `filters`."""
    query = select(Hazard).where(permissions.hazard_clause(session, viewer))
    if filters.states:
        query = query.where(Hazard.state.in_(list(filters.states)))
    if filters.enterprise_id is not None:
        query = query.where(Hazard.enterprise_id == filters.enterprise_id)
    if filters.grade is not None:
        query = query.where(Hazard.grade == filters.grade)
    if filters.overdue is not None:
        query = query.where(Hazard.is_overdue(today) if filters.overdue else ~Hazard.is_overdue(today))
    if filters.text:
        pattern = "%" + filters.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Hazard.description.like(pattern, escape="\\"), Hazard.location.like(pattern, escape="\\"),
                                Hazard.code.like(pattern, escape="\\"), Hazard.category.like(pattern, escape="\\")))
    if filters.reported_from is not None:
        query = query.where(Hazard.reported_at >= _local_midnight(filters.reported_from, zone))
    if filters.reported_to is not None:
        query = query.where(Hazard.reported_at < _local_midnight(filters.reported_to + timedelta(days=1), zone))
    return query


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["before"]
        # an id, as every id is bounded: a larger number would overflow the database's integer
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
            raise ValueError
        return value
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError):
        raise ValidationFailed.on("cursor", "无效的分页游标 / not a cursor this service gave") from None


def list_hazards(session: Session, viewer: User, filters: HazardFilters, today: date, zone: ZoneInfo,
                 limit: int = 50, cursor: str | None = None) -> tuple[list[Hazard], str | None]:
    """One page, newest first, by keyset: a deep page costs what the first one costs."""
    query = filtered_query(session, viewer, filters, today, zone)
    if cursor:
        query = query.where(Hazard.id < decode_cursor(cursor))
    rows = list(session.scalars(query.order_by(Hazard.id.desc()).limit(limit + 1).options(selectinload(Hazard.reporter))))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


# ---- transitions ------------------------------------------------------------------

def transition(session: Session, actor: User, hazard_id: int, event: str, data: dict, *,
               version: int | None, now: datetime, zone: ZoneInfo) -> Hazard:
    """Fire `event` on a hazard the actor can see. The state change, its history entry
    and the effects declared for the event (hazard_ledger/effects.py) are written
    together, in that order; any refusal changes nothing."""
    hazard = visible_hazard(session, actor, hazard_id, for_update=True)
    if version is not None and version != hazard.version:
        raise Conflict(f"隐患已被他人修改（当前版本 {hazard.version}）/ the hazard changed: version is now {hazard.version}")
    before = hazard.state
    ctx = TransitionContext(session=session, actor=actor, now=now, today=local_today(now, zone), data=data)
    fire(hazard, event, ctx)
    entry = chain.next_entry(
        hazard, event=event, from_state=before.value, to_state=hazard.state.value,
        actor_user_id=actor.id, actor_label=actor.display_name, at=now, data=chain.json_safe(ctx.cleaned),
    )
    changed = _changed_columns(hazard)
    if changed is not None and "history" not in hazard.__dict__ and dialect_of(session) is postgresql:
        _write_transition_postgresql(session, hazard, entry, changed)
    else:
        entry.hazard_id = hazard.id
        if "history" in hazard.__dict__:
            entry.hazard = hazard  # keep a loaded history whole
        session.add(entry)
    effects.follow(effects.Fired(session, event, hazard, actor, now, zone))
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("隐患已被他人修改 / the hazard changed while you were working on it") from None
    return hazard


# A transition is the busiest write after a report. On PostgreSQL its two rows (the
# hazard's new state and version, the history entry) are one statement instead of a
# unit-of-work flush of two: one round trip less while the hazard's row lock is held,
# and none of the flush's bookkeeping. The session then holds both as written.

def _changed_columns(hazard: Hazard) -> dict | None:
    """The columns the rule and the chain changed, with their new values; None when
    something else changed (a relationship), which only a flush writes."""
    state = inspect(hazard)
    columns = _column_keys()
    if not set(state.committed_state) <= columns:
        return None
    return {key: state.dict[key] for key in state.committed_state if state.attrs[key].history.has_changes()}


@lru_cache(maxsize=1)
def _column_keys() -> frozenset[str]:
    return frozenset(column.key for column in Hazard.__table__.columns)


def _write_transition_postgresql(session: Session, hazard: Hazard, entry: HazardEvent, changed: dict) -> None:
    entry_values = _columns_of(entry)
    parameters = {"hazard_id": hazard.id, "old_version": hazard.version,
                  **{f"hazard_{key}": value for key, value in changed.items()},
                  **{f"entry_{key}": value for key, value in entry_values.items()}}
    written = session.connection().execute(
        _transition_statement(tuple(changed), tuple(entry_values)), parameters).first()
    if written is None:  # the version moved under us: what a flush reports as stale data
        raise Conflict("隐患已被他人修改 / the hazard changed while you were working on it")
    for key, value in changed.items():
        set_committed_value(hazard, key, value)
    set_committed_value(hazard, "version", hazard.version + 1)
    entry.id, entry.hazard_id = written
    _as_written(entry)
    make_transient_to_detached(entry)  # as if loaded: the session holds it, with nothing to flush
    session.add(entry)


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
    new_entry = _inserting_from(HazardEvent, "entry", entry_columns, ("id", "hazard_id"),
                                hazard_id=moved.c.id).cte("new_entry")
    return select(new_entry.c.id, new_entry.c.hazard_id)


# ---- attachments ------------------------------------------------------------------

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


# ---- the overdue audit -------------------------------------------------------------

@dataclass
class EnterpriseOverdue:
    enterprise_id: int
    code: str
    name: str
    overdue_count: int
    major_overdue_count: int
    oldest_days_overdue: int


def overdue_audit(session: Session, viewer: User, today: date, limit: int = 500
                  ) -> tuple[list[EnterpriseOverdue], list[Hazard]]:
    """Overdue hazards in the viewer's scope, enterprises and items most overdue first.
    Workers may not read it (permissions.may_read_overdue): the API and the page alike."""
    if not permissions.may_read_overdue(viewer):
        raise Forbidden("逾期督办仅限监督检查员、管理员和本企业安全管理人员 / inspectors, admins and the "
                        "enterprise's safety officers only")
    overdue = (Hazard.is_overdue(today), permissions.hazard_clause(session, viewer))
    major = func.sum(case((Hazard.grade == Grade.MAJOR, 1), else_=0))
    rows = session.execute(
        select(Enterprise.id, Enterprise.code, Enterprise.name, func.count(Hazard.id), major,
               func.max(Hazard.days_overdue(today)))
        .join(Hazard, Hazard.enterprise_id == Enterprise.id)
        .where(*overdue)
        .group_by(Enterprise.id, Enterprise.code, Enterprise.name)
    ).all()
    enterprises = [
        EnterpriseOverdue(eid, code, name, count, int(majors or 0), int(oldest))
        for eid, code, name, count, majors, oldest in rows
    ]
    # ranked by how much is overdue, then how long, then how serious
    enterprises.sort(key=lambda e: (-e.overdue_count, -e.oldest_days_overdue, -e.major_overdue_count, e.code))
    items = list(session.scalars(
        select(Hazard).where(*overdue)
        .order_by(Hazard.deadline.asc(), (Hazard.grade == Grade.MAJOR).desc(), Hazard.id).limit(limit)
    ))
    return enterprises, items

