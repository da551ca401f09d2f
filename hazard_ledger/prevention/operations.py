"""Operations of dual prevention. Each takes a Session, flushes, and never commits.

- the register: risk points graded by LEC or the risk matrix (grading.py);
- plans: which risk points, how often, by whom;
- the `inspections` job: each due inspection written once per plan, risk point and
  period by one INSERT … SELECT … ON CONFLICT DO NOTHING, and those whose period ended
  undone marked `missed`, with a notice to the enterprise's safety officers;
- results: every failed check becomes a hazard of the ledger through its reporting
  operation (hazards.operations.report_finding)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO, Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Date, String, bindparam, case, exists, func, literal, select, update
from sqlalchemy.orm import Session, selectinload

from hazard_ledger import permissions
from hazard_ledger.clock import local_today
from hazard_ledger.config import Settings
from hazard_ledger.db import UTCDateTime, dialect_of
from hazard_ledger.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from hazard_ledger.hazards import operations as ledger
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.notifications.delivery import Announcement, announce_many
from hazard_ledger.notifications.operations import Message, notify_many
from hazard_ledger.organisations import tree
from hazard_ledger.organisations.models import Enterprise, Jurisdiction, User
from hazard_ledger.organisations.operations import visible_enterprise
from hazard_ledger.prevention import grading
from hazard_ledger.prevention.models import (
    Frequency, Inspection, InspectionPlan, InspectionPlanPoint, InspectionState, RiskLevel, RiskMethod, RiskPoint,
    RiskPointKind,
)


def risk_rules(settings: Settings) -> grading.RiskRules:
    return grading.rules_from(settings["risk"])


# ---- the register -----------------------------------------------------------------------

@dataclass
class RiskPointInput:
    """A risk point as its author gives it; `checks` empty: one check per control measure."""

    name: str
    kind: str
    location: str
    dangers: list[str]
    controls: list[str]
    method: str
    l: Any  # noqa: E741 (the standard's letter)
    e: Any = None
    c: Any = None
    s: Any = None
    checks: list[str] = field(default_factory=list)


def register_for_writing(session: Session, actor: User | None, enterprise_id: int) -> Enterprise:
    """The enterprise whose register `actor` keeps: 404 beyond their sight, 403 within it.
    `actor` None: the command line."""
    if actor is None:
        enterprise = session.get(Enterprise, enterprise_id)
        if enterprise is None:
            raise NotFound("企业不存在 / no such enterprise")
        return enterprise
    enterprise = visible_enterprise(session, actor, enterprise_id)
    if not permissions.may_write_for(actor, enterprise_id):
        raise Forbidden("仅本企业安全管理人员可维护风险点 / only the enterprise's safety officers keep its register")
    return enterprise


def register_for_reading(session: Session, viewer: User, enterprise_id: int) -> Enterprise:
    enterprise = visible_enterprise(session, viewer, enterprise_id)
    if not permissions.may_read_register(viewer):
        raise Forbidden("风险点清单仅限安全管理人员和监督检查员查看 / the register is for safety officers and inspectors")
    return enterprise


def graded(data: RiskPointInput, rules: grading.RiskRules) -> grading.Assessment:
    """The assessment of `data`; a factor outside its table is a 422 naming it."""
    try:
        return grading.assess(data.method, {"l": data.l, "e": data.e, "c": data.c, "s": data.s}, rules)
    except grading.GradingError as error:
        raise ValidationFailed(f"风险评价取值不正确 / the assessment is not valid: {error}",
                               {name: [problem] for name, problem in error.problems.items()}) from None


def apply_assessment(point: RiskPoint, data: RiskPointInput, assessment: grading.Assessment,
                     now: datetime) -> None:
    point.name, point.kind, point.location = data.name, RiskPointKind(data.kind), data.location
    point.dangers, point.controls = list(data.dangers), list(data.controls)
    point.checks = list(data.checks) or list(data.controls)
    point.method = RiskMethod(assessment.method)
    point.l = assessment.factors["l"]
    point.e, point.c, point.s = (assessment.factors.get(name) for name in ("e", "c", "s"))
    point.score, point.level, point.tier = assessment.score, RiskLevel(assessment.level), assessment.tier
    point.updated_at = now


def _refuse_a_twin(session: Session, enterprise_id: int, data: RiskPointInput, own_id: int | None = None) -> None:
    twin = session.scalar(select(RiskPoint.id).where(RiskPoint.enterprise_id == enterprise_id,
                                                     RiskPoint.name == data.name, RiskPoint.location == data.location))
    if twin is not None and twin != own_id:
        raise ValidationFailed.on("name", f"同一区域已有同名风险点（编号 {twin}）/ this area already has a risk point "
                                          f"of that name (id {twin})")


def create_risk_point(session: Session, actor: User | None, enterprise_id: int, data: RiskPointInput,
                      rules: grading.RiskRules, now: datetime) -> RiskPoint:
    """Register a risk point, graded by its assessment under `rules`."""
    register_for_writing(session, actor, enterprise_id)
    assessment = graded(data, rules)
    _refuse_a_twin(session, enterprise_id, data)
    point = RiskPoint(enterprise_id=enterprise_id, created_at=now)
    apply_assessment(point, data, assessment, now)
    session.add(point)
    session.flush()
    return point


def update_risk_point(session: Session, actor: User, risk_point_id: int, data: RiskPointInput,
                      rules: grading.RiskRules, now: datetime) -> RiskPoint:
    """Replace a risk point's description, assessment and checklist, and grade it again.
    Inspections already done keep the checklist they were made against."""
    point = visible_risk_point(session, actor, risk_point_id)
    register_for_writing(session, actor, point.enterprise_id)
    assessment = graded(data, rules)
    _refuse_a_twin(session, point.enterprise_id, data, own_id=point.id)
    apply_assessment(point, data, assessment, now)
    session.flush()
    return point


def list_risk_points(session: Session, viewer: User, enterprise_id: int) -> list[RiskPoint]:
    """The register of an enterprise, by area, most serious first."""
    register_for_reading(session, viewer, enterprise_id)
    return register_lines(session, enterprise_id)


LEVEL_ORDER = case({level.value: rank for rank, level in enumerate(RiskLevel)}, value=RiskPoint.level)


def register_lines(session: Session, enterprise_id: int) -> list[RiskPoint]:
    return list(session.scalars(select(RiskPoint).where(RiskPoint.enterprise_id == enterprise_id)
                                .order_by(RiskPoint.location, LEVEL_ORDER, RiskPoint.name, RiskPoint.id)))


def visible_risk_point(session: Session, viewer: User, risk_point_id: int) -> RiskPoint:
    """A risk point of the viewer's register, or one the viewer is assigned to inspect;
    otherwise 404."""
    point = session.scalar(select(RiskPoint).join(Enterprise, Enterprise.id == RiskPoint.enterprise_id)
                           .where(RiskPoint.id == risk_point_id, permissions.enterprise_clause(session, viewer)))
    if point is not None and (permissions.may_read_register(viewer) or _assigned_to(session, viewer, point.id)):
        return point
    raise NotFound("风险点不存在 / no such risk point")


def _assigned_to(session: Session, user: User, risk_point_id: int) -> bool:
    return session.scalar(select(exists().where(
        InspectionPlanPoint.risk_point_id == risk_point_id, InspectionPlan.id == InspectionPlanPoint.plan_id,
        InspectionPlan.active.is_(True), InspectionPlan.assignee_user_id == user.id))) or False


# ---- plans -------------------------------------------------------------------------------

def create_plan(session: Session, actor: User, enterprise_id: int, risk_point_ids: Sequence[int], frequency: str,
                assignee_user_id: int, now: datetime, zone: ZoneInfo) -> InspectionPlan:
    """A plan: these risk points, this often, by this user of the enterprise. Its
    inspections of the current period are written at once, so the QR code works today."""
    register_for_writing(session, actor, enterprise_id)
    wanted = sorted(set(risk_point_ids))
    if not wanted:
        raise ValidationFailed.on("risk_point_ids", "至少选择一个风险点 / name at least one risk point")
    found = set(session.scalars(select(RiskPoint.id).where(RiskPoint.id.in_(wanted),
                                                            RiskPoint.enterprise_id == enterprise_id)))
    missing = [rid for rid in wanted if rid not in found]
    if missing:
        raise ValidationFailed.on("risk_point_ids", f"本企业没有这些风险点 / not risk points of this enterprise: "
                                                    f"{', '.join(map(str, missing))}")
    assignee = session.get(User, assignee_user_id)
    if assignee is None or not permissions.may_be_assigned(assignee, enterprise_id):
        raise ValidationFailed.on("assignee_user_id", "须为本企业在职的职工或安全管理人员 / an active worker or safety "
                                                      "officer of this enterprise")
    plan = InspectionPlan(enterprise_id=enterprise_id, frequency=Frequency(frequency), assignee_user_id=assignee.id,
                          active=True, created_by_user_id=actor.id if actor else None, created_at=now)
    session.add(plan)
    session.flush()
    session.execute(InspectionPlanPoint.__table__.insert(),
                    [{"plan_id": plan.id, "risk_point_id": rid} for rid in wanted])
    create_due_inspections(session, now, zone, plan_ids=[plan.id])
    session.flush()
    return plan


def list_plans(session: Session, viewer: User, enterprise_id: int) -> list[InspectionPlan]:
    register_for_reading(session, viewer, enterprise_id)
    return list(session.scalars(select(InspectionPlan).where(InspectionPlan.enterprise_id == enterprise_id)
                                .options(selectinload(InspectionPlan.points), selectinload(InspectionPlan.assignee))
                                .order_by(InspectionPlan.id)))


def assignable_users(session: Session, enterprise_id: int) -> list[User]:
    """Who may be a plan's assignee: the enterprise's active workers and safety officers."""
    return list(session.scalars(select(User).where(permissions.assignable(enterprise_id))
                                .order_by(User.role, User.name, User.username)))


def recent_inspections(session: Session, viewer: User, risk_point_id: int, limit: int = 20) -> list[Inspection]:
    return list(session.scalars(select(Inspection).where(Inspection.risk_point_id == risk_point_id,
                                                         permissions.inspection_clause(session, viewer))
                                .order_by(Inspection.period_start.desc(), Inspection.id.desc()).limit(limit)))


def stop_plan(session: Session, actor: User, plan_id: int) -> InspectionPlan:
    """No new inspections from this plan; those written stay as they are."""
    plan = session.get(InspectionPlan, plan_id)
    if plan is None:
        raise NotFound("排查计划不存在 / no such plan")
    try:
        visible_enterprise(session, actor, plan.enterprise_id)
    except NotFound:
        raise NotFound("排查计划不存在 / no such plan") from None
    register_for_writing(session, actor, plan.enterprise_id)
    plan.active = False
    session.flush()
    return plan


# ---- periods -----------------------------------------------------------------------------

def period_of(frequency: Frequency | str, day: date) -> tuple[date, date]:
    """The period of a plan's frequency that holds `day`: (first day, last day). Weeks
    start on Monday; quarters in January, April, July and October."""
    frequency = Frequency(frequency)
    if frequency is Frequency.DAILY:
        return day, day
    if frequency is Frequency.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    first_month = day.month if frequency is Frequency.MONTHLY else 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    months = 1 if frequency is Frequency.MONTHLY else 3
    following = date(start.year + (start.month + months - 1) // 12, (start.month + months - 1) % 12 + 1, 1)
    return start, following - timedelta(days=1)


def period_parameters(today: date) -> dict[str, date]:
    """What the creating statement binds: each frequency's current period."""
    parameters = {}
    for frequency in Frequency:
        parameters[f"start_{frequency.value}"], parameters[f"end_{frequency.value}"] = period_of(frequency, today)
    return parameters


