"""Operations on awards: proposed when a worker's or a public report is confirmed,
approved, paid or rejected by inspectors, claimed by anonymous reporters with their
receipt, lapsed when not claimed in time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import IO, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select, true, update
from sqlalchemy.orm import Session, joinedload

from hazard_ledger import permissions
from hazard_ledger.clock import local_today
from hazard_ledger.enums import ReportChannel
from hazard_ledger.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.notifications.operations import notify
from hazard_ledger.organisations import tree
from hazard_ledger.organisations.models import Enterprise, Jurisdiction, User
from hazard_ledger.rewards.engine import AssessmentRefused, Facts, assess
from hazard_ledger.rewards.models import Award, AwardStatus
from hazard_ledger.rewards.profiles import profile_for, profile_named
from hazard_ledger.tabular import Column, write_table

COUNTING = (AwardStatus.PROPOSED, AwardStatus.APPROVED, AwardStatus.PAID)  # what counts against caps and budgets
PAYABLE = (AwardStatus.APPROVED, AwardStatus.PAID)  # what the finance office pays or has paid
UNDECIDED_OR_APPROVED = (AwardStatus.PROPOSED, AwardStatus.APPROVED)  # what may still be rejected, claimed or lapse


def _top_jurisdiction(session: Session, enterprise: Enterprise) -> int:
    return tree.ancestors(session, enterprise.jurisdiction_id)[-1]


def _month_so_far(session: Session, reporter_key: str | None, month: str, excluding: int | None = None) -> Decimal:
    if reporter_key is None:
        return Decimal("0")
    return session.scalar(select(func.coalesce(func.sum(Award.amount), 0)).where(
        Award.reporter_key == reporter_key, Award.month == month, Award.status.in_(COUNTING),
        Award.id != excluding if excluding is not None else true())) or Decimal("0")


def _budget_used(session: Session, top_jurisdiction_id: int, year: int, statuses=COUNTING,
                 excluding: int | None = None) -> Decimal:
    return session.scalar(select(func.coalesce(func.sum(Award.amount), 0)).where(
        Award.top_jurisdiction_id == top_jurisdiction_id, Award.year == year, Award.status.in_(statuses),
        Award.id != excluding if excluding is not None else true())) or Decimal("0")


def _facts(session: Session, hazard: Hazard, reporter: User | None, *, reporter_key: str | None, month: str,
           top_jurisdiction_id: int, year: int, excluding: int | None = None, **review) -> Facts:
    """What the engine judges: the report's facts as they stand, the reporter's month and
    the budget's year without the award under review itself, and the reviewer's choice."""
    return Facts(grade=hazard.grade.value, reporter_role=reporter.role.value if reporter else None,
                 own_unit=reporter is not None and reporter.enterprise_id == hazard.enterprise_id, duplicate=False,
                 month_so_far=_month_so_far(session, reporter_key, month, excluding),
                 budget_used=_budget_used(session, top_jurisdiction_id, year, excluding=excluding), **review)


def propose_award(session: Session, hazard: Hazard, now: datetime, zone: ZoneInfo) -> Award | None:
    """On confirmation (`assign`): an award for a worker's or a public report."""
    reporter = session.get(User, hazard.reporter_user_id) if hazard.reporter_user_id else None
    if hazard.channel is ReportChannel.IMPORT:
        return None
    if hazard.channel is ReportChannel.LOGIN and not permissions.reports_earn_awards(reporter):
        return None  # only workers' reports earn: a safety officer's own report earns nothing
    profile = profile_for(hazard.reported_at.astimezone(zone).date())
    own_staff = reporter is not None and reporter.enterprise_id == hazard.enterprise_id
    if hazard.source == "inspection" and own_staff and not profile.inspection_findings_earn:
        return None  # a failed check of the enterprise's own planned inspection: their duty, not a tip-off
    today = local_today(now, zone)
    enterprise = session.get(Enterprise, hazard.enterprise_id)
    top = _top_jurisdiction(session, enterprise)
    if reporter is not None:
        key = f"user:{reporter.id}"
    elif hazard.reporter_phone:
        key = f"phone:{''.join(ch for ch in hazard.reporter_phone if ch.isdigit())}"
    else:
        key = None
    month = today.strftime("%Y-%m")
    result = assess(_facts(session, hazard, reporter, reporter_key=key, month=month, top_jurisdiction_id=top,
                           year=today.year), profile)
    award = Award(hazard_id=hazard.id, enterprise_id=hazard.enterprise_id, top_jurisdiction_id=top,
                  reporter_user_id=reporter.id if reporter else None, reporter_key=key, year=today.year, month=month,
                  profile=profile.name, amount=result.amount, explanation=result.lines, status=AwardStatus.PROPOSED,
                  anonymous=hazard.anonymous, proposed_at=now,
                  claim_deadline=today + timedelta(days=profile.claim_days) if hazard.anonymous else None)
    session.add(award)
    session.flush()
    return award


