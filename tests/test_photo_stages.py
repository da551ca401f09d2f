"""Before/after photos, chained (issue 17, item 9): each photo has the stage of the event it
came with, its sha256 is in that event's history entry, `audit verify` checks each stored
file against it, the pages show 整改前 / 整改后 side by side, and migration 0016 gives the
photos stored before it their stage."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select, text

from hazard_ledger.cli import cli
from hazard_ledger.db import Database, UTCDateTime
from hazard_ledger.enums import Role
from hazard_ledger.errors import ValidationFailed
from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.models import Attachment, HazardEvent
from hazard_ledger.migrations import downgrade, upgrade
from hazard_ledger.organisations.models import User
from hazard_ledger.security import Passwords
from tests import factories
from tests.conftest import FAST_HASHING, PNG, World, new_database
from tests.factories import SHANGHAI, make_hazard, plan
from tests.test_api import upload
from tests.test_work_pages import login
from tests.test_worker_pages import report


def photo(colour: str) -> bytes:
    """A JPEG of one colour: each colour a different file (and sha256)."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "JPEG")
    return out.getvalue()


def csrf_and_version(page: str) -> dict:
    return {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1),
            "version": re.search(r'name="version" value="(\d+)"', page).group(1)}


def entries(database, hazard_id: int) -> list[HazardEvent]:
    with database.unit_of_work(write=False) as session:
        return list(session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard_id)
                                    .order_by(HazardEvent.seq)))


def photos_of(database, hazard_id: int) -> list[Attachment]:
    with database.unit_of_work(write=False) as session:
        return ops.attachments_of(session, hazard_id)


def rectify_on_the_page(client, hazard_id: int, *pictures: bytes, note: str = "已更换绝缘垫"):
    page = client.get(f"/hazards/{hazard_id}").text
    data = {**csrf_and_version(page), "note": note, "completed_on": factories.local_today().isoformat(),
            "photos": [(io.BytesIO(picture), f"after-{n}.jpg") for n, picture in enumerate(pictures)]}
    return client.post(f"/hazards/{hazard_id}/events/rectify", data=data, content_type="multipart/form-data")


@pytest.fixture
def verify(database_url, settings):
    def run():
        return CliRunner().invoke(cli, ["audit", "verify"], env={"HAZARD_LEDGER_DATABASE_URL": database_url,
                                                                 "HAZARD_LEDGER_UPLOAD_DIR": str(settings.upload_dir)})
    return run


def test_the_report_forms_photos_are_chained_by_the_report_entry(client, world, database):
    assert report(client, world.report_token["A1"], photos=[(io.BytesIO(photo("red")), "a.jpg")]).status_code == 303
    (hazard_id,) = [h.id for h in factories_hazards(database)]
    (stored,) = photos_of(database, hazard_id)
    first = entries(database, hazard_id)[0]
    assert first.event == "report" and first.data["photos"] == [stored.sha256]
    assert (stored.stage, stored.entry_seq, stored.uploaded_by_user_id) == ("report", 1, None)


def factories_hazards(database):
    from tests.test_worker_pages import hazards
    return hazards(database)


def test_rectify_on_the_hazard_page_takes_photos_and_chains_their_sha256(client, world, database, settings, verify):
    hazard_id = make_hazard(database, world, state="assigned")
    login(client, "officer_a1")
    answer = rectify_on_the_page(client, hazard_id, photo("green"), photo("blue"))
    assert answer.status_code == 302, answer.text
    rectify = entries(database, hazard_id)[-1]
    stored = photos_of(database, hazard_id)
    assert rectify.event == "rectify" and rectify.data["photos"] == [p.sha256 for p in stored]
    assert [(p.stage, p.entry_seq) for p in stored] == [("rectify", rectify.seq)] * 2
    for p in stored:  # stored as named, with the thumbnail made at upload
        assert hashlib.sha256(ops.attachment_path(settings.upload_dir, p).read_bytes()).hexdigest() == p.sha256
        assert ops.attachment_path(settings.upload_dir, p).with_name(p.sha256 + ".thumb.jpg").is_file()
    assert verify().exit_code == 0


