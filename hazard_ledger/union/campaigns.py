"""The year's campaigns of a union (查保促, 安康杯竞赛): enrolment and its coverage over
the union's subtree (the goal is every unionized enterprise: 全覆盖), the scoring sheet's
automatic items from the facts within the campaign's dates, the inspectors' items,
and the honours (先进集体, 先进个人). Operations flush and never commit."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from hazard_ledger import permissions
from hazard_ledger.compliance.operations import check as check_compliance
from hazard_ledger.config import Settings
from hazard_ledger.enums import Grade, HazardState, ReportChannel
from hazard_ledger.errors import Forbidden, NotFound, ValidationFailed
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.organisations import tree
from hazard_ledger.organisations.models import Enterprise, Jurisdiction, User
from hazard_ledger.rewards.models import Award
from hazard_ledger.tabular import Column
from hazard_ledger.union.models import Campaign, CampaignKind, Enrollment, Honour, InspectorScore
from hazard_ledger.union.scoring import CENT, Facts, Scored, Sheet, score_sheet, sheets_of

KIND_WORDS = {CampaignKind.CHA_BAO_CU: "查保促", CampaignKind.ANKANG_CUP: "安康杯竞赛"}


# ---- creating and reading ----------------------------------------------------------------

@dataclass
class NewCampaign:
    jurisdiction_id: int
    year: int
    kind: str
    title: str
    theme: str
    focus: list[str]
    starts_on: date
    ends_on: date
    scoring: str | None = None


def create_campaign(session: Session, actor: User, new: NewCampaign, now: datetime, settings: Settings) -> Campaign:
    """A city or county union's campaign of the year, for its own subtree."""
    jurisdiction = session.scalar(select(Jurisdiction).where(Jurisdiction.id == new.jurisdiction_id,
                                                             permissions.jurisdiction_clause(session, actor)))
    if jurisdiction is None:
        raise ValidationFailed.on("jurisdiction_id", "工会组织不存在或不在您的范围内 / no such jurisdiction in your scope")
    if not permissions.may_create_campaign(session, actor, jurisdiction):
        raise Forbidden("仅市、县级工会为本级创建活动 / a city or county union creates its own campaigns")
    if new.kind not in {k.value for k in CampaignKind}:
        raise ValidationFailed.on("kind", "须为 cha_bao_cu 或 ankang_cup / cha_bao_cu or ankang_cup")
    if not 2000 <= new.year <= 2999:
        raise ValidationFailed.on("year", "年度须在 2000 至 2999 之间 / a year between 2000 and 2999")
    if new.starts_on > new.ends_on:
        raise ValidationFailed.on("ends_on", "结束日期不能早于开始日期 / cannot be before starts_on")
    if new.starts_on.year != new.year:
        raise ValidationFailed.on("starts_on", "须在活动年度内 / must fall in the campaign's year")
    scoring = new.scoring or settings["campaigns"]["default_sheet"]
    if scoring not in sheets_of(settings):
        raise ValidationFailed.on("scoring", f"没有该评分表 / no scoring sheet {scoring!r}; one of "
                                             f"{', '.join(sorted(sheets_of(settings)))}")
    campaign = Campaign(jurisdiction_id=jurisdiction.id, year=new.year, kind=CampaignKind(new.kind), title=new.title,
                        theme=new.theme, focus=list(new.focus), starts_on=new.starts_on, ends_on=new.ends_on,
                        scoring=scoring, created_by_user_id=actor.id, created_at=now)
    session.add(campaign)
    session.flush()
    return campaign


def list_campaigns(session: Session, viewer: User, year: int | None = None) -> list[Campaign]:
    query = select(Campaign)
    if year is not None:
        query = query.where(Campaign.year == year)
    return [c for c in session.scalars(query.order_by(Campaign.year.desc(), Campaign.id.desc()))
            if permissions.may_see_campaign(session, viewer, c)]