# ---- reading ----------------------------------------------------------------------------

def _award_clause(session: Session, viewer: User) -> ColumnElement[bool]:
    """Filter on Award for what `viewer` may see."""
    clause = permissions.award_clause(session, viewer)
    if clause is not None:
        return clause
    # safety officers never see who reported what, nor what they earned
    raise Forbidden("奖励信息仅限举报人、监督检查员和管理员查看 / rewards are for reporters, inspectors and admins")


def _scope(session: Session, viewer: User):
    return select(Award).where(_award_clause(session, viewer))


def list_awards(session: Session, viewer: User, year: int | None = None, status: str | None = None,
                enterprise_id: int | None = None) -> list[Award]:
    """The awards `viewer` may see, newest first, filtered by the database (the rewards
    page's filters and the API's); each with its hazard and enterprise loaded."""
    query = _scope(session, viewer).options(joinedload(Award.hazard).joinedload(Hazard.enterprise))
    if year:
        query = query.where(Award.year == year)
    if status:
        query = query.where(Award.status == status)
    if enterprise_id:
        query = query.where(Award.enterprise_id == enterprise_id)
    return list(session.scalars(query.order_by(Award.id.desc()).limit(1000)))


@dataclass(frozen=True)
class Budget:
    """A top jurisdiction's award budget for a year, as the engine reckons it: proposals
    count against it too, since approving them may use it."""
    jurisdiction: Jurisdiction
    year: int
    budget: Decimal  # the profile's annual budget; 0: none
    committed: Decimal  # approved and paid
    proposed: Decimal  # waiting for a decision

    @property
    def left(self) -> Decimal:
        return self.budget - self.committed - self.proposed


def budgets_of_year(session: Session, viewer: User, year: int, today: date) -> list[Budget]:
    """The year's budget of each top jurisdiction whose awards `viewer` decides: an
    inspector's own union's, every union's for an admin. The profile is the one in force
    on the year's last day that has come (today within the year)."""
    if not permissions.may_decide_awards(viewer):
        raise Forbidden("仅监督检查员和管理员可查看预算 / inspectors and admins only")
    if viewer.jurisdiction_id is not None:
        tops = [tree.ancestors(session, viewer.jurisdiction_id)[-1]]
    else:
        tops = list(session.scalars(select(Jurisdiction.id).where(Jurisdiction.parent_id.is_(None))
                                    .order_by(Jurisdiction.id)))
    profile = profile_for(min(max(today, date(year, 1, 1)), date(year, 12, 31)))
    sums = {(top, status): total for top, status, total in session.execute(
        select(Award.top_jurisdiction_id, Award.status, func.sum(Award.amount))
        .where(Award.top_jurisdiction_id.in_(tops), Award.year == year, Award.status.in_(COUNTING))
        .group_by(Award.top_jurisdiction_id, Award.status))}
    return [Budget(session.get(Jurisdiction, top), year, profile.annual_budget,
                   committed=sum((Decimal(sums.get((top, status), 0)) for status in PAYABLE), Decimal("0")),
                   proposed=Decimal(sums.get((top, AwardStatus.PROPOSED), 0)))
            for top in tops]


def visible_award(session: Session, viewer: User, award_id: int) -> Award:
    award = session.scalar(_scope(session, viewer).where(Award.id == award_id))
    if award is None:
        raise NotFound("奖励不存在 / no such award")
    return award


def reporter_of(award: Award, viewer: User) -> dict | None:
    """Who is paid: the worker's account, or the claim. Inspectors and admins only."""
    if not permissions.may_decide_awards(viewer):
        return None
    hazard = award.hazard
    return {"user_id": award.reporter_user_id,
            "name": award.claim_name or (hazard.reporter.display_name if hazard.reporter else hazard.reporter_name),
            "phone": award.claim_phone or hazard.reporter_phone, "payout_account": award.claim_account}


# ---- deciding ----------------------------------------------------------------------------

def _decider(session: Session, actor: User, award_id: int) -> Award:
    if not permissions.may_decide_awards(actor):
        raise Forbidden("仅监督检查员和管理员可审批奖励 / inspectors and admins only")
    return visible_award(session, actor, award_id)


def _tell_reporter(session: Session, award: Award, kind_word: str, now: datetime) -> None:
    if award.reporter_user_id:
        notify(session, kind="reward", recipient_id=award.reporter_user_id, hazard_id=award.hazard_id, now=now,
               dedup_key=f"reward:{award.id}:{award.status}",
               message=f"【隐患举报奖励】您举报的隐患 {award.hazard.code} 的奖励 {award.amount} 元{kind_word}。")