# ---- the inspections job -------------------------------------------------------------------

PLANS, PLAN_POINTS, INSPECTIONS = InspectionPlan.__table__, InspectionPlanPoint.__table__, Inspection.__table__
NOW = bindparam("now", type_=UTCDateTime())
KEY = ["plan_id", "risk_point_id", "period_start"]


def _by_frequency(bound: str):
    return case(*((PLANS.c.frequency == frequency.value, bindparam(f"{bound}_{frequency.value}", type_=Date()))
                  for frequency in Frequency))


def creating_statement(session: Session, plan_ids: Sequence[int] | None = None,
                       risk_point_ids: Sequence[int] | None = None):
    """INSERT … SELECT of the current period's inspection of every active plan and each of
    its risk points; ON CONFLICT DO NOTHING on (plan, risk point, period start) leaves the
    ones written before, by this run, an earlier one, or another scheduler at this moment."""
    rows = (select(PLANS.c.id, PLAN_POINTS.c.risk_point_id, PLANS.c.enterprise_id, PLANS.c.assignee_user_id,
                   _by_frequency("start"), _by_frequency("end"), literal(InspectionState.DUE.value, String), NOW)
            .select_from(PLANS.join(PLAN_POINTS, PLAN_POINTS.c.plan_id == PLANS.c.id))
            # a WHERE also keeps SQLite from reading ON CONFLICT as part of the FROM
            .where(PLANS.c.active.is_(True)))
    if plan_ids is not None:
        rows = rows.where(PLANS.c.id.in_(list(plan_ids)))
    if risk_point_ids is not None:
        rows = rows.where(PLAN_POINTS.c.risk_point_id.in_(list(risk_point_ids)))
    columns = ["plan_id", "risk_point_id", "enterprise_id", "assignee_user_id", "period_start", "period_end", "state",
               "created_at"]
    return dialect_of(session).insert(INSPECTIONS).from_select(columns, rows).on_conflict_do_nothing(index_elements=KEY)