def visible_campaign(session: Session, viewer: User, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or not permissions.may_see_campaign(session, viewer, campaign):
        raise NotFound("活动不存在 / no such campaign")
    return campaign


def _running(session: Session, viewer: User, campaign_id: int) -> Campaign:
    campaign = visible_campaign(session, viewer, campaign_id)
    if not permissions.may_run_campaign(session, viewer, campaign):
        raise Forbidden("仅活动主办工会及上级工会 / the campaign's union and those above it only")
    return campaign


def sheet_of(campaign: Campaign, settings: Settings) -> Sheet:
    return sheets_of(settings)[campaign.scoring]


# ---- enrolment and coverage ----------------------------------------------------------------

def enrol(session: Session, actor: User, campaign_id: int, enterprise_ids: list[int], now: datetime) -> list[int]:
    """Enrol enterprises of the campaign's subtree: inspectors and admins any they oversee,
    a safety officer their own. Enrolling twice changes nothing. Answers every enrolled id."""
    campaign = visible_campaign(session, actor, campaign_id)
    subtree = set(tree.subtree(session, campaign.jurisdiction_id))
    wanted = sorted(set(enterprise_ids))
    if not wanted:
        raise ValidationFailed.on("enterprise_ids", "至少一个企业 / at least one enterprise")
    found = {e.id: e for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(wanted)))}
    outside = [eid for eid in wanted if eid not in found or found[eid].jurisdiction_id not in subtree]
    if outside:
        raise ValidationFailed.on("enterprise_ids", f"不在本活动范围内的企业 / outside the campaign's subtree: "
                                                    f"{', '.join(map(str, outside[:20]))}")
    refused = [eid for eid in wanted if not permissions.may_enrol(session, actor, found[eid])]
    if refused:
        raise Forbidden("只能为本企业或所辖企业报名 / you may enrol your own or overseen enterprises only")
    already = set(session.scalars(select(Enrollment.enterprise_id).where(Enrollment.campaign_id == campaign.id)))
    session.add_all(Enrollment(campaign_id=campaign.id, enterprise_id=eid, enrolled_by_user_id=actor.id,
                               enrolled_at=now) for eid in wanted if eid not in already)
    session.flush()
    return sorted(already | set(wanted))


def enrolled_ids(session: Session, campaign: Campaign) -> list[int]:
    return list(session.scalars(select(Enrollment.enterprise_id).where(Enrollment.campaign_id == campaign.id)
                                .order_by(Enrollment.enterprise_id)))


def coverage(session: Session, viewer: User, campaign_id: int) -> dict:
    """Each union of the campaign's subtree: its unionized enterprises (its own subtree's),
    how many are enrolled, and the share; the worst first."""
    campaign = _running(session, viewer, campaign_id)
    subtree = tree.subtree(session, campaign.jurisdiction_id)
    enrolled = set(enrolled_ids(session, campaign))
    unions = {j.id: j for j in session.scalars(select(Jurisdiction).where(Jurisdiction.id.in_(subtree)))}
    unionized = defaultdict(list)
    for eid, jid in session.execute(select(Enterprise.id, Enterprise.jurisdiction_id).where(
            Enterprise.jurisdiction_id.in_(subtree), Enterprise.unionized.is_(True))):
        unionized[jid].append(eid)
    rows = []
    subtrees = tree.subtrees(session)  # one walk for every union, not one each
    for jid, union in unions.items():
        below = [eid for j in subtrees.get(jid, ()) for eid in unionized[j]]
        count = sum(1 for eid in below if eid in enrolled)
        rows.append({"jurisdiction_id": jid, "code": union.code, "name": union.name, "unionized_enterprises": len(below),
                     "enrolled": count, "share": round(count / len(below), 4) if below else None})
    rows.sort(key=lambda r: (r["share"] is None, r["share"] if r["share"] is not None else 0, r["code"]))
    return {"campaign_id": campaign.id, "jurisdictions": rows}


# ---- the facts and the scores ----------------------------------------------------------------

def _local_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)


