"""The statutory statistics of an enterprise's hazard work (原安监总局令第16号): what was
found in a quarter or a year, by grade, how much was rectified, what is overdue, and
every major hazard still open with its 五落实 items. Quarterly reports are due by the
15th of the next quarter's first month, annual ones by 31 January."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import IO
from zoneinfo import ZoneInfo

from openpyxl.styles import Alignment, Font
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hazard_ledger import permissions
from hazard_ledger.enums import Grade, HazardState
from hazard_ledger.errors import ValidationFailed
from hazard_ledger.hazards.models import Hazard, days_overdue, overdue_as_of
from hazard_ledger.notifications.operations import notify
from hazard_ledger.organisations.models import Enterprise, User
from hazard_ledger.paperwork.models import StatisticsReport
from hazard_ledger.tabular import Sheet

PERIOD = re.compile(r"^(\d{4})(?:Q([1-4]))?$")


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None  # None: the whole year

    @classmethod
    def parse(cls, text: str) -> "Period":
        match = PERIOD.match(text.strip().upper())
        if not match or not 2000 <= int(match.group(1)) <= 2999:
            raise ValidationFailed.on("period", "须形如 2026Q3 或 2026 / like 2026Q3 or 2026")
        return cls(int(match.group(1)), int(match.group(2)) if match.group(2) else None)

    def __str__(self) -> str:
        return f"{self.year}Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def first_day(self) -> date:
        return date(self.year, 1 if self.quarter is None else 3 * self.quarter - 2, 1)

    @property
    def last_day(self) -> date:
        if self.quarter is None or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    @property
    def filing_deadline(self) -> date:
        """下一季度15日前; the annual report by 31 January."""
        if self.quarter is None:
            return date(self.year + 1, 1, 31)
        after = self.last_day + timedelta(days=1)
        return date(after.year, after.month, 15)

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度" if self.quarter else f"{self.year}年度"

    @classmethod
    def quarter_of(cls, day: date) -> "Period":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def previous(self) -> "Period":
        """The period just before: the quarter before a quarter, the year before a year."""
        if self.quarter is None:
            return Period(self.year - 1, None)
        return Period(self.year, self.quarter - 1) if self.quarter > 1 else Period(self.year - 1, 4)

    @classmethod
    def ended_before(cls, day: date) -> list["Period"]:
        """The quarter (and, in January, the year) that ended most recently before `day`."""
        ended = [cls.quarter_of(day).previous]
        if day.month == 1:
            ended.append(cls(day.year - 1, None))
        return ended


@dataclass
class OpenMajor:
    code: str
    location: str
    description: str
    measure: str | None
    responsible_person: str | None
    funds: str | None
    deadline: str | None
    emergency_plan: str | None
    state: str


@dataclass
class Statistics:
    enterprise: str
    enterprise_code: str
    period: str
    period_label: str
    first_day: str
    last_day: str
    filing_deadline: str
    # the day the figures are judged on: the period's last day once it has ended, else
    # today (a running period is stated as it stands, and says so)
    as_of: str = ""
    period_ended: bool = True
    found: int = 0
    general: int = 0
    major: int = 0
    rectified: int = 0
    rectification_rate: float = 0.0
    overdue: int = 0
    open_major: list[OpenMajor] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def as_of_label(self) -> str:
        """截至 2026-12-03（本期未结束） for a running period; empty once it has ended."""
        return "" if self.period_ended else f"截至 {self.as_of}（本期未结束）"


def _start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)


def compute_statistics(session: Session, enterprise: Enterprise, period: Period, zone: ZoneInfo,
                       today: date) -> Statistics:
    """The numbers of one enterprise for one period, judged by the facts at the period's
    end; a period that has not ended yet is judged as of `today`, where "overdue" is
    what the overdue audit calls overdue today, never a deadline still to come."""
    ended = today > period.last_day
    as_of = period.last_day if ended else today
    begin, end = _start(period.first_day, zone), _start(as_of + timedelta(days=1), zone)
    stats = Statistics(enterprise=enterprise.name, enterprise_code=enterprise.code, period=str(period),
                       period_label=period.label, first_day=period.first_day.isoformat(),
                       last_day=period.last_day.isoformat(), filing_deadline=period.filing_deadline.isoformat(),
                       as_of=as_of.isoformat(), period_ended=ended)
    # the four columns the figures need, not whole hazards: a large enterprise's year is
    # thousands of rows
    found = session.execute(select(Hazard.grade, Hazard.completed_on, Hazard.deadline, Hazard.state).where(
        Hazard.enterprise_id == enterprise.id, Hazard.reported_at >= begin, Hazard.reported_at < end,
        Hazard.state != HazardState.REJECTED,
    ))
    for grade, completed_on, deadline, state in found:
        stats.found += 1
        stats.major += grade is Grade.MAJOR
        stats.general += grade is not Grade.MAJOR
        done = completed_on is not None and completed_on <= as_of
        stats.rectified += done
        if ended:  # rebuilt from the dates: overdue on the period's last day
            stats.overdue += overdue_as_of(deadline, completed_on, as_of)
        else:  # as it stands today: the audit's own rule (Hazard.is_overdue)
            stats.overdue += days_overdue(state, deadline, today) > 0
    stats.rectification_rate = round(stats.rectified / stats.found, 4) if stats.found else 0.0
    still_open = session.scalars(select(Hazard).where(
        Hazard.enterprise_id == enterprise.id, Hazard.grade == Grade.MAJOR, Hazard.reported_at < end,
        Hazard.state != HazardState.REJECTED, or_(Hazard.closed_at.is_(None), Hazard.closed_at >= end),
    ).order_by(Hazard.id))
    stats.open_major = [
        OpenMajor(code=h.code, location=h.location, description=h.description, measure=h.measure,
                  responsible_person=h.responsible_person, funds=f"{h.funds:.2f}" if h.funds is not None else None,
                  deadline=h.deadline.isoformat() if h.deadline else None, emergency_plan=h.emergency_plan,
                  state=h.state.value)
        for h in still_open
    ]
    return stats


def write_statistics_xlsx(stats: Statistics, target: str | IO[bytes]) -> None:
    """The statistics as the signed sheet an enterprise files; its text (locations,
    descriptions, measures: anyone's words) is written as text, never as a formula."""
    sheet = Sheet("隐患排查治理统计", (16, 14, 30, 30, 12, 14, 12, 30))
    bold, top = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    sheet.append([f"{stats.enterprise} 事故隐患排查治理情况统计表（{stats.period_label}）"], font=Font(bold=True, size=14))
    sheet.append([f"统计期间：{stats.first_day} 至 {stats.last_day}　报送期限：{stats.filing_deadline} 前"
                  + (f"　{stats.as_of_label}" if stats.as_of_label else "")])
    sheet.append([])
    sheet.append(["排查隐患（项）", "其中一般隐患", "其中重大隐患", "已整改（项）", "整改率", "逾期未整改（项）"], font=bold)
    sheet.append([stats.found, stats.general, stats.major, stats.rectified, stats.rectification_rate, stats.overdue],
                 [None, None, None, None, "0.0%", None])
    sheet.append([])
    sheet.append(["未销号重大隐患（五落实）"], font=bold)
    sheet.append(["隐患编号", "地点", "描述", "治理措施", "责任人", "治理资金（元）", "治理时限", "应急预案"], font=bold)
    for item in stats.open_major:
        sheet.append([item.code, item.location, item.description, item.measure, item.responsible_person,
                      float(Decimal(item.funds)) if item.funds else None, item.deadline, item.emergency_plan],
                     alignment=top)
    if not stats.open_major:
        sheet.append(["（无）"], alignment=top)
    sheet.append([])
    sheet.append(["主要负责人（签字）：____________________　　　日期：________年____月____日"], alignment=top)
    sheet.append(["填报人：____________________　　　联系电话：____________________"], alignment=top)
    sheet.save(target)


# ---- the `statistics` job ------------------------------------------------------------

def file_statistics(session: Session, now: datetime, settings) -> str:
    """Remind safety officers in the 7 days before a filing deadline; store each
    period's report for every enterprise once the period has ended."""
    zone = settings.timezone
    today = now.astimezone(zone).date()
    reminded = stored = 0
    enterprises = list(session.scalars(select(Enterprise).order_by(Enterprise.id)))
    officers: dict[int, list[int]] = {}
    for uid, eid in session.execute(select(User.id, User.enterprise_id).where(permissions.active_officers())):
        officers.setdefault(eid, []).append(uid)
    for period in Period.ended_before(today):
        days_left = (period.filing_deadline - today).days
        for enterprise in enterprises:
            if session.scalar(select(StatisticsReport.id).where(StatisticsReport.enterprise_id == enterprise.id,
                                                                StatisticsReport.period == str(period))) is None:
                stats = compute_statistics(session, enterprise, period, zone, today)
                session.add(StatisticsReport(enterprise_id=enterprise.id, period=str(period), data=stats.as_dict(),
                                             created_at=now))
                stored += 1
            if 0 <= days_left <= 7:
                for user_id in officers.get(enterprise.id, []):
                    reminded += notify(
                        session, kind="statistics_due", recipient_id=user_id, now=now,
                        dedup_key=f"statistics_due:{enterprise.id}:{period}:{user_id}",
                        message=(f"【统计报送提醒】{enterprise.name} {period.label}隐患排查治理情况统计须于 "
                                 f"{period.filing_deadline.isoformat()} 前报送（还剩 {days_left} 天），"
                                 f"请导出统计表并由主要负责人签字。"))
    session.flush()
    return f"reports stored {stored}, reminders {reminded}"


def stored_report(session: Session, enterprise_id: int, period: Period) -> StatisticsReport | None:
    return session.scalar(select(StatisticsReport).where(StatisticsReport.enterprise_id == enterprise_id,
                                                         StatisticsReport.period == str(period)))