def create_due_inspections(session: Session, now: datetime, zone: ZoneInfo, plan_ids: Sequence[int] | None = None,
                           risk_point_ids: Sequence[int] | None = None) -> int:
    """Write the inspections due at `now` (in the configured zone) that are not written
    yet; answers how many were new."""
    parameters = {"now": now, **period_parameters(local_today(now, zone))}
    # an INSERT construct's rowcount is kept only when asked for (SQLAlchemy 2.0.28+)
    return session.connection().execute(creating_statement(session, plan_ids, risk_point_ids), parameters,
                                        execution_options={"preserve_rowcount": True}).rowcount


# what a notice of a missed inspection says, read with the inspection's risk point
MISSED_FACTS = (Inspection.id, Inspection.enterprise_id, Inspection.period_start, Inspection.period_end,
                Inspection.assignee_user_id, RiskPoint.id.label("risk_point_id"), RiskPoint.name, RiskPoint.location)


def mark_missed(session: Session, now: datetime, zone: ZoneInfo) -> list:
    """Every inspection still due after its period's last day becomes `missed`, once: the
    UPDATE takes each row's lock, so of two runs at once the second finds it missed.
    Answers the facts of those it marked (MISSED_FACTS)."""
    today = local_today(now, zone)
    ids = list(session.scalars(
        update(Inspection).where(Inspection.state == InspectionState.DUE, Inspection.period_end < today)
        .values(state=InspectionState.MISSED, missed_at=now).returning(Inspection.id)
        .execution_options(synchronize_session=False)))
    return [row for batch in _batches(sorted(ids)) for row in session.execute(
        select(*MISSED_FACTS).join(RiskPoint, RiskPoint.id == Inspection.risk_point_id)
        .where(Inspection.id.in_(batch)).order_by(Inspection.id))]


