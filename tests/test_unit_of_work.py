"""The request's unit of work is the app's, not the views' (hazard_ledger/web/db.py): a
view that answers normally is committed without calling commit; a view that raises, an
error answer, a page that discards its failed operation and any GET leave nothing
written; a conflict at the commit is the 409 of the error envelope."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flask import render_template_string
from sqlalchemy import delete, func, select

from hazard_ledger.errors import NotFound
from hazard_ledger.organisations.levels import Level
from hazard_ledger.organisations.models import Jurisdiction
from hazard_ledger.web import db
from hazard_ledger.web.idempotency import idempotent
from tests.test_api import assert_error


def _add(code: str) -> None:
    """A write the view leaves pending: nothing flushed, nothing committed by the view."""
    db.session().add(Jurisdiction(code=code, name="测试工会", level=Level.CITY, created_at=datetime.now(timezone.utc)))


@pytest.fixture
def views(app):
    """Views written as the service's are, added before the app's first request."""
    app.config["WTF_CSRF_ENABLED"] = False

    def returns_normally():
        _add("normal")
        return {"written": True}, 201

    def raises():
        _add("raised")
        db.session().flush()
        raise NotFound("没有 / not there")

    def answers_an_error():
        _add("error-answer")
        db.session().flush()
        return {"error": {"code": "validation_error", "message": "no"}}, 422

    def form_again_after_a_failed_operation():
        _add("partial")
        db.session().flush()
        db.discard()  # the operation failed half-way: the page shows the form again, with its errors
        return render_template_string("<p>{{ n }} written</p>", n=db.session().scalar(
            select(func.count()).select_from(Jurisdiction).where(Jurisdiction.code == "partial")))

    def reads():
        _add("by-a-get")
        return {"read": True}

    for rule, view, methods in [
        ("/api/v1/_uow/normal", returns_normally, ["POST"]),
        ("/api/v1/_uow/raises", raises, ["POST"]),
        ("/api/v1/_uow/error-answer", answers_an_error, ["POST"]),
        ("/_uow/form", form_again_after_a_failed_operation, ["POST"]),
        ("/api/v1/_uow/reads", reads, ["GET"]),
        ("/api/v1/_uow/keyed", idempotent(returns_normally), ["POST"]),
    ]:
        app.add_url_rule(rule, rule, view, methods=methods)
    return app


def _codes(database) -> set[str]:
    with database.engine.connect() as other:  # what another connection sees: committed rows only
        return set(other.scalars(select(Jurisdiction.code)))


def test_a_view_that_returns_normally_is_committed_without_calling_commit(views, client, database):
    answer = client.post("/api/v1/_uow/normal")
    assert answer.status_code == 201
    assert _codes(database) == {"normal"}


def test_a_view_that_raises_leaves_nothing_written(views, client, database):
    answer = client.post("/api/v1/_uow/raises")
    assert_error(answer, 404, "not_found")
    assert _codes(database) == set()


def test_an_error_answer_leaves_nothing_written(views, client, database):
    assert client.post("/api/v1/_uow/error-answer").status_code == 422
    assert _codes(database) == set()


def test_a_page_that_shows_its_form_again_after_a_failed_operation_leaves_nothing_written(views, client, database):
    answer = client.post("/_uow/form")
    # answered 200 (the form again), yet the discarded write is neither seen by the page nor committed
    assert answer.status_code == 200 and "0 written" in answer.get_data(as_text=True)
    assert _codes(database) == set()


def test_a_conflict_at_the_commit_is_a_409_with_the_envelope(views, client, database):
    with database.unit_of_work() as session:
        # the code the view adds is taken meanwhile: its write fails at the commit, after the view answered
        session.add(Jurisdiction(code="normal", name="已有", level=Level.CITY, created_at=datetime.now(timezone.utc)))
    answer = client.post("/api/v1/_uow/normal")
    assert_error(answer, 409, "conflict")
    assert _codes(database) == {"normal"}


def test_under_an_idempotency_key_the_answer_is_stored_with_the_write_or_not_at_all(views, client, database):
    with database.unit_of_work() as session:
        session.add(Jurisdiction(code="normal", name="已有", level=Level.CITY, created_at=datetime.now(timezone.utc)))
    keyed = {"Idempotency-Key": "uow-1"}
    assert_error(client.post("/api/v1/_uow/keyed", headers=keyed), 409, "conflict")
    with database.unit_of_work() as session:
        session.execute(delete(Jurisdiction))
    first = client.post("/api/v1/_uow/keyed", headers=keyed)  # the conflict kept no answer: judged anew
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = client.post("/api/v1/_uow/keyed", headers=keyed)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert _codes(database) == {"normal"}


def test_a_get_stays_read_only(views, client, database):
    assert client.get("/api/v1/_uow/reads").status_code == 200
    assert _codes(database) == set()
