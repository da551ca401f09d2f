"""Building what tests need through the real operations: organisations and people
(`jurisdiction`, `enterprise`, `user`, `province_and_township`), hazards in a given state
(`make_hazard`, `plan`) and their awards (`award_of`). Each factory records what it made
in the `World` by name, and stamps it with the suite's clock unless told otherwise."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from hazard_ledger.enums import Role
from hazard_ledger.hazards import operations as ops
from hazard_ledger.organisations import operations as orgs
from hazard_ledger.organisations.models import Jurisdiction, User
from hazard_ledger.rewards.models import Award
from tests.clock import SHANGHAI, current

PASSWORD = "correct-horse-9"  # every factory-made user's


# ---- organisations and people --------------------------------------------------------------

def jurisdiction(session, world, code: str, name: str, parent: str | None = None) -> int:
    made = orgs.create_jurisdiction(session, None, code=code, name=name,
                                    parent_id=world.jurisdiction[parent] if parent else None, now=current()())
    world.jurisdiction[code] = made.id
    return made.id


def enterprise(session, world, code: str, jurisdiction: str, high_risk: bool = False, unionized: bool = True) -> int:
    made = orgs.create_enterprise(session, None, code=code, name=f"企业{code}", jurisdiction_id=world.jurisdiction[jurisdiction],
                                  high_risk=high_risk, unionized=unionized, industry=None, now=current()())
    world.enterprise[code] = made.id
    world.report_token[code] = made.report_token
    return made.id


def user(session, world, passwords, username: str, role: Role, scope: str | None) -> int:
    """A user of `role`; `scope` names the inspector's jurisdiction or the others' enterprise."""
    made = orgs.create_user(session, None, orgs.NewUser(
        username=username, password=PASSWORD, role=role, name=username.replace("_", " ").title(),
        email=f"{username}@example.test",
        enterprise_id=world.enterprise.get(scope) if role is not Role.INSPECTOR else None,
        jurisdiction_id=world.jurisdiction.get(scope) if role is Role.INSPECTOR else None,
    ), passwords, current()())
    world.user[username] = made.id
    return made.id


def province_and_township(session, world) -> None:
    """A province union above the city union and a township union (AT) below county A:
    PROV > CITY > A > AT, for the rules that depend on a union's level."""
    jurisdiction(session, world, "PROV", "省总工会")
    session.execute(update(Jurisdiction).where(Jurisdiction.code == "CITY").values(parent_id=world.jurisdiction["PROV"]))
    jurisdiction(session, world, "AT", "甲镇总工会", parent="A")


def roster(world, enterprise: str, rows: list[dict]) -> None:
    """The enterprise's employee roster, kept by its safety officer through the API."""
    answer = world.client.put(f"/api/v1/enterprises/{world.enterprise[enterprise]}/employees", json=rows,
                              headers=world.auth(f"officer_{enterprise.lower()}"))
    assert answer.status_code == 200, answer.json


# ---- hazards and awards --------------------------------------------------------------------


def local_today() -> date:
    """The service's day by the suite's clock (tests/clock.py), not the machine's."""
    return current().today()


def plan(grade: str = "general", responsible_user_id: int | None = None, deadline: date | None = None) -> dict:
    fields = {
        "grade": grade, "measure": "更换破损绝缘垫", "deadline": (deadline or local_today() + timedelta(days=10)).isoformat(),
        "responsible_unit": "设备科", "responsible_person": "张三", "protective_measures": "设置警示标识",
        "responsible_user_id": responsible_user_id,
    }
    if grade == "major":
        fields.update(funds="20000.00", emergency_plan="专项应急预案")
    return fields


def make_hazard(database, world, state: str = "reported", grade: str = "general", enterprise: str = "A1",
                reporter: str = "worker_a1", responsible: str | None = "worker2_a1", now: datetime | None = None,
                location: str = "二号车间", description: str = "配电箱漏电") -> int:
    """A hazard of `enterprise` reported by `reporter`, brought to `state` by the safety officer."""
    now = now or current()()
    with database.unit_of_work() as session:
        hazard = ops.report_as_user(session, session.get(User, world.user[reporter]),
                                    ops.Report(location, description, "电气安全"), None, now, SHANGHAI)
        officer = session.get(User, world.user[f"officer_{enterprise.lower()}"])

        def step(event: str, **fields) -> None:
            ops.transition(session, officer, hazard.id, event, fields, version=None, now=now, zone=SHANGHAI)

        if state == "rejected":
            step("reject", reason="not_a_hazard")
        elif state in ("assigned", "rectified", "closed"):
            deadline = now.astimezone(SHANGHAI).date() + timedelta(days=10)
            step("assign", **plan(grade, world.user[responsible] if responsible else None, deadline=deadline))
            if state in ("rectified", "closed"):
                step("rectify", note="已整改", completed_on=now.astimezone(SHANGHAI).date().isoformat())
            if state == "closed":
                if grade == "major":
                    inspector = session.get(User, world.user["inspector_city"])
                    ops.transition(session, inspector, hazard.id, "close", {"note": "验收合格"}, version=None, now=now,
                                   zone=SHANGHAI)
                else:
                    step("close", note="验收合格")
        return hazard.id


def award_of(database, hazard_id: int) -> Award:
    """The award a hazard's confirmation proposed (through `transition`, as in production)."""
    with database.unit_of_work(write=False) as session:
        return session.scalar(select(Award).where(Award.hazard_id == hazard_id))


def sign_out(client) -> None:
    """Sign out as a browser does: GET /logout only asks; its form POSTs with the CSRF token."""
    import re

    page = client.get("/logout")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def sign_in(client, username: str, password: str = "correct-horse-9") -> None:
    """Sign in through the login page, as a browser does (CSRF token from the form)."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token}).status_code == 302