def notify_missed(session: Session, missed: list, now: datetime, base_url: str) -> int:
    """Each missed inspection to the enterprise's safety officers (inbox and e-mail), and to
    the enterprise's group webhooks that listen for `inspection_missed`, once: the dedup
    keys name the inspection."""
    if not missed:
        return 0
    enterprise_ids = sorted({row.enterprise_id for row in missed})
    officers: dict[int, list[int]] = defaultdict(list)
    names: dict[int, str] = {}
    for batch in _batches(enterprise_ids):
        for user_id, enterprise_id in session.execute(
                select(User.id, User.enterprise_id).where(User.enterprise_id.in_(batch), permissions.active_officers())):
            officers[enterprise_id].append(user_id)
        names.update(session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(batch))).all())
    messages, announcements = [], []
    for row in missed:
        period = (row.period_start.isoformat() if row.period_start == row.period_end
                  else f"{row.period_start.isoformat()}–{row.period_end.isoformat()}")
        link = f"{base_url.rstrip('/')}/inspections/{row.id}"
        text = f"【隐患排查未完成】{names[row.enterprise_id]} 风险点“{row.name}”（{row.location}）{period} 的排查未按时完成。{link}"
        data = {"kind": "inspection_missed", "inspection": {
            "id": row.id, "risk_point_id": row.risk_point_id, "risk_point": row.name, "location": row.location,
            "period_start": row.period_start.isoformat(), "period_end": row.period_end.isoformat(),
            "assignee_user_id": row.assignee_user_id, "link": link}}
        messages += [Message("inspection_missed", user_id, text, f"inspection_missed:{row.id}:{user_id}", None, data)
                     for user_id in officers[row.enterprise_id]]
        announcements.append(Announcement("inspection_missed", row.enterprise_id, "enterprise",
                                          f"inspection:{row.id}", text, data))
    new = notify_many(session, messages, now)
    announce_many(session, announcements, now)
    return len(new)


