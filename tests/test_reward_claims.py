"""Claiming an anonymous award with the receipt: exactly one claim wins, however many
press the button at once (issue "Trust", item 10)."""

import threading

import pytest
from sqlalchemy import select

from hazard_ledger.rewards.models import Award
from tests.test_rewards import anonymous_report, assign_by_receipt

THREADS = 20


def claim_body(number: int) -> dict:
    return {"name": f"职工{number}", "phone": f"1370000{number:04d}", "payout_account": f"6222 0000 1111 {number:04d}"}


@pytest.mark.slow
def test_one_of_twenty_simultaneous_claims_wins(app, world, client, database):
    receipt = anonymous_report(world, client)
    hazard_id = assign_by_receipt(world, database, receipt)
    start = threading.Barrier(THREADS)
    answers: list[tuple[int, dict, int]] = []
    lock = threading.Lock()

    def press(number: int):
        own = app.test_client()
        start.wait()
        answer = own.post(f"/api/v1/public/receipts/{receipt}/claim", json=claim_body(number))
        with lock:
            answers.append((answer.status_code, answer.json, number))

    threads = [threading.Thread(target=press, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(status for status, _, _ in answers) == [200] + [409] * (THREADS - 1)
    assert {body["error"]["code"] for status, body, _ in answers if status == 409} == {"conflict"}
    winner = next(number for status, _, number in answers if status == 200)
    with database.unit_of_work(write=False) as session:
        award = session.scalar(select(Award).where(Award.hazard_id == hazard_id))
        # the claim on record is the one that was told it succeeded, whole
        assert (award.claim_name, award.claim_phone, award.claim_account) == tuple(claim_body(winner).values())


def test_claims_one_after_another_only_the_first_counts(world, client, database):
    receipt = anonymous_report(world, client)
    hazard_id = assign_by_receipt(world, database, receipt)
    statuses = [client.post(f"/api/v1/public/receipts/{receipt}/claim", json=claim_body(n)).status_code
                for n in range(5)]
    assert statuses == [200, 409, 409, 409, 409]
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(Award.claim_name).where(Award.hazard_id == hazard_id)) == "职工0"