def gather_facts(session: Session, campaign: Campaign, enterprise_ids: list[int], today: date,
                 settings: Settings) -> dict[int, Facts]:
    """Each enterprise's facts within the campaign's dates (up to today when it runs)."""
    if not enterprise_ids:
        return {}
    zone = settings.timezone
    first, last = campaign.starts_on, min(campaign.ends_on, today)
    start, end = _local_start(first, zone), _local_start(campaign.ends_on + timedelta(days=1), zone)
    ids = list(enterprise_ids)
    reports = dict(session.execute(
        select(Hazard.enterprise_id, func.count(Hazard.id)).where(
            Hazard.enterprise_id.in_(ids), Hazard.reported_at >= start, Hazard.reported_at < end,
            Hazard.state != HazardState.REJECTED, Hazard.channel != ReportChannel.IMPORT)
        .group_by(Hazard.enterprise_id)).all())
    fell_due = and_(Hazard.enterprise_id.in_(ids), Hazard.deadline >= first, Hazard.deadline <= last,
                    Hazard.state.in_([HazardState.ASSIGNED, HazardState.RECTIFIED, HazardState.CLOSED]))
    due, on_time = defaultdict(int), defaultdict(int)
    for eid, deadline, completed_on in session.execute(
            select(Hazard.enterprise_id, Hazard.deadline, Hazard.completed_on).where(fell_due)):
        if deadline < today or (completed_on is not None and completed_on <= deadline):
            due[eid] += 1  # a deadline of today still has the day to be met
            on_time[eid] += completed_on is not None and completed_on <= deadline
    majors = defaultdict(list)
    for eid, code in session.execute(
            select(Hazard.enterprise_id, Hazard.code).where(
                fell_due, Hazard.grade == Grade.MAJOR,  # overdue now, or rectified after its deadline
                or_(Hazard.is_overdue(today), Hazard.completed_on > Hazard.deadline)).order_by(Hazard.code)):
        majors[eid].append(code)
    paid = {eid: (count, amount) for eid, count, amount in session.execute(
        select(Award.enterprise_id, func.count(Award.id), func.coalesce(func.sum(Award.amount), 0)).where(
            Award.enterprise_id.in_(ids), Award.status == "paid", Award.paid_on >= first, Award.paid_on <= last)
        .group_by(Award.enterprise_id))}
    trained, drills = defaultdict(dict), defaultdict(dict)
    config = settings["compliance"]
    for profile in ("union", "statutory"):
        for row in check_compliance(session, None, campaign.year, profile, config)["enterprises"]:
            if row["enterprise_id"] in enterprise_ids:
                trained[row["enterprise_id"]][profile] = (row["training"]["employees"], row["training"]["trained"])
                drills[row["enterprise_id"]][profile] = (row["drills"]["required"], row["drills"]["held"],
                                                         tuple(row["drills"]["missing"]))
    return {eid: Facts(employees=trained[eid].get("union", (0, 0))[0], reports=reports.get(eid, 0), due=due[eid],
                       on_time=on_time[eid], majors_overdue=tuple(majors[eid]), trained=trained[eid],
                       drills=drills[eid], rewards_paid=paid.get(eid, (0, 0))[0],
                       rewards_amount=Decimal(paid.get(eid, (0, 0))[1]).quantize(CENT))
            for eid in ids}


@dataclass
class EnterpriseScore:
    enterprise: Enterprise
    items: list[Scored]
    total: Decimal
    passed: bool


def _inspector_scores(session: Session, campaign: Campaign) -> dict[int, dict[str, tuple[Decimal, str | None]]]:
    found = defaultdict(dict)
    for score in session.scalars(select(InspectorScore).where(InspectorScore.campaign_id == campaign.id)):
        found[score.enterprise_id][score.item_key] = (score.points, score.note)
    return found


