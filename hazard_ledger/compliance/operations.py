"""Operations on rosters, trainings, drills and union classes, and the compliance check."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from hazard_ledger import permissions
from hazard_ledger.clock import local_today
from hazard_ledger.compliance import engine
from hazard_ledger.compliance.models import (
    DRILL_KINDS, JOB_CATEGORIES, ComplianceReport, Drill, Employee, Training, TrainingAttendance, TrainingClass,
)
from hazard_ledger.errors import Forbidden, NotFound, ValidationFailed
from hazard_ledger.notifications.operations import notify
from hazard_ledger.organisations import tree
from hazard_ledger.organisations.models import Enterprise, Jurisdiction, User
from hazard_ledger.organisations.operations import visible_enterprise
from hazard_ledger.tabular import ImportRefused, Problem, cell_date, read_table


def _writer(session: Session, actor: User, enterprise_id: int) -> Enterprise:
    enterprise = visible_enterprise(session, actor, enterprise_id)
    if not permissions.may_write_for(actor, enterprise_id):
        raise Forbidden("仅本企业安全管理人员和管理员可登记 / the enterprise's safety officers and admins only")
    return enterprise


def _not_future(day: date, today: date, field: str) -> None:
    if day > today:
        raise ValidationFailed.on(field, "不能晚于今天 / cannot be in the future")


# ---- rosters ------------------------------------------------------------------------

def upsert_employees(session: Session, actor: User | None, enterprise_id: int, rows: Iterable[Mapping[str, Any]]
                     ) -> list[Employee]:
    """Insert or update employees by number; the rest of the roster is left as it is."""
    if actor is not None:
        _writer(session, actor, enterprise_id)
    existing = {e.number: e for e in session.scalars(select(Employee).where(Employee.enterprise_id == enterprise_id))}
    touched = []
    for row in rows:
        employee = existing.get(row["number"])
        if employee is None:
            employee = Employee(enterprise_id=enterprise_id, number=row["number"])
            session.add(employee)
            existing[row["number"]] = employee
        employee.name = row["name"]
        for key in ("unit", "job_category", "active", "joined_on", "left_on"):
            if key in row and row[key] is not None:
                setattr(employee, key, row[key])
        if employee.job_category is None:
            employee.job_category = "other"
        if employee.active is None:
            employee.active = True
        touched.append(employee)
    session.flush()
    return touched


def list_employees(session: Session, viewer: User, enterprise_id: int) -> list[Employee]:
    visible_enterprise(session, viewer, enterprise_id)
    return list(session.scalars(select(Employee).where(Employee.enterprise_id == enterprise_id).order_by(Employee.number)))


def list_activities(session: Session, viewer: User, enterprise_id: int, year: int
                    ) -> tuple[list[tuple[Training, list[Employee]]], list[Drill]]:
    """The year's trainings, newest first, each with who attended, and its drills: what the
    roster page lists under the forms that record them."""
    visible_enterprise(session, viewer, enterprise_id)
    first, last = date(year, 1, 1), date(year, 12, 31)
    trainings = list(session.scalars(select(Training).where(Training.enterprise_id == enterprise_id,
                                                            Training.held_on.between(first, last))
                                     .order_by(Training.held_on.desc(), Training.id.desc())))
    attendees: dict[int, list[Employee]] = defaultdict(list)
    if trainings:
        for training_id, employee in session.execute(
                select(TrainingAttendance.training_id, Employee)
                .join(Employee, Employee.id == TrainingAttendance.employee_id)
                .where(TrainingAttendance.training_id.in_([t.id for t in trainings])).order_by(Employee.number)):
            attendees[training_id].append(employee)
    drills = list(session.scalars(select(Drill).where(Drill.enterprise_id == enterprise_id,
                                                      Drill.held_on.between(first, last))
                                  .order_by(Drill.held_on.desc(), Drill.id.desc())))
    return [(training, attendees[training.id]) for training in trainings], drills


ACTIVE_WORDS = {"是": True, "在职": True, "yes": True, "y": True, "1": True, "true": True,
                "否": False, "离职": False, "no": False, "n": False, "0": False, "false": False}
CATEGORY_WORDS = {"主要负责人": "principal", "安全管理人员": "safety_manager", "高危岗位": "high_risk_frontline",
                  "高危行业一线": "high_risk_frontline", "一线": "high_risk_frontline", "其他": "other", "一般": "other",
                  **{c: c for c in JOB_CATEGORIES}}


def import_employees(session: Session, enterprise: Enterprise, path: Path | str) -> list[Employee]:
    """A roster as safety officers keep it (工号, 姓名, 部门, 岗位类别, 在职, 入职日期, 离职日期):
    every row checked first; nothing imported if any row is bad."""
    table = read_table(path)
    problems = [Problem(1, column, "缺少此列 / column missing") for column in ("工号", "姓名") if column not in table.headers]
    rows, seen = [], set()
    for row in table.rows if not problems else []:
        values, record = row.values, {}
        number = values.get("工号")
        if number is None:
            problems.append(Problem(row.number, "工号", "必填 / required"))
        else:
            number = str(int(number)) if isinstance(number, float) and number.is_integer() else str(number).strip()
            if number in seen:
                problems.append(Problem(row.number, "工号", f"重复 / {number} appears twice"))
            seen.add(number)
        record["number"] = number
        record["name"] = values.get("姓名")
        if not record["name"]:
            problems.append(Problem(row.number, "姓名", "必填 / required"))
        record["unit"] = values.get("部门")
        category = values.get("岗位类别")
        if category is not None:
            record["job_category"] = CATEGORY_WORDS.get(str(category).strip())
            if record["job_category"] is None:
                problems.append(Problem(row.number, "岗位类别", f"未知类别 / unknown category {category!r}; "
                                                             f"{', '.join(k for k in CATEGORY_WORDS if not k.isascii())}"))
        active = values.get("在职")
        if active is not None:
            record["active"] = ACTIVE_WORDS.get(str(active).strip().lower())
            if record["active"] is None:
                problems.append(Problem(row.number, "在职", "须为 是 或 否 / yes or no"))
        for column, key in (("入职日期", "joined_on"), ("离职日期", "left_on")):
            if values.get(column) is not None:
                try:
                    record[key] = cell_date(values[column])
                except ValueError as error:
                    problems.append(Problem(row.number, column, str(error)))
        rows.append(record)
    if problems:
        raise ImportRefused(problems)
    return upsert_employees(session, None, enterprise.id, rows)


# ---- trainings, drills, classes ----------------------------------------------------------

def record_training(session: Session, actor: User, *, enterprise_id: int, held_on: date, topic: str, hours: Decimal,
                    attendees: list[str], now: datetime, zone) -> Training:
    _writer(session, actor, enterprise_id)
    _not_future(held_on, local_today(now, zone), "held_on")
    roster = {e.number: e.id for e in session.scalars(select(Employee).where(Employee.enterprise_id == enterprise_id))}
    unknown = sorted(set(attendees) - set(roster))
    if unknown:
        raise ValidationFailed.on("attendees", f"花名册中没有这些工号 / not on the roster: {', '.join(unknown[:20])}")
    training = Training(enterprise_id=enterprise_id, held_on=held_on, topic=topic, hours=hours, created_at=now)
    session.add(training)
    session.flush()
    session.add_all(TrainingAttendance(training_id=training.id, employee_id=roster[n]) for n in set(attendees))
    session.flush()
    return training


def record_drill(session: Session, actor: User, *, enterprise_id: int, held_on: date, kind: str, scenario: str,
                 participants: int, now: datetime, zone) -> Drill:
    _writer(session, actor, enterprise_id)
    _not_future(held_on, local_today(now, zone), "held_on")
    if kind not in DRILL_KINDS:
        raise ValidationFailed.on("kind", f"one of {', '.join(DRILL_KINDS)}")
    drill = Drill(enterprise_id=enterprise_id, held_on=held_on, kind=kind, scenario=scenario,
                  participants=participants, created_at=now)
    session.add(drill)
    session.flush()
    return drill


def record_class(session: Session, actor: User, *, jurisdiction_id: int, held_on: date, topic: str,
                 partners: str | None, attendees: int, now: datetime, zone) -> TrainingClass:
    if not permissions.may_audit(actor):
        raise Forbidden("仅工会监督检查员和管理员可登记 / inspectors and admins only")
    if session.scalar(select(Jurisdiction.id).where(Jurisdiction.id == jurisdiction_id,
                                                    permissions.jurisdiction_clause(session, actor))) is None:
        raise NotFound("工会组织不存在 / no such jurisdiction")
    _not_future(held_on, local_today(now, zone), "held_on")
    item = TrainingClass(jurisdiction_id=jurisdiction_id, held_on=held_on, topic=topic, partners=partners,
                         attendees=attendees, created_at=now)
    session.add(item)
    session.flush()
    return item


# ---- the check ------------------------------------------------------------------------------

def _enterprise_results(session: Session, viewer: User | None, year: int, profile: str, settings: Mapping,
                        enterprise_id: int | None = None) -> tuple[list[Enterprise], dict[int, engine.EnterpriseResult]]:
    """Each enterprise of the viewer's scope, by code, with its check for the year. Only
    the year's trainings, attendance and drills are read: the engine looks at no other."""
    query = select(Enterprise)
    if viewer is not None:
        if not permissions.may_read_compliance(viewer):
            raise Forbidden("培训演练达标情况仅限监督检查员、管理员和本企业安全管理人员 / inspectors, admins and "
                            "the enterprise's safety officers only")
        query = query.where(permissions.enterprise_clause(session, viewer))
    if enterprise_id is not None:
        query = query.where(Enterprise.id == enterprise_id)
    enterprises = list(session.scalars(query.order_by(Enterprise.code)))
    if enterprise_id is not None and not enterprises:
        raise NotFound("企业不存在 / no such enterprise")
    ids = [e.id for e in enterprises]
    in_year = (date(year, 1, 1), date(year, 12, 31))
    people, trainings, drills = defaultdict(list), defaultdict(list), defaultdict(list)
    for e in session.scalars(select(Employee).where(Employee.enterprise_id.in_(ids))):
        people[e.enterprise_id].append(engine.Person(e.number, e.job_category, e.active, e.joined_on, e.left_on))
    attendance = defaultdict(set)
    for training_id, number in session.execute(
            select(TrainingAttendance.training_id, Employee.number).join(Employee)
            .join(Training, Training.id == TrainingAttendance.training_id)
            .where(Employee.enterprise_id.in_(ids), Training.held_on.between(*in_year))):
        attendance[training_id].add(number)
    for t in session.scalars(select(Training).where(Training.enterprise_id.in_(ids), Training.held_on.between(*in_year))):
        trainings[t.enterprise_id].append(engine.Session(t.held_on, t.hours, frozenset(attendance[t.id])))
    for d in session.scalars(select(Drill).where(Drill.enterprise_id.in_(ids), Drill.held_on.between(*in_year))):
        drills[d.enterprise_id].append(engine.DrillHeld(d.held_on, d.kind))
    results = {
        enterprise.id: engine.check_enterprise(profile, year, unionized=enterprise.unionized,
                                               high_risk=enterprise.high_risk, people=people[enterprise.id],
                                               trainings=trainings[enterprise.id], drills=drills[enterprise.id],
                                               settings=settings)
        for enterprise in enterprises}
    return enterprises, results