def approve_award(session: Session, actor: User, award_id: int, now: datetime, zone: ZoneInfo,
                  amount: Decimal | None = None, reason: str | None = None, tier: str | None = None) -> Award:
    """Approve a proposed award. The engine decides the amount again, with the reviewer's
    consequence `tier` or adjusted `amount` (which needs a `reason`): the profile's
    bonus, monthly cap and budget apply to whatever the reviewer chose."""
    award = _decider(session, actor, award_id)
    if award.status is not AwardStatus.PROPOSED:
        raise Conflict(f"奖励状态为 {award.status}，不能批准 / an award {award.status} cannot be approved")
    if amount is not None and not reason:
        raise ValidationFailed.on("reason", "调整金额须说明理由 / an adjusted amount needs a reason")
    profile = profile_named(award.profile)
    reporter = session.get(User, award.reporter_user_id) if award.reporter_user_id else None
    facts = _facts(session, award.hazard, reporter, reporter_key=award.reporter_key, month=award.month,
                   top_jurisdiction_id=award.top_jurisdiction_id, year=award.year, excluding=award.id,
                   adjusted_amount=amount, adjustment_reason=reason, tier=tier)
    try:
        result = assess(facts, profile, approving=True)
    except AssessmentRefused as refused:
        raise ValidationFailed.on(refused.field, refused.message) from None
    # the engine's budget counts proposals too, so this holds unless two approvals race
    committed = _budget_used(session, award.top_jurisdiction_id, award.year, statuses=PAYABLE,
                             excluding=award.id)
    if profile.annual_budget and committed + result.amount > profile.annual_budget:
        raise Conflict(f"超出年度奖励预算（已批准 {committed} 元，预算 {profile.annual_budget} 元）"
                       f"/ approving would pass the annual budget")
    award.amount, award.explanation = result.amount, [list(line) for line in result.lines]
    award.status, award.approved_at, award.decided_by_user_id = AwardStatus.APPROVED, now, actor.id
    session.flush()
    _tell_reporter(session, award, "已批准", now)
    return award


def approve_awards(session: Session, actor: User, award_ids: list[int], now: datetime,
                   zone: ZoneInfo) -> dict[int, str]:
    """Approve several proposed awards, each through `approve_award` in the order given
    (each one's budget sees the ones before it). Answers the failures: {award id: the
    bilingual message}. Each failure's own partial write is undone by its savepoint; the
    caller discards the whole unit of work when anything failed, so all or none stand."""
    failures: dict[int, str] = {}
    for award_id in dict.fromkeys(award_ids):  # a repeated id once
        try:
            with session.begin_nested():
                approve_award(session, actor, award_id, now, zone)
        except DomainError as error:
            failures[award_id] = error.problem
    return failures


def pay_award(session: Session, actor: User, award_id: int, paid_on: date, reference: str, now: datetime,
              zone: ZoneInfo) -> Award:
    award = _decider(session, actor, award_id)
    if award.status is not AwardStatus.APPROVED:
        raise Conflict(f"奖励状态为 {award.status}，不能发放 / only an approved award can be paid")
    if award.anonymous and award.claimed_at is None:
        raise Conflict("匿名举报人尚未凭回执领取 / the anonymous reporter has not claimed it yet")
    if paid_on > local_today(now, zone):
        raise ValidationFailed.on("paid_on", "发放日期不能晚于今天 / cannot be in the future")
    award.status, award.paid_at, award.paid_on, award.payment_reference = AwardStatus.PAID, now, paid_on, reference
    session.flush()
    _tell_reporter(session, award, "已发放", now)
    return award


def reject_award(session: Session, actor: User, award_id: int, reason: str, now: datetime) -> Award:
    award = _decider(session, actor, award_id)
    if award.status not in UNDECIDED_OR_APPROVED:
        raise Conflict(f"奖励状态为 {award.status}，不能驳回 / an award {award.status} cannot be rejected")
    award.status, award.rejected_reason, award.decided_by_user_id = AwardStatus.REJECTED, reason, actor.id
    session.flush()
    return award


# ---- the anonymous reporter's side ----------------------------------------------------------