@dataclass
class InspectionRun:
    created: int
    missed: int
    notified: int

    def __str__(self) -> str:
        return f"created {self.created}, missed {self.missed}, notices {self.notified}"


def run_inspections(session: Session, now: datetime, settings: Settings) -> InspectionRun:
    """The `inspections` job: write what fell due, mark what ended undone."""
    zone = settings.timezone
    created = create_due_inspections(session, now, zone)
    missed = mark_missed(session, now, zone)
    notified = notify_missed(session, missed, now, settings["app"]["base_url"])
    session.flush()
    return InspectionRun(created, len(missed), notified)


# ---- inspections ---------------------------------------------------------------------------

def visible_inspection(session: Session, viewer: User, inspection_id: int, for_update: bool = False) -> Inspection:
    query = select(Inspection).where(Inspection.id == inspection_id, permissions.inspection_clause(session, viewer))
    return permissions.the_visible(session, query, "排查任务不存在 / no such inspection", for_update)


def list_inspections(session: Session, viewer: User, state: str | None = None, enterprise_id: int | None = None,
                     limit: int = 100, cursor: str | None = None) -> tuple[list[Inspection], str | None]:
    """Inspections in the viewer's scope, newest first, by keyset pages."""
    query = select(Inspection).where(permissions.inspection_clause(session, viewer))
    if state:
        query = query.where(Inspection.state == InspectionState(state))
    if enterprise_id is not None:
        query = query.where(Inspection.enterprise_id == enterprise_id)
    if cursor:
        query = query.where(Inspection.id < ledger.decode_cursor(cursor))
    rows = list(session.scalars(query.order_by(Inspection.id.desc()).limit(limit + 1)
                                .options(selectinload(Inspection.risk_point))))
    next_cursor = ledger.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def due_inspection_of(session: Session, viewer: User, risk_point_id: int, today: date) -> Inspection | None:
    """The inspection of this risk point that the viewer should do now: their own first,
    then (for the enterprise's officers) anyone's."""
    query = (select(Inspection).where(Inspection.risk_point_id == risk_point_id,
                                      Inspection.state == InspectionState.DUE, Inspection.period_start <= today,
                                      Inspection.period_end >= today, permissions.inspection_clause(session, viewer))
             .order_by((Inspection.assignee_user_id == viewer.id).desc(), Inspection.period_end, Inspection.id))
    for inspection in session.scalars(query):
        if permissions.may_submit(viewer, inspection):
            return inspection
    return None


@dataclass
class CheckResult:
    check: int
    ok: bool
    note: str | None = None
    photo: BinaryIO | None = None  # from the page: kept with the hazard a failed check becomes


Uploads = ledger.Uploads  # where a failed check's photo is stored: the ledger's own


