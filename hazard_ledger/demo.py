"""Demo data: a city union with two county unions, three enterprises (one high-risk,
one without a union), a user of each role and 30 hazards in every state, some overdue,
one of them major. Loaded through the same operations as real data, so every hazard
has a true history and hash chain. Loading twice changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hazard_ledger.clock import local_today
from hazard_ledger.enums import Role
from hazard_ledger.hazards import operations as hazards
from hazard_ledger.organisations import operations as orgs
from hazard_ledger.organisations.models import Jurisdiction, User
from hazard_ledger.security import Passwords

DEMO_PASSWORD = "Demo#2026"
USERS = [
    # username, role, scope code, name
    ("admin", Role.ADMIN, None, "系统管理员"),
    ("inspector", Role.INSPECTOR, "LY", "王建国"),
    ("ls_inspector", Role.INSPECTOR, "LS", "李红"),
    ("officer1", Role.SAFETY_OFFICER, "LS-001", "张伟"),
    ("officer2", Role.SAFETY_OFFICER, "LS-002", "刘洋"),
    ("officer3", Role.SAFETY_OFFICER, "HD-001", "陈静"),
    ("worker1", Role.WORKER, "LS-001", "赵强"),
    ("worker2", Role.WORKER, "LS-002", "孙丽"),
]
DEMO_LOGINS = [(username, DEMO_PASSWORD, role.value) for username, role, _, _ in USERS]

HAZARDS = [
    # enterprise, days ago, location, description, category, outcome, deadline days after assignment
    ("LS-001", 2, "二号反应釜区", "反应釜压力表超过检定有效期", "设备设施", "reported", None),
    ("LS-001", 1, "化验室", "化学试剂未分类存放，酸碱混放", "危险化学品", "reported", None),
    ("LS-002", 3, "叉车通道", "叉车通道堆放货物，占用安全通道", "作业环境", "reported", None),
    ("HD-001", 2, "停车场", "电动叉车充电区域无消防器材", "消防安全", "reported", None),
    ("LS-002", 0, "宿舍楼", "私拉电线给电动车充电", "电气安全", "reported", None),
    ("LS-001", 20, "储罐区", "储罐区防火堤有贯穿裂缝，泄漏时无法围堵", "设备设施", "major_overdue", 15),
    ("LS-001", 25, "危化品仓库", "仓库内可燃气体报警器故障未修复", "消防安全", "overdue", 10),
    ("LS-002", 30, "冲压车间", "冲床双手按钮失效，存在压手风险", "设备设施", "overdue", 14),
    ("HD-001", 40, "物流分拣区", "传送带急停按钮失灵", "设备设施", "overdue", 7),
    ("LS-002", 12, "机加工车间", "车床防护罩缺失", "设备设施", "assigned", 20),
    ("LS-001", 8, "配电室", "配电柜前绝缘胶垫破损", "电气安全", "assigned", 15),
    ("HD-001", 6, "装卸平台", "装卸平台边缘无防护栏", "作业环境", "assigned", 30),
    ("LS-002", 5, "喷漆房", "喷漆房通风设备运行不正常", "职业卫生", "assigned", 10),
    ("LS-001", 15, "锅炉房", "锅炉安全阀未按期校验", "特种设备", "assigned", 30),
    ("LS-002", 4, "焊接车间", "焊工未佩戴防护面罩作业", "人员行为", "assigned", 3),
    ("LS-001", 18, "原料堆场", "粉尘堆积未及时清理", "粉尘防爆", "rectified", 10),
    ("LS-002", 16, "维修间", "砂轮机无防护挡板", "设备设施", "rectified", 10),
    ("HD-001", 14, "厂区道路", "道路照明不足，夜间作业有风险", "作业环境", "rectified", 10),
    ("LS-001", 22, "油品库", "防静电接地线断开", "电气安全", "rectified", 10),
    ("LS-002", 11, "仓库二楼", "货架超载变形", "作业环境", "rectified", 10),
    ("LS-001", 60, "厂区东门", "消防栓被车辆遮挡", "消防安全", "closed", 5),
    ("LS-002", 55, "办公楼", "疏散指示标志不亮", "消防安全", "closed", 7),
    ("HD-001", 50, "电梯机房", "货梯年检过期", "特种设备", "closed", 20),
    ("LS-001", 45, "食堂", "燃气管道软管老化", "燃气安全", "closed", 5),
    ("LS-002", 42, "行车", "行车吊钩防脱装置损坏", "特种设备", "closed", 7),
    ("LS-001", 38, "污水处理站", "有限空间入口无警示标识", "有限空间", "closed", 5),
    ("HD-001", 35, "屋顶", "屋顶作业无安全带挂点", "高处作业", "closed", 15),
    ("LS-002", 33, "涂装线", "涂装线灭火器过期", "消防安全", "closed", 5),
    ("LS-001", 28, "空压机房", "储气罐压力表损坏", "特种设备", "not_a_hazard", None),
    ("LS-002", 9, "冲压车间", "冲床双手按钮失效（重复上报）", "设备设施", "duplicate", None),
]


def load_demo(session: Session, passwords: Passwords, now: datetime, zone: ZoneInfo) -> bool:
    """Load the demo once; False when it is already there."""
    if session.scalar(select(Jurisdiction).where(Jurisdiction.code == "LY")) is not None:
        return False
    city = orgs.create_jurisdiction(session, None, code="LY", name="临沂市总工会", parent_id=None, now=now)
    lanshan = orgs.create_jurisdiction(session, None, code="LS", name="兰山区总工会", parent_id=city.id, now=now)
    hedong = orgs.create_jurisdiction(session, None, code="HD", name="河东区总工会", parent_id=city.id, now=now)
    enterprises = {
        e.code: e
        for e in (
            orgs.create_enterprise(session, None, code="LS-001", name="临沂鲁南化工有限公司", jurisdiction_id=lanshan.id,
                                   high_risk=True, unionized=True, industry="化工", now=now),
            orgs.create_enterprise(session, None, code="LS-002", name="临沂华盛机械制造有限公司", jurisdiction_id=lanshan.id,
                                   high_risk=False, unionized=True, industry="机械制造", now=now),
            orgs.create_enterprise(session, None, code="HD-001", name="河东恒通物流有限公司", jurisdiction_id=hedong.id,
                                   high_risk=False, unionized=False, industry="物流仓储", now=now),
        )
    }
    jurisdictions = {"LY": city, "LS": lanshan, "HD": hedong}
    users: dict[str, User] = {}
    for username, role, scope, name in USERS:
        users[username] = orgs.create_user(session, None, orgs.NewUser(
            username=username, password=DEMO_PASSWORD, role=role, name=name, email=f"{username}@example.invalid",
            enterprise_id=enterprises[scope].id if scope in enterprises else None,
            jurisdiction_id=jurisdictions[scope].id if scope in jurisdictions else None,
        ), passwords, now)
    officers = {"LS-001": users["officer1"], "LS-002": users["officer2"], "HD-001": users["officer3"]}
    workers = {"LS-001": users["worker1"], "LS-002": users["worker2"]}
    by_description: dict[str, int] = {}
    for number, (code, days_ago, location, description, category, outcome, deadline_days) in enumerate(HAZARDS):
        enterprise = enterprises[code]
        officer = officers[code]
        reported = now - timedelta(days=days_ago, hours=3 + number % 5)
        report = hazards.Report(location=location, description=description, category=category)
        if code in workers and number % 3 != 2:
            hazard = hazards.report_as_user(session, workers[code], report, None, reported, zone)
        else:
            report.anonymous = number % 2 == 0
            if not report.anonymous:
                report.reporter_name, report.reporter_phone = "周师傅", "13800000000"
            hazard, _receipt = hazards.report_publicly(session, enterprise.report_token, report, reported, zone)
        by_description[description] = hazard.id
        if outcome == "reported":
            continue

        def step(event: str, at: datetime, actor: User = officer, hazard=hazard, **data) -> None:
            hazards.transition(session, actor, hazard.id, event, data, version=None, now=at, zone=zone)

        assigned_at = reported + timedelta(hours=20)
        if outcome == "not_a_hazard":
            step("reject", assigned_at, reason="not_a_hazard", comment="压力表已于上月更换，现场核实无隐患")
            continue
        if outcome == "duplicate":
            original = by_description["冲床双手按钮失效，存在压手风险"]
            step("reject", assigned_at, reason="duplicate", duplicate_of=original, comment="与已登记隐患重复")
            continue
        deadline = local_today(assigned_at, zone) + timedelta(days=deadline_days)
        plan = {
            "grade": "general", "measure": f"立即整改：{description}", "deadline": deadline.isoformat(),
            "responsible_unit": "设备科" if "设备" in category else "安全环保部", "responsible_person": officer.name,
            "protective_measures": "设置警戒线和警示标识，整改完成前停止相关作业",
        }
        responsible = workers.get(code)
        if responsible is not None and number % 2 == 1:
            plan["responsible_user_id"] = responsible.id
        if outcome == "major_overdue":
            plan.update(grade="major", funds=str(Decimal("180000.00")), responsible_person="张伟",
                        emergency_plan="储罐泄漏专项应急预案（LN-YA-2026-03），应急物资就位，每日巡检两次",
                        measure="储罐区局部停用，委托专业单位修复防火堤并做闭水试验")
        step("assign", assigned_at, **plan)
        if outcome in ("assigned", "overdue", "major_overdue"):
            if days_ago > 6:
                step("progress", assigned_at + timedelta(days=3), note="已联系维修单位，材料采购中")
            continue
        completed = assigned_at + timedelta(days=min(deadline_days, days_ago) // 2 + 1)
        step("rectify", completed, note="已按整改措施完成整改，附整改后照片", completed_on=local_today(completed, zone).isoformat())
        if outcome == "closed":
            step("close", completed + timedelta(days=1), note="经现场验收，整改到位，同意销号")
    return True