def compute_scores(session: Session, viewer: User, campaign_id: int, today: date, settings: Settings,
                   enterprise_id: int | None = None) -> tuple[Campaign, Sheet, list[EnterpriseScore]]:
    """The sheet scored for each enrolled enterprise the viewer may see, best first."""
    campaign = visible_campaign(session, viewer, campaign_id)
    sheet = sheet_of(campaign, settings)
    enterprises = [e for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(enrolled_ids(session, campaign)))
                                              .order_by(Enterprise.code))
                   if permissions.may_see_scores_of(session, viewer, e.id, e.jurisdiction_id)
                   and (enterprise_id is None or e.id == enterprise_id)]
    facts = gather_facts(session, campaign, [e.id for e in enterprises], today, settings)
    given = _inspector_scores(session, campaign)
    results = []
    for enterprise in enterprises:
        items, total, passed = score_sheet(sheet, facts[enterprise.id], given.get(enterprise.id, {}))
        results.append(EnterpriseScore(enterprise, items, total, passed))
    results.sort(key=lambda r: (-r.total, r.enterprise.code))
    return campaign, sheet, results


def put_scores(session: Session, actor: User, campaign_id: int, enterprise_id: int, items: dict, now: datetime,
               settings: Settings) -> None:
    """An inspector's points (with a note) for the sheet's items that are not automatic."""
    campaign = visible_campaign(session, actor, campaign_id)
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None or enterprise_id not in enrolled_ids(session, campaign) \
            or not permissions.may_see_scores_of(session, actor, enterprise.id, enterprise.jurisdiction_id):
        raise NotFound("该企业未报名本活动 / the enterprise is not enrolled in this campaign")
    if not permissions.may_score(session, actor, enterprise):
        raise Forbidden("仅工会监督检查员评分 / inspectors score")
    sheet = sheet_of(campaign, settings)
    problems: dict[str, list[str]] = {}
    for key, value in items.items():
        item = sheet.item(key)
        if item is None or item.auto:
            problems[f"items.{key}"] = ["不是需检查员评分的项目 / not an item an inspector scores"]
            continue
        points = value["points"]
        if not 0 <= points <= item.max:
            problems[f"items.{key}.points"] = [f"须在 0 至 {item.max} 之间 / between 0 and {item.max}"]
    if problems:
        raise ValidationFailed("评分有误 / invalid scores", problems)
    for key, value in items.items():
        score = session.get(InspectorScore, (campaign.id, enterprise_id, key))
        if score is None:
            score = InspectorScore(campaign_id=campaign.id, enterprise_id=enterprise_id, item_key=key)
            session.add(score)
        score.points = Decimal(str(value["points"])).quantize(CENT)
        score.note, score.scored_by_user_id, score.scored_at = value.get("note"), actor.id, now
    session.flush()


# ---- honours ------------------------------------------------------------------------------

def add_honour(session: Session, actor: User, campaign_id: int, *, kind: str, enterprise_id: int | None,
               user_id: int | None, name: str | None, reason: str, now: datetime) -> Honour:
    """A 先进集体 (an enterprise of the campaign's subtree) or 先进个人 (a user of one, or a
    person by name), chosen by the campaign's union."""
    campaign = _running(session, actor, campaign_id)
    subtree = set(tree.subtree(session, campaign.jurisdiction_id))
    if kind == "collective":
        enterprise = session.get(Enterprise, enterprise_id) if enterprise_id else None
        if enterprise is None or enterprise.jurisdiction_id not in subtree:
            raise ValidationFailed.on("enterprise_id", "须为本活动范围内的企业 / an enterprise of the campaign's subtree")
        user_id, name = None, name or enterprise.name
    elif kind == "individual":
        if user_id is not None:
            person = session.get(User, user_id)
            enterprise = session.get(Enterprise, person.enterprise_id) if person and person.enterprise_id else None
            if enterprise is None or enterprise.jurisdiction_id not in subtree:
                raise ValidationFailed.on("user_id", "须为本活动范围内企业的职工 / a person of an enterprise of the subtree")
            enterprise_id, name = enterprise.id, name or person.display_name
        elif not name:
            raise ValidationFailed.on("name", "请填写姓名或选择账号 / give a name or a user_id")
        elif enterprise_id is not None:
            enterprise = session.get(Enterprise, enterprise_id)
            if enterprise is None or enterprise.jurisdiction_id not in subtree:
                raise ValidationFailed.on("enterprise_id", "须为本活动范围内的企业 / an enterprise of the campaign's subtree")
    else:
        raise ValidationFailed.on("kind", "须为 collective 或 individual / collective or individual")
    honour = Honour(campaign_id=campaign.id, kind=kind, enterprise_id=enterprise_id, user_id=user_id, name=name,
                    reason=reason, decided_by_user_id=actor.id, created_at=now)
    session.add(honour)
    session.flush()
    return honour