def claim_award(session: Session, hazard: Hazard, name: str, phone: str, account: str, now: datetime,
                zone: ZoneInfo) -> Award:
    award = session.scalar(select(Award).where(Award.hazard_id == hazard.id))
    if award is None:
        raise NotFound("该举报暂无奖励 / no award for this report (yet)")
    if award.status in (AwardStatus.REJECTED, AwardStatus.LAPSED) or award.claimed_at is not None:
        raise Conflict("奖励已领取、驳回或过期 / the award was claimed, rejected or has lapsed")
    if award.claim_deadline and local_today(now, zone) > award.claim_deadline:
        raise Conflict(f"领取期限 {award.claim_deadline} 已过 / the claim window closed on {award.claim_deadline}")
    # The read above decides nothing on its own: twenty claims may all have read "not
    # claimed yet". The UPDATE claims only a row still unclaimed and claimable; on
    # PostgreSQL a concurrent claim waits for the winner's row lock, then finds the row
    # claimed and changes nothing (SQLite runs writers one at a time anyway).
    claimed = session.execute(
        update(Award)
        .where(Award.id == award.id, Award.claimed_at.is_(None), Award.status.in_(UNDECIDED_OR_APPROVED))
        .values(claim_name=name, claim_phone=phone, claim_account=account, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise Conflict("奖励已领取、驳回或过期 / the award was claimed, rejected or has lapsed")
    session.refresh(award)
    return award


def receipt_reward(session: Session, hazard: Hazard) -> dict | None:
    award = session.scalar(select(Award).where(Award.hazard_id == hazard.id))
    if award is None:
        return None
    return {"amount": f"{award.amount:.2f}", "status": award.status, "claimed": award.claimed_at is not None,
            "claim_deadline": award.claim_deadline.isoformat() if award.claim_deadline else None}


def lapse_unclaimed(session: Session, now: datetime, settings) -> str:
    """The `rewards` job: anonymous awards not claimed within the window lapse."""
    today = local_today(now, settings.timezone)
    lapsed = 0
    for award in session.scalars(select(Award).where(Award.anonymous.is_(True), Award.claimed_at.is_(None),
                                                     Award.status.in_(UNDECIDED_OR_APPROVED),
                                                     Award.claim_deadline < today)):
        award.status, award.lapsed_at = AwardStatus.LAPSED, now
        lapsed += 1
    session.flush()
    return f"lapsed {lapsed}"


# ---- the finance office ---------------------------------------------------------------------

FINANCE_COLUMNS = [Column("序号", 6, "integer"), Column("隐患编号", 16), Column("企业编号", 10), Column("月份", 9),
                   Column("金额（元）", 12, "number"), Column("状态", 8), Column("领款人", 12), Column("电话", 14),
                   Column("收款账户", 22), Column("发放日期", 12, "date"), Column("凭证号", 16)]
STATUS_WORDS = {AwardStatus.APPROVED: "已批准", AwardStatus.PAID: "已发放"}
BATCH = 1000


def summary(session: Session, viewer: User, year: int) -> list[dict]:
    """Awards of a year by enterprise and month (approved and paid, in CNY), summed by
    the database over every award, however many."""
    rows = session.execute(
        select(Award.enterprise_id, Award.month, func.count(Award.id), func.sum(Award.amount))
        .where(_award_clause(session, viewer), Award.year == year, Award.status.in_(PAYABLE))
        .group_by(Award.enterprise_id, Award.month)
        .order_by(Award.enterprise_id, Award.month)
    ).all()
    return [{"enterprise_id": eid, "month": month, "count": count, "amount": f"{Decimal(total):.2f}"}
            for eid, month, count, total in rows]


def finance_rows(session: Session, viewer: User, year: int) -> Iterator[list]:
    """Every approved and paid award of a year, oldest first, one batch in memory at a time."""
    query = (select(Award, Enterprise.code).join(Enterprise, Enterprise.id == Award.enterprise_id)
             .where(_award_clause(session, viewer), Award.year == year, Award.status.in_(PAYABLE))
             .options(joinedload(Award.hazard).joinedload(Hazard.reporter)))
    last_id, number = 0, 0
    while True:
        batch = session.execute(query.where(Award.id > last_id).order_by(Award.id).limit(BATCH)).all()
        if not batch:
            return
        for award, enterprise_code in batch:
            number += 1
            reporter = reporter_of(award, viewer) or {}
            yield [number, award.hazard.code, enterprise_code, award.month, award.amount, STATUS_WORDS[award.status],
                   reporter.get("name"), reporter.get("phone"), reporter.get("payout_account"), award.paid_on,
                   award.payment_reference]
        last_id = batch[-1][0].id
        for award, _code in batch:  # keep memory flat however many awards (reporters are few, and stay)
            session.expunge(award.hazard)
            session.expunge(award)


def write_finance_export(session: Session, viewer: User, year: int, target: str | IO[bytes], fmt: str) -> None:
    """The finance office's list of a year's awards, as .xlsx or .csv, streamed row by row."""
    write_table(target, fmt, FINANCE_COLUMNS, finance_rows(session, viewer, year), title=f"{year}年隐患举报奖励")
