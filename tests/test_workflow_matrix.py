"""The rulebook, exhaustively: every event from every state by every role."""

from datetime import date, timedelta

import pytest

from tests.clock import current, service_today
from tests.factories import make_hazard, plan

EVENTS = ("assign", "reject", "progress", "extend", "rectify", "reopen", "close", "supervise")
SOURCES = {"assign": "reported", "reject": "reported", "progress": "assigned", "extend": "assigned",
           "rectify": "assigned", "reopen": "rectified", "close": "rectified", "supervise": "assigned"}
ROLES = ("admin", "inspector_a", "officer_a1", "worker2_a1", "worker_a1")  # worker2_a1 is the responsible user
# (state, grade, days since it was reported and assigned: 20 makes an assigned hazard ten days overdue)
CASES = [("reported", "general", 0), ("assigned", "general", 0), ("assigned", "major", 0),
         ("assigned", "general", 20), ("assigned", "major", 20), ("rectified", "general", 0),
         ("rectified", "major", 0), ("closed", "general", 0), ("rejected", "general", 0)]


def may(event: str, role: str, grade: str) -> bool:
    """CONTRACT §4, the table of events, in words a reviewer can check line by line."""
    officer, inspector, admin, responsible = role == "officer_a1", role == "inspector_a", role == "admin", role == "worker2_a1"
    if event in ("assign", "reject", "reopen"):
        return officer or inspector or admin
    if event in ("progress", "rectify"):
        return officer or responsible or admin
    if event == "extend":
        return inspector or admin or (officer and grade == "general")
    if event == "close":
        return admin or (inspector if grade == "major" else officer)
    if event == "supervise":
        return inspector or admin
    raise AssertionError(event)


def overdue_only(event: str) -> bool:
    """督办 is for an overdue hazard only (a 409 otherwise, after the role's 403)."""
    return event == "supervise"


def fields_for(event: str, detail: dict) -> dict:
    if event == "assign":
        return plan(responsible_user_id=None)
    if event == "extend":
        current = date.fromisoformat(detail["deadline"]) if detail["deadline"] else service_today()
        return {"deadline": (current + timedelta(days=5)).isoformat(), "reason": "材料未到"}
    return {"reject": {"reason": "not_a_hazard", "comment": "现场核实无隐患"}, "progress": {"note": "已采购材料"},
            "rectify": {"note": "已整改", "completed_on": service_today().isoformat()},
            "reopen": {"reason": "验收不合格"}, "close": {"note": "验收合格，同意销号"},
            "supervise": {"note": "限期整改", "due_on": (service_today() + timedelta(days=7)).isoformat()}}[event]


@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize("role", ROLES)
def test_every_event_from_every_state_by_every_role(world, database, event, role):
    for state, grade, days in CASES:
        hazard_id = make_hazard(database, world, state=state, grade=grade, now=current()() - timedelta(days=days))
        before = world.get("admin", f"/api/v1/hazards/{hazard_id}").json
        answer = world.fire(role, hazard_id, event, **fields_for(event, before))
        if role == "worker2_a1" and state in ("reported", "rejected"):
            expected = 404  # not yet (or never) responsible: the hazard is not theirs to see
        elif state != SOURCES[event]:
            expected = 409
        elif not may(event, role, grade):
            expected = 403
        else:
            expected = 409 if overdue_only(event) and not before["overdue"] else 200
        assert answer.status_code == expected, (state, grade, days, answer.json)
        after = world.get("admin", f"/api/v1/hazards/{hazard_id}").json
        if expected == 200:
            assert after["version"] == before["version"] + 1
            assert after["history"][-1]["event"] == event
            assert after["history"][-1]["actor"]["id"] == world.user[role]
        else:
            assert answer.json["error"]["code"] == {409: "invalid_transition", 403: "forbidden", 404: "not_found"}[expected]
            assert {k: after[k] for k in ("state", "version", "deadline", "grade")} == \
                   {k: before[k] for k in ("state", "version", "deadline", "grade")}
            assert len(after["history"]) == len(before["history"])


@pytest.mark.parametrize("role", ROLES)
def test_allowed_events_are_exactly_what_succeeds(world, database, role):
    for state, grade, days in CASES:
        hazard_id = make_hazard(database, world, state=state, grade=grade, now=current()() - timedelta(days=days))
        if role == "worker2_a1" and state in ("reported", "rejected"):
            continue
        detail = world.get(role, f"/api/v1/hazards/{hazard_id}").json
        assert detail["allowed_events"] == [e for e in EVENTS if SOURCES[e] == state and may(e, role, grade)
                                            and (detail["overdue"] or not overdue_only(e))], (state, grade, days)