def list_honours(session: Session, viewer: User, campaign_id: int) -> list[Honour]:
    campaign = visible_campaign(session, viewer, campaign_id)
    return list(session.scalars(select(Honour).where(Honour.campaign_id == campaign.id).order_by(Honour.kind, Honour.id)))


def honour_candidates(session: Session, viewer: User, campaign_id: int, today: date, settings: Settings) -> dict:
    """What the facts suggest, for the inspector to decide: the enterprises that passed the
    line, best first, and the workers whose reports were confirmed within the dates."""
    campaign = _running(session, viewer, campaign_id)
    _campaign, _sheet, scores = compute_scores(session, viewer, campaign_id, today, settings)
    zone = settings.timezone
    start, end = _local_start(campaign.starts_on, zone), _local_start(campaign.ends_on + timedelta(days=1), zone)
    workers = session.execute(
        select(User.id, User.name, User.username, Enterprise.id, Enterprise.name, func.count(Hazard.id))
        .join(Hazard, Hazard.reporter_user_id == User.id).join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .where(Hazard.enterprise_id.in_(enrolled_ids(session, campaign)), permissions.workers(),
               Hazard.reported_at >= start, Hazard.reported_at < end,
               Hazard.state.in_([HazardState.ASSIGNED, HazardState.RECTIFIED, HazardState.CLOSED]))
        .group_by(User.id, User.name, User.username, Enterprise.id, Enterprise.name)
        .order_by(func.count(Hazard.id).desc(), User.id).limit(20)).all()
    return {
        "collective": [{"enterprise_id": s.enterprise.id, "name": s.enterprise.name, "total": s.total}
                       for s in scores if s.passed][:10],
        "individual": [{"user_id": uid, "name": name or username, "enterprise_id": eid, "enterprise": ename,
                        "confirmed_reports": count} for uid, name, username, eid, ename, count in workers],
    }


# ---- the results on paper -------------------------------------------------------------------

def results_table(session: Session, viewer: User, campaign_id: int, today: date, settings: Settings
                  ) -> tuple[str, list[Column], list[list]]:
    """The results as a table for the project's workbook writer: each enrolled enterprise
    with every item's points, its total and the verdict, best first; then the honours."""
    campaign = _running(session, viewer, campaign_id)
    _campaign, sheet, results = compute_scores(session, viewer, campaign_id, today, settings)
    columns = [Column("名次", 6, "integer"), Column("企业编号", 10), Column("企业名称", 24),
               *[Column(f"{item.title}（{float(item.max):g}）", 14, "number") for item in sheet.items],
               Column(f"总分（{float(sheet.total):g}）", 10, "number"), Column(f"达标（{float(sheet.line):g} 分）", 10),
               Column("荣誉", 16)]
    honoured = defaultdict(list)
    for honour in list_honours(session, viewer, campaign_id):
        if honour.enterprise_id is not None:
            honoured[honour.enterprise_id].append("先进集体" if honour.kind == "collective" else f"先进个人：{honour.name}")
    rows = [[rank, r.enterprise.code, r.enterprise.name, *[item.points for item in r.items], r.total,
             "是" if r.passed else "否", "；".join(honoured[r.enterprise.id])]
            for rank, r in enumerate(results, start=1)]
    return f"{campaign.year}{KIND_WORDS[campaign.kind]}", columns, rows