def submit_results(session: Session, actor: User, inspection_id: int, items: Sequence[CheckResult],
                   now: datetime, zone: ZoneInfo, uploads: Uploads | None = None) -> tuple[Inspection, list[Hazard]]:
    """Record an inspection: every check answered once. Each failed check becomes a hazard
    in `reported` (linked to the risk point, the inspection and the check), reported by
    `actor` through the ledger's own operation. An inspection is done once: a second
    submission, or one after its period, is refused and changes nothing."""
    inspection = visible_inspection(session, actor, inspection_id, for_update=True)
    if not permissions.may_submit(actor, inspection):
        raise Forbidden("仅排查人或本企业安全管理人员可提交 / only the assignee or the enterprise's safety officers")
    if inspection.state is not InspectionState.DUE:
        raise InvalidTransition("该排查已提交 / this inspection is already done" if inspection.state is
                                InspectionState.DONE else "该排查已逾期 / this inspection was missed")
    if local_today(now, zone) > inspection.period_end:
        raise InvalidTransition("排查周期已结束 / the inspection's period is over")
    point = inspection.risk_point
    _check_answers(point.checks, items)
    results, hazards = [], []
    for item in sorted(items, key=lambda i: i.check):
        text = point.checks[item.check]
        note = (item.note or "").strip() or None
        hazard_id = None
        if not item.ok:
            description = f"隐患排查发现：风险点“{point.name}”的排查项“{text}”不合格。" + (f"{note}" if note else "")
            report = ledger.Report(location=f"{point.location} {point.name}"[:200], description=description[:4000])
            # the photo goes with the report, chained by its first entry
            photos = [ledger.store_photo(item.photo, uploads)] if item.photo is not None and uploads else []
            hazard = ledger.report_finding(session, actor, inspection.enterprise_id, report,
                                           ledger.Finding(point.id, inspection.id, item.check), now, zone, photos)
            hazards.append(hazard)
            hazard_id = hazard.id
        results.append({"check": item.check, "text": text, "ok": item.ok, "note": note, "hazard_id": hazard_id})
    inspection.state, inspection.done_at, inspection.done_by_user_id = InspectionState.DONE, now, actor.id
    inspection.results = results
    session.flush()
    return inspection, hazards


def _check_answers(checks: list[str], items: Sequence[CheckResult]) -> None:
    problems: dict[str, list[str]] = {}
    seen: set[int] = set()
    for position, item in enumerate(items):
        if not 0 <= item.check < len(checks):
            problems[f"items.{position}.check"] = [f"排查清单只有 {len(checks)} 项（0–{len(checks) - 1}）/ the checklist "
                                                   f"has {len(checks)} checks, numbered from 0"]
        elif item.check in seen:
            problems[f"items.{position}.check"] = ["重复 / this check is answered twice"]
        seen.add(item.check)
    unanswered = [index for index in range(len(checks)) if index not in seen]
    if unanswered and not problems:
        problems["items"] = [f"每一项都须填写，缺第 {', '.join(map(str, unanswered))} 项 / answer every check; "
                             f"missing: {', '.join(map(str, unanswered))}"]
    if problems:
        raise ValidationFailed("排查结果不完整 / the results are incomplete", problems)


# ---- the four-colour picture and coverage ------------------------------------------------------

@dataclass
class Area:
    """One area (区域) of the four-colour picture: its points and its colour, that of its
    most serious point (四色图)."""

    name: str
    points: list[RiskPoint]

    @property
    def level(self) -> RiskLevel:
        order = list(RiskLevel)
        return min((point.level for point in self.points), key=order.index)

    def count(self, level: RiskLevel) -> int:
        return sum(1 for point in self.points if point.level is level)


def areas_of(points: Iterable[RiskPoint]) -> list[Area]:
    by_area: dict[str, list[RiskPoint]] = defaultdict(list)
    for point in points:
        by_area[point.location].append(point)
    order = list(RiskLevel)
    areas = [Area(name, items) for name, items in by_area.items()]
    areas.sort(key=lambda area: (order.index(area.level), area.name))
    return areas


def level_counts(points: Iterable[RiskPoint]) -> dict[str, int]:
    counts = {level.value: 0 for level in RiskLevel}
    for point in points:
        counts[point.level.value] += 1
    return counts


@dataclass
class EnterpriseCoverage:
    enterprise_id: int
    code: str
    name: str
    jurisdiction_id: int
    points: dict[str, int]
    inspections: dict[str, int]
    unplanned: list[int]  # red and orange points that no active plan names

    def as_dict(self) -> dict:
        return {"enterprise_id": self.enterprise_id, "code": self.code, "name": self.name,
                "jurisdiction_id": self.jurisdiction_id, "points": self.points, "inspections": self.inspections,
                "unplanned_red_orange": self.unplanned}