def check(session: Session, viewer: User | None, year: int, profile: str, settings: Mapping,
          enterprise_id: int | None = None) -> dict:
    """The contract's compliance answer for the viewer's scope (None: everything).
    Workers may not read it (permissions.may_read_compliance); jurisdictions only for the
    union's auditors (permissions.may_audit)."""
    enterprises, results = _enterprise_results(session, viewer, year, profile, settings, enterprise_id)
    rows = []
    for enterprise in enterprises:
        result = results[enterprise.id]
        rows.append({
            "enterprise_id": enterprise.id, "code": enterprise.code, "name": enterprise.name,
            "training": {"employees": result.employees, "trained": result.trained, "untrained": result.untrained,
                         "compliant": result.training_compliant, "no_roster": result.no_roster},
            "drills": {"required": result.drills_required, "held": result.drills_held,
                       "compliant": result.drills_compliant, "missing": result.missing},
        })
    jurisdictions = []
    if viewer is None or permissions.may_audit(viewer):
        jquery = select(Jurisdiction).order_by(Jurisdiction.code)
        if viewer is not None:
            jquery = jquery.where(permissions.jurisdiction_clause(session, viewer))
        held = defaultdict(int)
        for jid in session.scalars(select(TrainingClass.jurisdiction_id).where(
                TrainingClass.held_on >= date(year, 1, 1), TrainingClass.held_on <= date(year, 12, 31))):
            held[jid] += 1
        subtrees = tree.subtrees(session)  # one walk for every union, not one each
        for jurisdiction in session.scalars(jquery):
            subtree = subtrees.get(jurisdiction.id, set())
            unionized = [e for e in enterprises if e.jurisdiction_id in subtree and e.unionized]
            compliant = [e for e in unionized if results[e.id].compliant]
            jurisdictions.append({
                "jurisdiction_id": jurisdiction.id, "code": jurisdiction.code, "name": jurisdiction.name,
                "classes_held": held[jurisdiction.id],
                "level": jurisdiction.level.value,
                "compliant": held[jurisdiction.id] >= 1 or not engine.class_required(jurisdiction.level),
                "coverage": {"unionized_enterprises": len(unionized), "fully_compliant": len(compliant),
                             "share": round(len(compliant) / len(unionized), 4) if unionized else None},
            })
    return {"year": year, "profile": profile, "enterprises": rows, "jurisdictions": jurisdictions}


