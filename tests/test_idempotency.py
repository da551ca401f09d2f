"""Idempotency-Key on every POST of the API (CONTRACT §7), on both databases: a retry
answers the first answer and writes nothing more; another request under the key, or a
malformed key, is a 422 naming the header; the key belongs to its caller for 24 hours."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hazard_ledger.hazards.models import Attachment, Hazard, HazardEvent
from hazard_ledger.reliability.models import IdempotencyKey
from tests.conftest import JPEG
from tests.factories import plan
from tests.test_api import assert_error

REPORT = {"location": "三号仓库", "description": "灭火器压力不足"}


def count(database, what, *where) -> int:
    with database.unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(what).where(*where))


def keyed(world, username: str, key: str) -> dict:
    return {**world.auth(username), "Idempotency-Key": key}


def test_a_retried_report_answers_the_first_answer_and_writes_once(world, client, database):
    first = client.post("/api/v1/hazards", json=REPORT, headers=keyed(world, "worker_a1", "report-1"))
    again = client.post("/api/v1/hazards", json=REPORT, headers=keyed(world, "worker_a1", "report-1"))
    assert first.status_code == again.status_code == 201
    assert again.data == first.data and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count(database, Hazard) == 1 and count(database, HazardEvent) == 1
    # without a key, or with another, the same body is another report
    assert world.post("worker_a1", "/api/v1/hazards", json=REPORT).status_code == 201
    assert client.post("/api/v1/hazards", json=REPORT, headers=keyed(world, "worker_a1", "report-2")).status_code == 201
    assert count(database, Hazard) == 3


def test_the_same_key_with_another_request_is_422_naming_the_header(world, client, database):
    headers = keyed(world, "worker_a1", "k")
    assert client.post("/api/v1/hazards", json=REPORT, headers=headers).status_code == 201
    other = client.post("/api/v1/hazards", json={**REPORT, "location": "四号仓库"}, headers=headers)
    assert_error(other, 422, "validation_error", "Idempotency-Key")
    # another path is another request too
    hazard_id = client.post("/api/v1/hazards", json=REPORT, headers=headers).json["id"]
    elsewhere = client.post(f"/api/v1/hazards/{hazard_id}/transitions", json=REPORT, headers=headers)
    assert_error(elsewhere, 422, "validation_error", "Idempotency-Key")
    assert count(database, Hazard) == 1


@pytest.mark.parametrize("key", ["", " " * 0 + "x" * 201, "tab\there", "caf\u00e9", "new\nline"])
def test_a_malformed_key_is_422_naming_the_header(world, client, database, key):
    headers = world.auth("worker_a1")
    answer = client.post("/api/v1/hazards", json=REPORT,
                         environ_overrides={"HTTP_IDEMPOTENCY_KEY": key}, headers=headers)
    assert_error(answer, 422, "validation_error", "Idempotency-Key")
    assert count(database, Hazard) == 0


def test_keys_of_200_printable_characters_are_accepted(world, client):
    for key in ("a", "~" * 200, "2026-12-03 report #7 (retry)"):
        assert client.post("/api/v1/hazards", json=REPORT, headers=keyed(world, "worker_a1", key)).status_code == 201


def test_a_key_belongs_to_its_caller(world, client, database):
    mine = client.post("/api/v1/hazards", json=REPORT, headers=keyed(world, "worker_a1", "shared"))
    theirs = client.post("/api/v1/hazards", json=REPORT, headers=keyed(world, "worker2_a1", "shared"))
    assert mine.status_code == theirs.status_code == 201 and mine.json["id"] != theirs.json["id"]
    assert count(database, Hazard) == 2


def test_a_key_is_kept_24_hours(world, client, database, app, clock):
    headers = keyed(world, "worker_a1", "daily")
    assert client.post("/api/v1/hazards", json=REPORT, headers=headers).status_code == 201
    later = clock() + timedelta(hours=23, minutes=59)
    clock.set(later)
    headers = keyed(world, "worker_a1", "daily")  # signed in again: a token lives 12 hours
    assert client.post("/api/v1/hazards", json=REPORT, headers=headers).headers.get("Idempotent-Replayed") == "true"
    clock.advance(minutes=2)
    fresh = client.post("/api/v1/hazards", json=REPORT, headers=headers)
    assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh.headers
    assert count(database, Hazard) == 2 and count(database, IdempotencyKey) == 1


def test_a_refused_request_keeps_nothing_so_its_corrected_retry_runs(world, client, database):
    headers = keyed(world, "worker_a1", "fix-and-retry")
    assert_error(client.post("/api/v1/hazards", json={"location": "三号仓库"}, headers=headers),
                 422, "validation_error", "description")
    assert client.post("/api/v1/hazards", json=REPORT, headers=headers).status_code == 201
    assert count(database, IdempotencyKey) == 1


def test_a_retried_transition_is_not_fired_twice(world, client, database):
    hazard = world.report("worker_a1")
    headers = keyed(world, "officer_a1", "assign-1")
    body = {"event": "assign", "version": hazard["version"], **plan()}
    del body["responsible_user_id"]
    first = client.post(f"/api/v1/hazards/{hazard['id']}/transitions", json=body, headers=headers)
    again = client.post(f"/api/v1/hazards/{hazard['id']}/transitions", json=body, headers=headers)
    assert first.status_code == 200 and again.data == first.data  # not a 409 for the stale version
    assert count(database, HazardEvent, HazardEvent.hazard_id == hazard["id"]) == 2


def test_a_retried_upload_with_another_multipart_boundary_stores_one_photo(world, client, database):
    from io import BytesIO

    hazard = world.report("worker_a1")
    path = f"/api/v1/hazards/{hazard['id']}/attachments"
    answers = [client.post(path, data={"file": (BytesIO(JPEG), "photo.jpg")}, content_type="multipart/form-data",
                           headers=keyed(world, "worker_a1", "photo-1")) for _ in range(2)]
    assert answers[0].status_code == answers[1].status_code == 201 and answers[0].data == answers[1].data
    assert count(database, Attachment) == 1
    other = client.post(path, data={"file": (BytesIO(JPEG + b"\x00"), "photo.jpg")}, content_type="multipart/form-data",
                        headers=keyed(world, "worker_a1", "photo-1"))
    assert_error(other, 422, "validation_error", "Idempotency-Key")


def test_a_public_report_is_keyed_by_its_report_token_and_its_receipt_is_not_stored(world, client, database):
    path = f"/api/v1/public/enterprises/{world.report_token['A1']}/hazards"
    body = {**REPORT, "anonymous": True}
    first = client.post(path, json=body, headers={"Idempotency-Key": "qr-1"})
    again = client.post(path, json=body, headers={"Idempotency-Key": "qr-1"})
    assert first.status_code == again.status_code == 201 and again.json == first.json
    assert count(database, Hazard) == 1
    # the same key on another enterprise's form is another report
    other = client.post(f"/api/v1/public/enterprises/{world.report_token['A2']}/hazards", json=body,
                        headers={"Idempotency-Key": "qr-1"})
    assert other.status_code == 201 and other.json["code"] != first.json["code"]
    # the receipt is shown once and stored hashed: the kept answer is sealed, and the key hashed
    with database.unit_of_work(write=False) as session:
        for row in session.scalars(select(IdempotencyKey)):
            assert first.json["receipt"].encode() not in row.answer and b"qr-1" not in row.answer
            assert "qr-1" not in row.key_hash
    # the receipt works
    assert client.get(f"/api/v1/public/receipts/{first.json['receipt']}").status_code == 200


def test_two_requests_with_one_key_at_once_write_once(world, client, database, app):
    headers = keyed(world, "worker_a1", "together")
    start, answers = threading.Barrier(4), []

    def send():
        with app.test_client() as own:
            start.wait()
            answers.append(own.post("/api/v1/hazards", json=REPORT, headers=headers))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.data for a in answers}) == 1
    assert count(database, Hazard) == 1


def test_every_post_of_the_api_documents_the_key(client):
    document = client.get("/api/v1/openapi.json").json
    for path, item in document["paths"].items():
        if "post" in item:
            assert "Idempotency-Key" in [p.get("name") for p in item["post"].get("parameters", [])], path
        for method in set(item) - {"post", "parameters"}:
            assert "Idempotency-Key" not in [p.get("name") for p in item[method].get("parameters", [])], (method, path)


def test_old_keys_are_forgotten_by_the_idempotency_job(world, client, database, runtime, clock):
    from hazard_ledger.jobs import run_job

    assert client.post("/api/v1/hazards", json=REPORT, headers=keyed(world, "worker_a1", "old")).status_code == 201
    assert run_job(runtime, "idempotency", clock()) == {"forgotten": 0}
    assert run_job(runtime, "idempotency", clock() + timedelta(hours=24, seconds=1)) == {"forgotten": 1}
    assert count(database, IdempotencyKey) == 0


def test_a_keyed_multipart_request_of_any_shape_is_never_a_500(world, client):
    from io import BytesIO

    hazard = world.report("worker_a1")
    for _ in range(2):
        data = {"file": [(BytesIO(b"not an image"), "a.txt"), (BytesIO(JPEG), "")], "note": ["a", "b"], "": "x"}
        answer = client.post(f"/api/v1/hazards/{hazard['id']}/attachments", data=data,
                             content_type="multipart/form-data", headers=keyed(world, "worker_a1", "odd-upload"))
        assert answer.status_code < 500, answer.data