def test_the_responsible_user_never_closes_even_as_admin(world, database):
    hazard_id = make_hazard(database, world, state="rectified", responsible="officer_a1")
    assert world.fire("officer_a1", hazard_id, "close", note="自己验收").status_code == 403


def test_a_safety_officer_cannot_reach_another_enterprise(world, database):
    hazard_id = make_hazard(database, world, state="reported", enterprise="B1", reporter="worker_b1", responsible=None)
    assert world.fire("officer_a1", hazard_id, "assign", **plan()).status_code == 404


@pytest.mark.parametrize("event, fields, field", [
    ("assign", {**plan(), "measure": ""}, "measure"),
    ("assign", {k: v for k, v in plan().items() if k != "protective_measures"}, "protective_measures"),
    ("assign", {**plan(), "deadline": "2001-01-01"}, "deadline"),
    ("assign", {**plan(), "grade": "severe"}, "grade"),
    ("assign", {**plan(), "grade": "major"}, "funds"),
    ("assign", {**plan(), "grade": "major", "funds": "-1", "emergency_plan": "预案"}, "funds"),
    ("assign", {**plan(), "responsible_user_id": 999999}, "responsible_user_id"),
    ("assign", {**plan(), "colour": "red"}, "colour"),
    ("reject", {"reason": "duplicate"}, "duplicate_of"),
    ("reject", {"reason": "boring"}, "reason"),
])
def test_bad_fields_are_named_and_change_nothing(world, database, event, fields, field):
    hazard_id = make_hazard(database, world)
    answer = world.fire("officer_a1", hazard_id, event, **fields)
    assert answer.status_code == 422
    assert field in answer.json["error"]["fields"]
    assert world.get("officer_a1", f"/api/v1/hazards/{hazard_id}").json["state"] == "reported"


def test_assigning_a_worker_of_another_enterprise_is_refused(world, database):
    hazard_id = make_hazard(database, world)
    answer = world.fire("officer_a1", hazard_id, "assign", **plan(responsible_user_id=world.user["worker_b1"]))
    assert answer.status_code == 422 and "responsible_user_id" in answer.json["error"]["fields"]


def test_extend_must_move_the_deadline_later(world, database):
    hazard_id = make_hazard(database, world, state="assigned")
    detail = world.get("officer_a1", f"/api/v1/hazards/{hazard_id}").json
    answer = world.fire("officer_a1", hazard_id, "extend", deadline=detail["deadline"], reason="再等等")
    assert answer.status_code == 422 and "deadline" in answer.json["error"]["fields"]


def test_rectify_cannot_be_completed_in_the_future(world, database, clock):
    hazard_id = make_hazard(database, world, state="assigned")
    tomorrow = (clock.today() + timedelta(days=2)).isoformat()
    answer = world.fire("officer_a1", hazard_id, "rectify", note="好了", completed_on=tomorrow)
    assert answer.status_code == 422 and "completed_on" in answer.json["error"]["fields"]


def test_a_duplicate_names_its_original(world, database):
    original = make_hazard(database, world)
    copy = make_hazard(database, world)
    answer = world.fire("officer_a1", copy, "reject", reason="duplicate", duplicate_of=original)
    assert answer.status_code == 200 and answer.json["duplicate_of"] == original
    other = make_hazard(database, world, enterprise="B1", reporter="worker_b1", responsible=None)
    answer = world.fire("officer_a1", make_hazard(database, world), "reject", reason="duplicate", duplicate_of=other)
    assert answer.status_code == 422


def test_unknown_event_is_named(world, database):
    answer = world.fire("officer_a1", make_hazard(database, world), "explode")
    assert answer.status_code == 422 and "event" in answer.json["error"]["fields"]


def test_reopen_sends_it_back_with_a_new_deadline(world, database, clock):
    hazard_id = make_hazard(database, world, state="rectified")
    deadline = (clock.today() + timedelta(days=30)).isoformat()
    answer = world.fire("officer_a1", hazard_id, "reopen", reason="验收不合格", deadline=deadline)
    assert answer.status_code == 200
    assert answer.json["state"] == "assigned" and answer.json["deadline"] == deadline
    assert answer.json["rectified_at"] is None