def test_a_photo_refused_on_the_page_changes_nothing_and_is_named_next_to_the_photos(client, world, database):
    hazard_id = make_hazard(database, world, state="assigned")
    login(client, "officer_a1")
    answer = rectify_on_the_page(client, hazard_id, b"<html>not a photo</html>", note="保留我写的说明")
    assert answer.status_code == 422
    photos_field = re.search(r'for="rectify-photos".*?</div>', answer.text, re.S).group(0)
    assert "JPEG" in photos_field and "保留我写的说明" in answer.text
    assert [e.event for e in entries(database, hazard_id)] == ["report", "assign"] and not photos_of(database, hazard_id)


def test_photos_beyond_the_forms_allowance_are_named_next_to_the_photos_never_a_dead_end(client, world, database,
                                                                                        settings):
    hazard_id = make_hazard(database, world, state="assigned")
    login(client, "officer_a1")
    beyond = b"\0" * (6 * (settings["uploads"]["max_bytes"] + 64 * 1024))
    body = (b'--b\r\nContent-Disposition: form-data; name="photos"; filename="huge.jpg"\r\n\r\n' + beyond
            + b"\r\n--b--\r\n")  # bytes, not a file: the test client keeps no temporary file open
    refused = client.post(f"/hazards/{hazard_id}/events/rectify", data=body, content_type="multipart/form-data; boundary=b")
    assert refused.status_code == 413
    photos_field = re.search(r'for="rectify-photos".*?</div>', refused.text, re.S).group(0)
    assert "照片太大" in photos_field and re.search(r'<details[^>]*\bopen\b[^>]*data-event="rectify"', refused.text)
    assert [e.event for e in entries(database, hazard_id)] == ["report", "assign"]


def test_only_progress_rectify_and_close_take_photos(world, database, settings):
    hazard_id = make_hazard(database, world, state="reported")
    stored = ops.store_photo(io.BytesIO(photo("red")), ops.Uploads(settings.upload_dir, 1 << 20, 10 ** 7))
    with database.unit_of_work() as session:
        officer = session.get(User, world.user["officer_a1"])
        with pytest.raises(ValidationFailed) as refused:
            ops.transition(session, officer, hazard_id, "assign", plan(), version=None,
                           now=factories.current()(), zone=SHANGHAI, photos=[stored])
    assert "photos" in refused.value.fields


def test_a_photo_sent_on_its_own_is_chained_by_an_entry_of_its_own_and_hides_a_reporter(world, database, verify):
    hazard = world.report("worker_a1")
    answer = upload(world, "worker_a1", hazard["id"], photo("red"))
    assert answer.status_code == 201 and set(answer.json) == {"id", "content_type", "size", "sha256"}  # the contract's
    own = entries(database, hazard["id"])[-1]
    assert (own.event, own.seq, own.from_state, own.to_state) == ("photo", 2, "reported", "reported")
    assert own.data == {"stage": "report", "photos": [answer.json["sha256"]]}
    detail = world.get("officer_a1", f"/api/v1/hazards/{hazard['id']}").json
    assert detail["version"] == hazard["version"] + 1
    assert [entry["actor"] for entry in detail["history"]] == [None, None]  # the reporter, as confidential
    assert "Worker A1" not in world.get("officer_a1", f"/api/v1/hazards/{hazard['id']}").text
    assert world.get("inspector_a", f"/api/v1/hazards/{hazard['id']}").json["history"][1]["actor"]["name"] == "Worker A1"
    assert world.fire("officer_a1", hazard["id"], "assign", **plan()).status_code == 200
    assert upload(world, "officer_a1", hazard["id"], photo("blue")).status_code == 201
    detail = world.get("officer_a1", f"/api/v1/hazards/{hazard['id']}").json
    assert [p["stage"] for p in detail["attachments"]] == ["report", "progress"]
    history = detail["history"]
    assert history[-1]["actor"]["name"] == "Officer A1" and history[-1]["data"]["stage"] == "progress"
    assert verify().exit_code == 0


