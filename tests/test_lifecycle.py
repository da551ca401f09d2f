"""The README's curl session, as a test: report, photo, assign, progress, rectify,
close, history, audit."""

from datetime import timedelta

import pytest

from tests.conftest import PNG, assign_fields

# Both tests run mid-year and at 16:30 UTC on 31 December, when Shanghai's day (the
# service's) is already 1 January: the suite once judged "today" by the machine's clock
# and failed there.
AT_TWO_INSTANTS = pytest.mark.parametrize("instant", [
    "mid-year", pytest.param("new-year-in-shanghai", marks=pytest.mark.frozen_at("2026-12-31T16:30+00:00")),
])


@AT_TWO_INSTANTS
def test_a_hazard_from_report_to_close(world, clock, instant):
    if instant == "new-year-in-shanghai":
        assert clock().year == 2026 and clock.today().isoformat() == "2027-01-01"
    hazard = world.report("worker_a1")
    assert hazard["state"] == "reported"
    assert hazard["code"].startswith(f"YH-{clock.today().year}-")
    assert hazard["allowed_events"] == []

    photo = world.post("worker_a1", f"/api/v1/hazards/{hazard['id']}/attachments",
                       data={"file": (__import__("io").BytesIO(PNG), "x.jpg")}, content_type="multipart/form-data")
    assert photo.status_code == 201, photo.json
    assert photo.json["content_type"] == "image/png"

    detail = world.get("officer_a1", f"/api/v1/hazards/{hazard['id']}").json
    assert detail["allowed_events"] == ["assign", "reject"]
    assigned = world.fire("officer_a1", hazard["id"], "assign", version=detail["version"],
                          **assign_fields(responsible_user_id=world.user["worker2_a1"]))
    assert assigned.status_code == 200, assigned.json
    assert assigned.json["state"] == "assigned"

    progress = world.fire("worker2_a1", hazard["id"], "progress", note="已订购绝缘垫")
    assert progress.status_code == 200, progress.json
    rectified = world.fire("worker2_a1", hazard["id"], "rectify", note="已更换", completed_on=clock.today().isoformat())
    assert rectified.status_code == 200, rectified.json
    refused = world.fire("worker2_a1", hazard["id"], "close", note="自己验收")
    assert refused.status_code == 403
    closed = world.fire("officer_a1", hazard["id"], "close", note="验收合格，同意销号")
    assert closed.status_code == 200, closed.json
    assert closed.json["state"] == "closed"
    events = [entry["event"] for entry in closed.json["history"]]
    assert events == ["report", "photo", "assign", "progress", "rectify", "close"]  # the photo chained in its own entry
    assert closed.json["history"][1]["data"]["photos"] == [photo.json["sha256"]]

    inbox = world.get("worker2_a1", "/api/v1/notifications").json["items"]
    assert [n["kind"] for n in inbox] == ["assigned"]


@AT_TWO_INSTANTS
def test_overdue_hazard_shows_in_the_audit(world, database, now, instant):
    from hazard_ledger.hazards import operations as ops
    from hazard_ledger.organisations.models import User
    from zoneinfo import ZoneInfo

    hazard = world.report("worker_a1")
    past = now - timedelta(days=20)
    with database.unit_of_work() as session:
        officer = session.get(User, world.user["officer_a1"])
        fields = assign_fields(deadline=(past.date() + timedelta(days=5)).isoformat())
        ops.transition(session, officer, hazard["id"], "assign", fields, version=None, now=past,
                       zone=ZoneInfo("Asia/Shanghai"))
    audit = world.get("inspector_a", "/api/v1/audit/overdue").json
    assert [item["id"] for item in audit["items"]] == [hazard["id"]]
    assert audit["items"][0]["overdue"] is True
    assert audit["items"][0]["days_overdue"] >= 14
    assert audit["enterprises"][0]["code"] == "A1"
    assert world.get("inspector_b", "/api/v1/audit/overdue").json["items"] == []
