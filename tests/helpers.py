"""Building hazards in a given state quickly, through the real operations."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hazard_ledger.hazards import operations as ops
from hazard_ledger.organisations.models import User

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    return datetime.now(timezone.utc).astimezone(SHANGHAI).date()


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
    now = now or datetime.now(timezone.utc)
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
                step("rectify", note="已整改", completed_on=local_today().isoformat())
            if state == "closed":
                if grade == "major":
                    inspector = session.get(User, world.user["inspector_city"])
                    ops.transition(session, inspector, hazard.id, "close", {"note": "验收合格"}, version=None, now=now,
                                   zone=SHANGHAI)
                else:
                    step("close", note="验收合格")
        return hazard.id


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