@pytest.mark.parametrize("tampering", ["changed", "missing", "swapped"])
def test_audit_verify_finds_a_tampered_photo(world, database, client, settings, verify, tampering):
    hazard_id = make_hazard(database, world, state="assigned")
    login(client, "officer_a1")
    assert rectify_on_the_page(client, hazard_id, photo("green")).status_code == 302
    assert verify().exit_code == 0
    (stored,) = photos_of(database, hazard_id)
    path = ops.attachment_path(settings.upload_dir, stored)
    if tampering == "changed":  # the file edited in place: a retouched photo
        path.write_bytes(photo("yellow"))
        expected = "was changed"
    elif tampering == "missing":
        path.unlink()
        expected = "is missing"
    else:  # the row pointed at another stored file: not the photo the entry chained
        other = ops.store_photo(io.BytesIO(photo("black")), ops.Uploads(settings.upload_dir, 1 << 20, 10 ** 7))
        with database.engine.begin() as connection:
            connection.execute(text("UPDATE attachments SET sha256 = :sha WHERE id = :id"),
                               {"sha": other.sha256, "id": stored.id})
        expected = "is not a photo this entry chained"
    result = verify()
    assert result.exit_code != 0
    code = ops_code(database, hazard_id)
    assert f"BROKEN {code}" in result.output and expected in result.output


def ops_code(database, hazard_id: int) -> str:
    with database.unit_of_work(write=False) as session:
        return session.execute(text("SELECT code FROM hazards WHERE id = :id"), {"id": hazard_id}).scalar_one()


@pytest.mark.parametrize("language, words", [("zh", ("整改前", "整改后", "补充照片")),
                                             ("en", ("Before", "After", "Photo added"))])
def test_the_hazard_page_shows_before_and_after_side_by_side(world, database, client, language, words):
    hazard_id = make_hazard(database, world, state="assigned")
    assert upload(world, "worker_a1", hazard_id, photo("red")).status_code == 201  # the worker, still 整改中
    with database.engine.begin() as connection:  # as if it came with the report
        connection.execute(text("UPDATE attachments SET stage = 'report'"))
    login(client, "officer_a1")
    assert rectify_on_the_page(client, hazard_id, photo("green")).status_code == 302
    page = client.get(f"/hazards/{hazard_id}?lang={language}").text
    before, after = (re.search(rf'data-stage="{side}">(.*?)</figure>', page, re.S).group(1)
                     for side in ("before", "after"))
    (before_photo,), (after_photo,) = photos_of(database, hazard_id)[:1], photos_of(database, hazard_id)[1:]
    assert words[0] in before and f"/files/{before_photo.id}" in before and f"/files/{after_photo.id}" not in before
    assert words[1] in after and f"/files/{after_photo.id}" in after
    assert words[2] in page  # the photo's own entry in the timeline
    assert "Worker A1" not in page  # who added it: the reporter, whom an officer never sees
    assert 'type="file" name="photos"' in page  # the progress form takes photos too
    sheet = client.get(f"/hazards/{hazard_id}/print?lang={language}").text  # the A4 sheet: the same two columns
    assert re.search(rf'data-stage="before">.*?/files/{before_photo.id}".*?data-stage="after">.*?/files/{after_photo.id}"',
                     sheet, re.S)