SERIOUS = (RiskLevel.MAJOR, RiskLevel.HIGH)


def coverage(session: Session, viewer: User, start: date, end: date) -> dict:
    """For each enterprise in the viewer's scope: its points by level, its inspections whose
    period meets [start, end] by state, and its red and orange points without a plan; and
    the same summed for each jurisdiction in scope over its subtree."""
    if not permissions.may_read_register(viewer):
        raise Forbidden("仅限安全管理人员和监督检查员 / for safety officers and inspectors")
    enterprises = list(session.execute(
        select(Enterprise.id, Enterprise.code, Enterprise.name, Enterprise.jurisdiction_id)
        .where(permissions.enterprise_clause(session, viewer)).order_by(Enterprise.code)))
    ids = [row.id for row in enterprises]
    points: dict[int, dict[str, int]] = defaultdict(lambda: {level.value: 0 for level in RiskLevel})
    done: dict[int, dict[str, int]] = defaultdict(lambda: {state.value: 0 for state in InspectionState})
    unplanned: dict[int, list[int]] = defaultdict(list)
    for batch in _batches(ids):
        for enterprise_id, level, count in session.execute(
                select(RiskPoint.enterprise_id, RiskPoint.level, func.count())
                .where(RiskPoint.enterprise_id.in_(batch)).group_by(RiskPoint.enterprise_id, RiskPoint.level)):
            points[enterprise_id][level.value] = count
        for enterprise_id, state, count in session.execute(
                select(Inspection.enterprise_id, Inspection.state, func.count())
                .where(Inspection.enterprise_id.in_(batch), Inspection.period_end >= start,
                       Inspection.period_start <= end)
                .group_by(Inspection.enterprise_id, Inspection.state)):
            done[enterprise_id][state.value] = count
        planned = exists().where(InspectionPlanPoint.risk_point_id == RiskPoint.id,
                                 InspectionPlan.id == InspectionPlanPoint.plan_id, InspectionPlan.active.is_(True))
        for enterprise_id, point_id in session.execute(
                select(RiskPoint.enterprise_id, RiskPoint.id)
                .where(RiskPoint.enterprise_id.in_(batch), RiskPoint.level.in_(SERIOUS), ~planned)
                .order_by(RiskPoint.id)):
            unplanned[enterprise_id].append(point_id)
    rows = [EnterpriseCoverage(row.id, row.code, row.name, row.jurisdiction_id, points[row.id], done[row.id],
                               unplanned[row.id]) for row in enterprises]
    return {"from": start, "to": end, "enterprises": rows, "jurisdictions": _by_jurisdiction(session, viewer, rows)}


def _batches(ids: list[int], size: int = 5000) -> Iterable[list[int]]:
    return (ids[start:start + size] for start in range(0, len(ids), size))


def _by_jurisdiction(session: Session, viewer: User, rows: list[EnterpriseCoverage]) -> list[dict]:
    """Each jurisdiction in the viewer's scope with its subtree's sums."""
    if not permissions.may_audit(viewer):
        return []
    jurisdictions = list(session.execute(select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.name)
                                         .where(permissions.jurisdiction_clause(session, viewer))
                                         .order_by(Jurisdiction.code)))
    in_scope = {row.id for row in jurisdictions}
    totals = {row.id: {"points": {level.value: 0 for level in RiskLevel},
                       "inspections": {state.value: 0 for state in InspectionState},
                       "unplanned_red_orange": 0, "enterprises": 0} for row in jurisdictions}
    for row in rows:
        for jurisdiction_id in tree.ancestors(session, row.jurisdiction_id):
            if jurisdiction_id not in in_scope:
                continue
            total = totals[jurisdiction_id]
            total["enterprises"] += 1
            total["unplanned_red_orange"] += len(row.unplanned)
            for key, count in row.points.items():
                total["points"][key] += count
            for key, count in row.inspections.items():
                total["inspections"][key] += count
    return [{"jurisdiction_id": row.id, "code": row.code, "name": row.name, **totals[row.id]} for row in jurisdictions]


def month_so_far(today: date) -> tuple[date, date]:
    """The coverage window by default: this calendar month up to its end."""
    return period_of(Frequency.MONTHLY, today)

