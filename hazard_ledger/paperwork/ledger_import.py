"""Importing an existing ledger: every row is checked first; nothing is imported when
any row is bad. Each good row becomes a hazard in the state its columns show, with one
history entry, `import`, in its hash chain like any other event."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hazard_ledger.enums import Grade, HazardState, ReportChannel
from hazard_ledger.hazards import chain
from hazard_ledger.hazards.models import Hazard, HazardCodeCounter
from hazard_ledger.hazards.operations import next_hazard_code
from hazard_ledger.organisations.models import Enterprise
from hazard_ledger.paperwork.columns import grade_from_word, state_from_word
from hazard_ledger.tabular import ImportRefused, Problem, Row, cell_date, read_table

REQUIRED = ("报告时间", "隐患地点", "隐患描述", "状态")
PLAN = ("整改措施", "整改责任单位", "整改责任人", "整改时限", "安全防护措施")
DONE = ("整改完成情况", "完成时间")
VERIFIED = ("验收意见", "销号时间")
OUR_CODE = re.compile(r"^YH-(\d{4})-(\d{6})$")


def _moment(value: Any, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value.strip()) > 10:
        moment = datetime.fromisoformat(value.strip().replace("/", "-"))
    else:
        day = cell_date(value)
        moment = datetime(day.year, day.month, day.day, 9, 0)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(timezone.utc)


def _text(row: Row, column: str, limit: int) -> str | None:
    value = row.values.get(column)
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > limit:
        raise ValueError(f"超过 {limit} 字 / longer than {limit} characters")
    return text or None


def check_row(row: Row, zone: ZoneInfo, today: date) -> tuple[dict, list[Problem]]:
    """The hazard a row describes, or the problems that stop it."""
    problems: list[Problem] = []
    fields: dict[str, Any] = {}

    def take(column: str, parse, required: bool):
        if row.values.get(column) is None:
            if required:
                problems.append(Problem(row.number, column, "必填 / required"))
            return None
        try:
            return parse(row.values[column])
        except (ValueError, TypeError, InvalidOperation) as error:
            problems.append(Problem(row.number, column, str(error) or "格式不对 / malformed"))
            return None

    state = take("状态", lambda v: state_from_word(str(v).strip()), True)
    planned = state in (HazardState.ASSIGNED, HazardState.RECTIFIED, HazardState.CLOSED)
    fields["state"] = state
    fields["code"] = take("隐患编号", lambda v: _text(row, "隐患编号", 20), False)
    fields["reported_at"] = take("报告时间", lambda v: _moment(v, zone), True)
    if fields["reported_at"] and fields["reported_at"].astimezone(zone).date() > today:
        problems.append(Problem(row.number, "报告时间", "不能晚于今天 / in the future"))
    fields["location"] = take("隐患地点", lambda v: _text(row, "隐患地点", 200), True)
    fields["description"] = take("隐患描述", lambda v: _text(row, "隐患描述", 4000), True)
    fields["category"] = take("隐患类别", lambda v: _text(row, "隐患类别", 50), False)
    fields["grade"] = take("隐患等级", lambda v: grade_from_word(str(v).strip()), planned)
    fields["measure"] = take("整改措施", lambda v: _text(row, "整改措施", 4000), planned)
    fields["responsible_unit"] = take("整改责任单位", lambda v: _text(row, "整改责任单位", 200), planned)
    fields["responsible_person"] = take("整改责任人", lambda v: _text(row, "整改责任人", 100), planned)
    fields["deadline"] = take("整改时限", cell_date, planned)
    fields["protective_measures"] = take("安全防护措施", lambda v: _text(row, "安全防护措施", 4000), planned)
    finished = state in (HazardState.RECTIFIED, HazardState.CLOSED)
    fields["rectification_note"] = take("整改完成情况", lambda v: _text(row, "整改完成情况", 4000), finished)
    fields["completed_on"] = take("完成时间", cell_date, finished)
    fields["verification_note"] = take("验收意见", lambda v: _text(row, "验收意见", 4000), state is HazardState.CLOSED)
    fields["closed_at"] = take("销号时间", lambda v: _moment(v, zone), state is HazardState.CLOSED)
    major = planned and fields["grade"] is Grade.MAJOR
    fields["funds"] = take("治理资金（元）", lambda v: _money(v), major)
    fields["emergency_plan"] = take("应急预案", lambda v: _text(row, "应急预案", 4000), major)
    return fields, problems


def _money(value: Any) -> Decimal:
    amount = Decimal(str(value).replace(",", "").strip())
    if amount < 0 or amount > 10**12:
        raise ValueError("须为非负金额 / must be a sum of money, not negative")
    return amount.quantize(Decimal("0.01"))


def import_ledger(session: Session, enterprise: Enterprise, path: Path | str, now: datetime, zone: ZoneInfo) -> list[Hazard]:
    """Check every row, then import them all, or raise ImportRefused and import nothing."""
    table = read_table(path)
    missing = [column for column in REQUIRED if column not in table.headers]
    if missing:
        raise ImportRefused([Problem(1, column, "缺少此列 / column missing") for column in missing])
    today = now.astimezone(zone).date()
    checked, problems = [], []
    codes_seen: set[str] = set()
    for row in table.rows:
        fields, row_problems = check_row(row, zone, today)
        code = fields.get("code")
        if code and code in codes_seen:
            row_problems.append(Problem(row.number, "隐患编号", f"文件内编号重复 / code {code} appears twice"))
        codes_seen.add(code)
        problems.extend(row_problems)
        checked.append((row, fields))
    if not table.rows:
        problems.append(Problem(2, "-", "没有数据行 / no rows"))
    if problems:
        raise ImportRefused(problems)
    return [_create(session, enterprise, row, fields, now, zone) for row, fields in checked]


def _create(session: Session, enterprise: Enterprise, row: Row, fields: dict, now: datetime, zone: ZoneInfo) -> Hazard:
    original = fields.pop("code")
    if original and session.scalar(select(Hazard.id).where(Hazard.code == original)) is None:
        code = original
        _reserve(session, code)
    else:  # a ledger's own numbers may clash with the codes here: keep the old one in the history
        code = next_hazard_code(session, fields["reported_at"].astimezone(zone).year)
    state = fields.pop("state")
    hazard = Hazard(code=code, enterprise_id=enterprise.id, state=state, channel=ReportChannel.IMPORT, anonymous=False,
                    chain_head=chain.GENESIS, history_length=0, **fields)
    if state in (HazardState.RECTIFIED, HazardState.CLOSED):
        hazard.rectified_at = fields["closed_at"] or now
    if state is HazardState.ASSIGNED:
        hazard.last_progress_at = now
    session.add(hazard)
    chain.append(hazard, event="import", from_state=None, to_state=state.value, actor_user_id=None,
                 actor_label="导入 / import", at=now,
                 data=chain.json_safe({"row": row.number, "original_code": original, **fields}))
    session.flush()
    return hazard


def _reserve(session: Session, code: str) -> None:
    """An imported code of our own form moves that year's counter past it."""
    match = OUR_CODE.match(code)
    if not match:
        return
    year, number = int(match.group(1)), int(match.group(2))
    counter = session.get(HazardCodeCounter, year)
    if counter is None:
        session.add(HazardCodeCounter(year=year, last_value=number))
    elif counter.last_value < number:
        counter.last_value = number
    session.flush()
