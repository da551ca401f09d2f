"""The reminders sweep: each kind at the right instant, once, to the right people."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.notifications.delivery import add_webhook
from hazard_ledger.notifications.models import Delivery, Notification
from hazard_ledger.notifications.reminders import sweep_reminders
from hazard_ledger.organisations.models import User
from tests.conftest import assign_fields

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday morning
DEADLINE = date(2026, 3, 12)


def local(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def make_hazard(database, world):
    def make(state="assigned", grade="general", deadline=DEADLINE, reported=START, enterprise="A1"):
        with database.unit_of_work() as session:
            reporter = session.get(User, world.user["worker_a1" if enterprise == "A1" else "worker_b1"])
            hazard = ops.report_as_user(session, reporter, ops.Report("二号车间", "配电箱漏电"), None, reported, SHANGHAI)
            officer = session.get(User, world.user["officer_a1" if enterprise == "A1" else "officer_b1"])
            if state == "reported":
                return hazard.id
            fields = assign_fields(grade=grade, deadline=deadline.isoformat(),
                                   responsible_user_id=world.user["worker2_a1"] if enterprise == "A1" else None)
            if grade == "major":
                fields.update(funds="50000", emergency_plan="专项应急预案")
            ops.transition(session, officer, hazard.id, "assign", fields, version=None, now=reported + timedelta(hours=1),
                           zone=SHANGHAI)
            at = reported + timedelta(hours=2)
            if state in ("rectified", "closed"):
                ops.transition(session, officer, hazard.id, "rectify", {"note": "done", "completed_on": at.date().isoformat()},
                               version=None, now=at, zone=SHANGHAI)
            if state == "closed":
                ops.transition(session, officer, hazard.id, "close", {"note": "ok"}, version=None, now=at, zone=SHANGHAI)
            return hazard.id
    return make


@pytest.fixture
def sweep(database, settings, world):
    names = {uid: name for name, uid in world.user.items()}

    def run(at: datetime) -> dict[str, set[str]]:
        """Sweep at `at`; return the new notifications as {kind: {recipient names}}."""
        with database.unit_of_work() as session:
            before = session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0
            sweep_reminders(session, at, settings)
            new = session.execute(select(Notification.kind, Notification.recipient_user_id)
                                  .where(Notification.id > before)).all()
        found: dict[str, set[str]] = {}
        for kind, uid in new:
            found.setdefault(kind, set()).add(names[uid])
        return found
    return run


RECTIFIERS = {"officer_a1", "worker2_a1"}
INSPECTORS_ABOVE_A = {"inspector_a", "inspector_city"}


def test_due_soon_once_three_days_ahead(make_hazard, sweep):
    make_hazard()
    assert "due_soon" not in sweep(local(DEADLINE - timedelta(days=4)))
    assert sweep(local(DEADLINE - timedelta(days=3)))["due_soon"] == RECTIFIERS
    assert sweep(local(DEADLINE - timedelta(days=3))) == {}
    assert "due_soon" not in sweep(local(DEADLINE - timedelta(days=1)))


def test_overdue_once_per_day_from_local_midnight(make_hazard, sweep):
    make_hazard()
    assert "overdue" not in sweep(local(DEADLINE, 23, 59))
    assert sweep(local(DEADLINE + timedelta(days=1), 0, 0))["overdue"] == RECTIFIERS
    assert "overdue" not in sweep(local(DEADLINE + timedelta(days=1), 18, 0))
    assert sweep(local(DEADLINE + timedelta(days=2)))["overdue"] == RECTIFIERS


def test_escalation_at_seven_days_then_each_level_up_the_tree(make_hazard, sweep):
    make_hazard()
    assert "escalation" not in sweep(local(DEADLINE + timedelta(days=6)))
    assert sweep(local(DEADLINE + timedelta(days=7)))["escalation"] == INSPECTORS_ABOVE_A
    assert "escalation" not in sweep(local(DEADLINE + timedelta(days=8)))
    assert sweep(local(DEADLINE + timedelta(days=14)))["escalation"] == INSPECTORS_ABOVE_A
    assert sweep(local(DEADLINE + timedelta(days=30)))["escalation"] == INSPECTORS_ABOVE_A


def test_a_major_hazard_escalates_after_one_day(make_hazard, sweep):
    make_hazard(grade="major")
    assert sweep(local(DEADLINE + timedelta(days=1)))["escalation"] == INSPECTORS_ABOVE_A


def test_a_late_first_run_sends_the_highest_passed_level_once(make_hazard, sweep, database):
    make_hazard()
    assert sweep(local(DEADLINE + timedelta(days=20)))["escalation"] == INSPECTORS_ABOVE_A
    assert "escalation" not in sweep(local(DEADLINE + timedelta(days=21)))
    assert escalation_levels(database) == {"inspector_a": [14], "inspector_city": [14]}


def escalation_levels(database) -> dict[str, list[int]]:
    """The levels of the escalation notices each inspector received (the level ends the occasion of the dedup key)."""
    with database.unit_of_work(write=False) as session:
        rows = session.execute(select(User.username, Notification.dedup_key).join(User, User.id == Notification.recipient_user_id)
                               .where(Notification.kind == "escalation").order_by(Notification.id)).all()
    found: dict[str, list[int]] = {}
    for username, key in rows:
        found.setdefault(username, []).append(int(key.split(":")[-2]))
    return found


@pytest.mark.parametrize("grade, highest", [("general", 30), ("major", 14)])
def test_the_first_sweep_after_a_long_gap_sends_only_the_highest_level(make_hazard, sweep, database, world, grade,
                                                                       highest):
    hazard_id = make_hazard(grade=grade)
    with database.unit_of_work() as session:  # the county's group robot hears escalations too
        add_webhook(session, kind="generic", url="https://robot.example/send", secret=None, kinds=None,
                    now=START, enterprise_id=None, jurisdiction_id=world.jurisdiction["A"])
    assert sweep(local(DEADLINE + timedelta(days=31)))["escalation"] == INSPECTORS_ABOVE_A
    assert escalation_levels(database) == {"inspector_a": [highest], "inspector_city": [highest]}
    with database.unit_of_work(write=False) as session:
        robot = session.scalars(select(Delivery).where(Delivery.channel == "webhook", Delivery.kind == "escalation")).all()
    assert [d.dedup_key.rsplit(":", 1)[-1] for d in robot] == [str(highest)] and str(hazard_id) in robot[0].dedup_key
    # the levels passed over are never sent later
    for day in (31, 32, 45, 90):
        assert "escalation" not in sweep(local(DEADLINE + timedelta(days=day)))
    assert escalation_levels(database) == {"inspector_a": [highest], "inspector_city": [highest]}


def test_stale_progress_after_seven_quiet_days(make_hazard, sweep, database, world):
    hazard_id = make_hazard(deadline=date(2026, 6, 30))
    assigned_at = START + timedelta(hours=1)
    assert "stale_progress" not in sweep(assigned_at + timedelta(days=6, hours=23))
    assert sweep(assigned_at + timedelta(days=7, minutes=1))["stale_progress"] == RECTIFIERS
    assert "stale_progress" not in sweep(assigned_at + timedelta(days=8))
    with database.unit_of_work() as session:
        worker = session.get(User, world.user["worker2_a1"])
        ops.transition(session, worker, hazard_id, "progress", {"note": "材料到货"}, version=None,
                       now=assigned_at + timedelta(days=9), zone=SHANGHAI)
    assert "stale_progress" not in sweep(assigned_at + timedelta(days=12))
    assert sweep(assigned_at + timedelta(days=16, minutes=1))["stale_progress"] == RECTIFIERS


def test_untriaged_to_officers_after_a_day_and_inspectors_after_three(make_hazard, sweep):
    make_hazard(state="reported")
    assert sweep(START + timedelta(hours=23)) == {}
    assert sweep(START + timedelta(days=1, minutes=1)) == {"untriaged": {"officer_a1"}}
    assert sweep(START + timedelta(days=2)) == {}
    assert sweep(START + timedelta(days=3, minutes=1)) == {"untriaged": INSPECTORS_ABOVE_A}


def test_inspectors_of_another_county_hear_nothing(make_hazard, sweep):
    make_hazard(enterprise="B1")
    found = sweep(local(DEADLINE + timedelta(days=7)))
    assert found["escalation"] == {"inspector_b", "inspector_city"}
    assert found["overdue"] == {"officer_b1"}


@pytest.mark.parametrize("state", ["rectified", "closed"])
def test_nothing_for_finished_hazards(make_hazard, sweep, state):
    make_hazard(state=state)
    assert sweep(local(DEADLINE + timedelta(days=40))) == {}


def test_nothing_for_rejected_hazards(make_hazard, sweep, database, world):
    hazard_id = make_hazard(state="reported")
    with database.unit_of_work() as session:
        officer = session.get(User, world.user["officer_a1"])
        ops.transition(session, officer, hazard_id, "reject", {"reason": "not_a_hazard"}, version=None,
                       now=START + timedelta(hours=2), zone=SHANGHAI)
    assert sweep(START + timedelta(days=10)) == {}


def test_messages_say_what_to_do(make_hazard, sweep, database):
    make_hazard()
    sweep(local(DEADLINE + timedelta(days=7)))
    with database.unit_of_work(write=False) as session:
        message = session.scalar(select(Notification.message).where(Notification.kind == "escalation").limit(1))
    assert "YH-2026-" in message and "企业A1" in message and "二号车间" in message
    assert "逾期 7 天" in message and "http://hazard-ledger.test/hazards/" in message


def test_every_kind_says_exactly_this(make_hazard, sweep, database):
    """The whole text of each kind, word for word: the database composes it, and a
    change of wording must be a decision, not an accident of a dialect."""
    overdue = make_hazard(grade="major")
    soon = make_hazard(deadline=DEADLINE + timedelta(days=9))
    waiting = make_hazard(state="reported", reported=local(DEADLINE + timedelta(days=7), 14, 5) - timedelta(days=3))
    sweep(local(DEADLINE + timedelta(days=7)))
    with database.unit_of_work(write=False) as session:
        found = {(kind, hazard_id): message for kind, hazard_id, message in session.execute(
            select(Notification.kind, Notification.hazard_id, Notification.message)
            .where(Notification.kind.not_in(("assigned", "reported"))))}  # the sweep's kinds
        codes = dict(session.execute(select(Hazard.id, Hazard.code)).all())
    link = "http://hazard-ledger.test/hazards/"

    def where(hazard_id):
        return f"企业A1 {codes[hazard_id]}（二号车间）{link}{hazard_id}"

    assert found == {
        ("overdue", overdue): f"【整改逾期】{where(overdue)} 整改时限 2026-03-12，已逾期 7 天，请立即整改或申请延期。",
        ("escalation", overdue): f"【逾期督办】{where(overdue)} 重大隐患已逾期 7 天（时限 2026-03-12，责任人 张三），请督促整改。",
        ("due_soon", soon): f"【整改即将到期】{where(soon)} 整改时限 2026-03-21，还剩 2 天，请按期完成整改并记录。",
        ("stale_progress", overdue): f"【整改情况未更新】{where(overdue)} 已 7 天以上未填写整改情况，请专人及时填写。",
        ("stale_progress", soon): f"【整改情况未更新】{where(soon)} 已 7 天以上未填写整改情况，请专人及时填写。",
        ("untriaged", waiting): f"【隐患待处理】{where(waiting)} 于 2026-03-16 14:05 上报，尚未确认，请尽快核实并制定整改方案。",
    }


def test_reminders_reach_those_with_an_address_by_email_too(make_hazard, sweep, database, world):
    hazard_id = make_hazard()
    with database.unit_of_work() as session:
        session.get(User, world.user["officer_a1"]).email = None  # no address: the inbox only
    sweep(local(DEADLINE + timedelta(days=2)))
    with database.unit_of_work(write=False) as session:
        inbox = {n.recipient_user_id: n for n in session.scalars(select(Notification).where(Notification.kind == "overdue"))}
        copies = session.scalars(select(Delivery).where(Delivery.channel == "email", Delivery.kind == "overdue")).all()
    assert set(inbox) == {world.user[name] for name in RECTIFIERS}
    copy, = copies
    assert copy.recipient == "worker2_a1@example.test"
    assert copy.notification_id == inbox[world.user["worker2_a1"]].id and copy.body == inbox[world.user["worker2_a1"]].message
    assert copy.data["hazard"]["id"] == hazard_id and copy.data["hazard"]["days_overdue"] == 2
    assert copy.data["hazard"]["enterprise"] == "企业A1"


def test_ids_go_to_the_database_a_few_thousand_at_a_time():
    from hazard_ledger.notifications.reminders import _in_batches

    assert list(_in_batches({5, 3, 1, 4, 2}, size=2)) == [[1, 2], [3, 4], [5]]
    assert list(_in_batches(set())) == []
