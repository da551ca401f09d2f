"""Kinds and statuses (issue 16, item 4): one vocabulary each, in the code and as CHECK
constraints in the database, added by migration 0014 (and widened by 0015) without losing a row."""

import importlib
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from hazard_ledger.migrations import downgrade, upgrade
from hazard_ledger.notifications.kinds import (ENTERPRISE_HEARS, JURISDICTION_HEARS, KINDS, SUBJECTS, DeliveryStatus,
                                               Kind, WebhookKind, subject)
from hazard_ledger.rewards.models import AwardStatus
from tests.conftest import new_database

MIGRATION = importlib.import_module("hazard_ledger.migrations.versions.0014_kinds_and_statuses")
WIDENED = importlib.import_module("hazard_ledger.migrations.versions.0015_report_supervision_nudge_kinds")


def test_every_kind_has_its_subject_and_the_default_hearing_is_of_kinds():
    assert set(SUBJECTS) == set(Kind)
    assert subject("assigned") == "【隐患整改任务】"
    assert set(ENTERPRISE_HEARS) | set(JURISDICTION_HEARS) <= KINDS
    assert "assigned" in KINDS and "bogus" not in KINDS


def test_the_checks_allow_exactly_the_vocabularies():
    """A new member needs a migration that widens its CHECK: this says so the day it is added."""
    vocabularies = {"awards": AwardStatus, "deliveries": DeliveryStatus, "webhooks": WebhookKind,
                    "notifications": Kind}
    latest = {table: values for table, (_name, _column, values) in MIGRATION.CHECKS.items()}
    assert set(latest["notifications"]) == set(WIDENED.BEFORE)
    latest["notifications"] = WIDENED.AFTER
    for table, values in latest.items():
        assert set(values) == {member.value for member in vocabularies[table]}, table


NOW = datetime(2026, 12, 3, 4, 0, tzinfo=timezone.utc)


def _fill(connection) -> None:
    """A notification and a webhook, each with a delivery: the rows a rebuild could lose."""
    connection.execute(text("INSERT INTO jurisdictions (id, code, name, level, created_at) "
                            "VALUES (1, 'CITY', 'c', 'city', :at)"), {"at": NOW})
    connection.execute(text("INSERT INTO enterprises (id, code, name, jurisdiction_id, high_risk, unionized, "
                            "report_token, created_at) VALUES (1, 'E', 'e', 1, false, true, 't', :at)"), {"at": NOW})
    connection.execute(text("INSERT INTO users (id, username, password_hash, role, enterprise_id, active, created_at) "
                            "VALUES (1, 'u', 'x', 'worker', 1, true, :at)"), {"at": NOW})
    connection.execute(text("INSERT INTO notifications (id, kind, recipient_user_id, message, dedup_key, created_at) "
                            "VALUES (7, 'overdue', 1, 'm', 'k1', :at)"), {"at": NOW})
    connection.execute(text("INSERT INTO webhooks (id, enterprise_id, kind, url, kinds, active, created_at) "
                            "VALUES (3, 1, 'dingtalk', 'https://example.com/h', 'assigned', true, :at)"), {"at": NOW})
    for delivery_id, column, parent in ((11, "notification_id", 7), (12, "webhook_id", 3)):
        connection.execute(text(f"INSERT INTO deliveries (id, dedup_key, channel, {column}, kind, subject, body, data, "
                                f"status, attempts, next_attempt_at, created_at) VALUES (:id, :key, 'email', :parent, "
                                f"'overdue', 's', 'b', '{{}}', 'sent', 1, :at, :at)"),
                           {"id": delivery_id, "key": f"d{delivery_id}", "parent": parent, "at": NOW})


def _rows(connection) -> dict:
    return {table: connection.execute(text(f"SELECT id FROM {table} ORDER BY id")).scalars().all()
            for table in ("notifications", "webhooks", "deliveries")}


def _bogus_kind_refused(engine) -> bool:
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO notifications (kind, recipient_user_id, message, dedup_key, "
                                    "created_at) VALUES ('bogus', 1, 'm', 'k2', :at)"), {"at": NOW})
    except IntegrityError:
        return True
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM notifications WHERE dedup_key = 'k2'"))
    return False


def test_migration_0014_adds_the_checks_and_keeps_every_row(backend, tmp_path):
    with new_database(backend, tmp_path, revision="0013") as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            _fill(connection)
        assert not _bogus_kind_refused(engine)
        upgrade(url, "0014")
        with engine.connect() as connection:
            assert _rows(connection) == {"notifications": [7], "webhooks": [3], "deliveries": [11, 12]}
        assert _bogus_kind_refused(engine)
        with pytest.raises(IntegrityError):
            with engine.begin() as connection:
                connection.execute(text("UPDATE deliveries SET status = 'lost' WHERE id = 11"))
        downgrade(url, "0013")
        with engine.connect() as connection:
            assert _rows(connection) == {"notifications": [7], "webhooks": [3], "deliveries": [11, 12]}
        assert not _bogus_kind_refused(engine)
        engine.dispose()


def test_migration_0015_widens_the_kinds_and_keeps_every_row(backend, tmp_path):
    with new_database(backend, tmp_path, revision="0014") as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            _fill(connection)
        upgrade(url, "0015")
        with engine.begin() as connection:
            assert _rows(connection) == {"notifications": [7], "webhooks": [3], "deliveries": [11, 12]}
            connection.execute(text("INSERT INTO notifications (id, kind, recipient_user_id, message, dedup_key, "
                                    "created_at) VALUES (8, 'reported', 1, 'm', 'k3', :at)"), {"at": NOW})
        assert _bogus_kind_refused(engine)
        downgrade(url, "0014")
        with engine.connect() as connection:
            assert _rows(connection) == {"notifications": [7], "webhooks": [3], "deliveries": [11, 12]}
        assert _bogus_kind_refused(engine)
        engine.dispose()
