"""Twenty people press the same button at once: exactly one wins."""

import threading

import pytest

from hazard_ledger.hazards import chain
from tests.factories import make_hazard, plan

pytestmark = pytest.mark.slow
THREADS = 20


def test_one_of_twenty_simultaneous_transitions_wins(app, world, database):
    hazard_id = make_hazard(database, world)
    headers = world.auth("officer_a1")
    start = threading.Barrier(THREADS)
    statuses: list[int] = []
    codes: list[str] = []
    lock = threading.Lock()

    def press():
        client = app.test_client()
        start.wait()
        answer = client.post(f"/api/v1/hazards/{hazard_id}/transitions", headers=headers,
                             json={"event": "assign", "version": 1, **plan()})
        with lock:
            statuses.append(answer.status_code)
            if answer.status_code != 200:
                codes.append(answer.json["error"]["code"])

    threads = [threading.Thread(target=press) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [200] + [409] * (THREADS - 1)
    assert set(codes) <= {"conflict", "invalid_transition"}
    detail = world.get("officer_a1", f"/api/v1/hazards/{hazard_id}").json
    assert [entry["event"] for entry in detail["history"]] == ["report", "assign"]
    assert detail["version"] == 2
    inbox = world.get("worker2_a1", "/api/v1/notifications").json["items"]
    assert inbox == []  # plan() names no responsible user: nobody was notified, and nothing twice


def test_simultaneous_reports_get_consecutive_codes(app, world, database, clock):
    headers = world.auth("worker_a1")
    start = threading.Barrier(10)
    codes: list[str] = []
    lock = threading.Lock()

    def report():
        client = app.test_client()
        start.wait()
        answer = client.post("/api/v1/hazards", headers=headers, json={"location": "车间", "description": "漏油"})
        with lock:
            codes.append(answer.json.get("code", answer.status_code))

    threads = [threading.Thread(target=report) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    year = clock.today().year
    assert sorted(codes) == [f"YH-{year}-{n:06d}" for n in range(1, 11)]  # distinct, and no number skipped
    with database.unit_of_work(write=False) as session:
        assert list(chain.verify_all(session)) == []  # each first link hashed over its own code


def test_simultaneous_notes_without_a_version_all_land_in_the_chain(app, world, database):
    """Progress notes fired at once without `version` each wait their turn (a row lock in a
    transaction; a fresh read and a second try in a session of one statement on
    PostgreSQL): all of them land, in one unbroken chain."""
    hazard_id = make_hazard(database, world, state="assigned")
    headers = world.auth("officer_a1")
    writers = 5
    start = threading.Barrier(writers)
    statuses: list[int] = []

    def note(n: int):
        client = app.test_client()
        start.wait()
        answer = client.post(f"/api/v1/hazards/{hazard_id}/transitions", headers=headers,
                             json={"event": "progress", "note": f"进展 {n}"})
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=note, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [200] * writers
    detail = world.get("officer_a1", f"/api/v1/hazards/{hazard_id}").json
    assert sorted(entry["data"]["note"] for entry in detail["history"][2:]) == [f"进展 {n}" for n in range(writers)]
    with database.unit_of_work(write=False) as session:
        assert list(chain.verify_all(session)) == []