def test_the_receipt_page_shows_the_reports_photos_and_the_rectifications_never_who(client, world, database):
    answer = report(client, world.report_token["A1"], name="王五", photos=[(io.BytesIO(photo("red")), "a.jpg")])
    receipt = re.search(r'data-testid="receipt">([^<]+)<', client.get(answer.headers["Location"]).text).group(1)
    (hazard_id,) = [h.id for h in factories_hazards(database)]
    assert world.fire("officer_a1", hazard_id, "assign", **plan()).status_code == 200
    login(client, "officer_a1")
    assert rectify_on_the_page(client, hazard_id, photo("green")).status_code == 302
    factories.sign_out(client)  # the reporter's page, as the reporter opens it
    status = client.get(f"/receipt/{receipt}").text
    before, after = (re.search(rf'data-stage="{side}">(.*?)</figure>', status, re.S).group(1)
                     for side in ("before", "after"))
    assert "整改前" in before and "整改后" in after
    for side in (before, after):
        (address,) = re.findall(rf'src="(/receipt/{receipt}/photos/\d+)"', side)
        with client.get(address) as served:
            assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert "Officer A1" not in status and "王五" not in status


def test_migration_0016_gives_existing_photos_the_stage_they_were_uploaded_in(backend, tmp_path, clock):
    with new_database(backend, tmp_path, revision="0015") as url:
        database = Database(url)
        try:
            built, t0 = World(), clock()
            with database.unit_of_work() as session:
                factories.jurisdiction(session, built, "CITY", "市总工会")
                factories.enterprise(session, built, "A1", "CITY")
                for username, role in (("officer_a1", Role.SAFETY_OFFICER), ("worker_a1", Role.WORKER)):
                    factories.user(session, built, Passwords(*FAST_HASHING.values()), username, role, "A1")
            hazard_id = make_hazard(database, built, responsible=None, now=t0)
            with database.unit_of_work() as session:
                officer = session.get(User, built.user["officer_a1"])
                for hours, event, fields in ((1, "assign", plan()), (2, "rectify", {"note": "好了", "completed_on":
                                              factories.local_today().isoformat()}), (3, "close", {"note": "合格"})):
                    ops.transition(session, officer, hazard_id, event, fields, version=None,
                                   now=t0 + timedelta(hours=hours), zone=SHANGHAI)
            # the photos as revision 0015 stored them (no stage): when each was uploaded
            moments = {"a": t0 - timedelta(hours=1), "b": t0, "c": t0 + timedelta(minutes=30),
                       "d": t0 + timedelta(hours=1, minutes=30), "e": t0 + timedelta(hours=2), "f": t0 + timedelta(hours=4)}
            attachments = sa.table("attachments", sa.column("id"), sa.column("hazard_id"), sa.column("content_type"),
                                   sa.column("size"), sa.column("sha256"), sa.column("uploaded_at", UTCDateTime()))
            with database.engine.begin() as connection:
                connection.execute(attachments.insert(), [
                    {"id": n, "hazard_id": hazard_id, "content_type": "image/png", "size": len(PNG),
                     "sha256": hashlib.sha256(PNG).hexdigest(), "uploaded_at": moment}
                    for n, moment in enumerate(moments.values(), start=1)])
            upgrade(url, "0016")
            with database.engine.connect() as connection:
                rows = connection.execute(text("SELECT stage, entry_seq FROM attachments ORDER BY id")).all()
            assert [tuple(row) for row in rows] == [("report", None), ("report", None), ("report", None),
                                                    ("progress", None), ("rectify", None), ("close", None)]
            files = tmp_path / "uploads"
            path = ops.attachment_path(files, Attachment(sha256=hashlib.sha256(PNG).hexdigest()))
            path.parent.mkdir(parents=True)
            path.write_bytes(PNG)
            env = {"HAZARD_LEDGER_DATABASE_URL": url, "HAZARD_LEDGER_UPLOAD_DIR": str(files)}
            assert CliRunner().invoke(cli, ["audit", "verify"], env=env).exit_code == 0  # unchained, but whole
            path.write_bytes(photo("red"))
            assert "was changed" in CliRunner().invoke(cli, ["audit", "verify"], env=env).output
            downgrade(url, "0015")
            with database.engine.connect() as connection:
                assert connection.execute(text("SELECT count(*) FROM attachments")).scalar_one() == 6
        finally:
            database.dispose()