# ---- the `compliance` job ----------------------------------------------------------------------

def compliance_gaps(session: Session, viewer: User, year: int, settings: Mapping) -> int | None:
    """How many enterprises the viewer sees miss a training or drill duty this year, under
    the configured profile; None for those who may not read compliance (workers)."""
    if not permissions.may_read_compliance(viewer):
        return None
    # the enterprises' half of the check only: the jurisdictions' coverage is not counted here
    _enterprises, results = _enterprise_results(session, viewer, year, settings["profile"], settings)
    return sum(1 for result in results.values() if not result.compliant)


def compliance_job(session: Session, now: datetime, settings) -> str:
    """From `reminders_from` on, a monthly reminder to the safety officers of every
    enterprise not yet compliant, naming who and what is missing; in January, the
    year-end report of the year before, stored per jurisdiction for its inspectors."""
    config = settings["compliance"]
    today = local_today(now, settings.timezone)
    profile = config["profile"]
    reminded = stored = 0
    month, day = (int(part) for part in config["reminders_from"].split("-"))
    if today >= date(today.year, month, day):
        answer = check(session, None, today.year, profile, config)
        officers = defaultdict(list)
        for uid, eid in session.execute(select(User.id, User.enterprise_id).where(
                permissions.active_officers())):
            officers[eid].append(uid)
        for row in answer["enterprises"]:
            for kind, missing, text in (
                ("training_due", not row["training"]["compliant"],
                 "尚未登记职工花名册，无法认定全员完成安全培训，请导入花名册并登记培训" if row["training"]["no_roster"] else
                 f"尚有 {len(row['training']['untrained'])} 名职工未完成本年度安全培训（工号：{'、'.join(row['training']['untrained'][:30])}）"),
                ("drill_due", not row["drills"]["compliant"], "；".join(m.split(" / ")[0] for m in row["drills"]["missing"])),
            ):
                if not missing:
                    continue
                for uid in officers[row["enterprise_id"]]:
                    reminded += notify(session, kind=kind, recipient_id=uid, now=now,
                                       dedup_key=f"{kind}:{row['enterprise_id']}:{today:%Y-%m}:{uid}",
                                       message=f"【{'安全培训提醒' if kind == 'training_due' else '应急演练提醒'}】"
                                               f"{row['name']} {today.year} 年度：{text}。请在年底前完成。")
    if today.month == 1:
        year = today.year - 1
        answer = check(session, None, year, profile, config)
        for item in answer["jurisdictions"]:
            if session.scalar(select(ComplianceReport.id).where(
                    ComplianceReport.jurisdiction_id == item["jurisdiction_id"], ComplianceReport.year == year,
                    ComplianceReport.profile == profile)) is None:
                subtree = tree.subtrees(session).get(item["jurisdiction_id"], set())
                enterprises = [row for row in answer["enterprises"]
                               if session.get(Enterprise, row["enterprise_id"]).jurisdiction_id in subtree]
                session.add(ComplianceReport(jurisdiction_id=item["jurisdiction_id"], year=year, profile=profile,
                                             data={"jurisdiction": item, "enterprises": enterprises}, created_at=now))
                stored += 1
    session.flush()
    return f"reminders {reminded}, year-end reports stored {stored}"


def stored_reports(session: Session, viewer: User, year: int) -> list[ComplianceReport]:
    if not permissions.may_audit(viewer):
        raise Forbidden("仅工会监督检查员和管理员 / inspectors and admins only")
    query = select(ComplianceReport).where(ComplianceReport.year == year)
    in_scope = permissions.jurisdictions_in_scope(session, viewer)
    if in_scope is not None:
        query = query.where(ComplianceReport.jurisdiction_id.in_(in_scope))
    return list(session.scalars(query.order_by(ComplianceReport.jurisdiction_id)))
