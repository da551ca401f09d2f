"""The outbox of external channels, and the `deliver` job that empties it.

Rows are written in the transaction of the event that caused them (so a rolled-back
event sends nothing), with a unique dedup key (so a repeated job queues nothing
twice). `deliver_due` then works in three short steps per batch:

1. claim: in one transaction, take due rows (FOR UPDATE SKIP LOCKED on PostgreSQL;
   SQLite's IMMEDIATE transaction serialises claimers), mark them `sending` with a
   claim token and a lease, commit;
2. send each, outside any transaction;
3. mark each `sent`, or schedule a retry with exponential backoff, or `failed` after
   the last attempt — only if the claim is still ours.

Two runs at once claim disjoint rows. A run killed between 1 and 3 leaves rows whose
lease runs out; the next run takes them again. A message sent just before its sender
died can be sent again: its delivery id travels as the idempotency key
(`Idempotency-Key` header, e-mail `Message-ID`) for the receiver to drop the repeat."""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hazard_ledger import access
from hazard_ledger.config import Settings
from hazard_ledger.db import Database, insert_new
from hazard_ledger.notifications.channels import ChannelError, send_email, send_webhook
from hazard_ledger.notifications.models import Delivery, Webhook
from hazard_ledger.organisations.models import Enterprise

SUBJECTS = {
    "assigned": "隐患整改任务", "due_soon": "整改即将到期", "overdue": "整改逾期", "escalation": "逾期督办",
    "stale_progress": "整改情况未更新", "untriaged": "隐患待处理", "training_due": "安全培训提醒",
    "drill_due": "应急演练提醒", "reward": "隐患举报奖励", "statistics_due": "统计报送提醒",
    "inspection_missed": "隐患排查未完成",
}
# what a webhook of an enterprise, or of a jurisdiction, hears unless told otherwise
ENTERPRISE_KINDS = "assigned,due_soon,overdue,stale_progress,untriaged"
JURISDICTION_KINDS = "escalation,untriaged"


def _insert_many(session: Session, rows: list[dict]) -> int:
    if not rows:
        return 0
    table = Delivery.__table__
    defaults = {"status": "pending", "attempts": 0, "recipient": None, "webhook_id": None, "notification_id": None,
                "lease_until": None, "claim_token": None, "last_error": None, "sent_at": None}
    return len(insert_new(session, table, [{**defaults, **row} for row in rows], [table.c.id]))


def queue_emails(session: Session, emails: list[tuple[int, str, str, str, Mapping[str, Any]]], now: datetime) -> int:
    """E-mail copies of inbox notifications: (notification id, address, kind, message, data)."""
    return _insert_many(session, [
        {"dedup_key": f"email:{notification_id}", "channel": "email", "recipient": address,
         "notification_id": notification_id, "kind": kind, "subject": f"【{SUBJECTS.get(kind, kind)}】", "body": message,
         "data": dict(data), "next_attempt_at": now, "created_at": now}
        for notification_id, address, kind, message, data in emails
    ]) if emails else 0


@dataclass(frozen=True)
class Announcement:
    kind: str
    enterprise_id: int
    audience: str  # "enterprise": its own webhooks; "jurisdiction": those of the unions above it
    key: str
    message: str
    data: Mapping[str, Any]


class WebhookDirectory:
    """The active webhooks, read once, and who hears what."""

    def __init__(self, session: Session):
        self.session = session
        hooks = list(session.scalars(select(Webhook).where(Webhook.active.is_(True)).order_by(Webhook.id)))
        self.by_enterprise: dict[int, list[Webhook]] = defaultdict(list)
        self.by_jurisdiction: dict[int, list[Webhook]] = defaultdict(list)
        for hook in hooks:
            if hook.enterprise_id is not None:
                self.by_enterprise[hook.enterprise_id].append(hook)
            else:
                self.by_jurisdiction[hook.jurisdiction_id].append(hook)
        self._ancestors: dict[int, list[int]] = {}

    def hearing(self, enterprise_id: int, kind: str, audience: str) -> list[Webhook]:
        if audience == "enterprise":
            hooks = self.by_enterprise.get(enterprise_id, [])
        elif not self.by_jurisdiction:
            hooks = []
        else:
            if enterprise_id not in self._ancestors:
                enterprise = self.session.get(Enterprise, enterprise_id)
                self._ancestors[enterprise_id] = access.jurisdiction_ancestors(self.session, enterprise.jurisdiction_id)
            hooks = [h for jid in self._ancestors[enterprise_id] for h in self.by_jurisdiction.get(jid, [])]
        return [hook for hook in hooks if hook.hears(kind)]


def announce_many(session: Session, announcements: list[Announcement], now: datetime,
                  directory: WebhookDirectory | None = None) -> int:
    """Queue one message per interested group webhook and event (not one per recipient)."""
    if not announcements:
        return 0
    directory = directory or WebhookDirectory(session)
    return _insert_many(session, [
        {"dedup_key": f"webhook:{hook.id}:{a.kind}:{a.key}", "channel": "webhook", "webhook_id": hook.id,
         "kind": a.kind, "subject": f"【{SUBJECTS.get(a.kind, a.kind)}】", "body": a.message, "data": dict(a.data),
         "next_attempt_at": now, "created_at": now}
        for a in announcements for hook in directory.hearing(a.enterprise_id, a.kind, a.audience)
    ])


def announce(session: Session, *, kind: str, enterprise_id: int, audience: str, key: str, message: str,
             data: Mapping[str, Any], now: datetime) -> int:
    return announce_many(session, [Announcement(kind, enterprise_id, audience, key, message, data)], now)


# ---- the deliver job ------------------------------------------------------------------

@dataclass
class DeliveryRun:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"sent {self.sent}, to retry {self.retried}, failed {self.failed}"


def claim_due(database: Database, now: datetime, batch: int, lease: timedelta) -> tuple[str, list[int]]:
    token = secrets.token_hex(16)
    with database.unit_of_work() as session:
        due = (select(Delivery.id)
               .where(or_(Delivery.status == "pending",
                          (Delivery.status == "sending") & (Delivery.lease_until < now)),
                      Delivery.next_attempt_at <= now)
               .order_by(Delivery.next_attempt_at, Delivery.id).limit(batch))
        if database.is_postgresql:
            due = due.with_for_update(skip_locked=True)
        ids = list(session.scalars(due))
        if ids:
            session.execute(update(Delivery).where(Delivery.id.in_(ids))
                            .values(status="sending", claim_token=token, lease_until=now + lease))
    return token, ids


def with_link(delivery: Delivery, base_url: str) -> tuple[str, dict]:
    """Body and data with an absolute link to the hazard: messages written where the
    public address is not known (a transition) carry the path only."""
    data = dict(delivery.data)
    hazard = dict(data.get("hazard") or {})
    if hazard.get("id") is not None:
        link = hazard.get("link") or f"/hazards/{hazard['id']}"
        if link.startswith("/"):
            link = base_url.rstrip("/") + link
        hazard["link"] = link
        data["hazard"] = hazard
        if link not in delivery.body:
            return f"{delivery.body}\n详情 / details: {link}", data
    return delivery.body, data


def _send(session: Session, delivery: Delivery, settings: Settings) -> None:
    timeout = settings["delivery"]["timeout_seconds"]
    body, data = with_link(delivery, settings["app"]["base_url"])
    if delivery.channel == "email":
        send_email(settings["smtp"], to=delivery.recipient, subject=delivery.subject, body=body,
                   delivery_id=delivery.id, timeout=timeout)
        return
    hook = session.get(Webhook, delivery.webhook_id)
    if hook is None or not hook.active:
        raise ChannelError("webhook removed or disabled")
    send_webhook(hook.kind, hook.url, hook.secret, subject=delivery.subject, body=body, data=data,
                 delivery_id=delivery.id, timeout=timeout)


def deliver_due(database: Database, now: datetime, settings: Settings, max_batches: int = 20) -> DeliveryRun:
    """Send what is due at `now`, batch by batch, until nothing is due."""
    config = settings["delivery"]
    lease = timedelta(seconds=config["lease_seconds"])
    run = DeliveryRun()
    for _ in range(max_batches):
        token, ids = claim_due(database, now, config["batch_size"], lease)
        if not ids:
            break
        for delivery_id in ids:
            with database.unit_of_work(write=False) as session:
                delivery = session.get(Delivery, delivery_id)
                session.expunge(delivery)
                try:
                    _send(session, delivery, settings)
                    error = None
                except ChannelError as failure:
                    error = str(failure)
            _record_outcome(database, delivery, token, error, now, config, run)
    return run


def _record_outcome(database: Database, delivery: Delivery, token: str, error: str | None, now: datetime,
                    config: Mapping[str, Any], run: DeliveryRun) -> None:
    ours = (Delivery.id == delivery.id) & (Delivery.claim_token == token)
    with database.unit_of_work() as session:
        if error is None:
            session.execute(update(Delivery).where(ours).values(
                status="sent", sent_at=now, attempts=delivery.attempts + 1, lease_until=None, claim_token=None,
                last_error=None))
            run.sent += 1
            return
        attempts = delivery.attempts + 1
        run.errors.append(f"delivery {delivery.id}: {error}")
        if attempts >= config["max_attempts"]:
            values = {"status": "failed"}
            run.failed += 1
        else:
            backoff = config["backoff_seconds"] * 2 ** (attempts - 1)
            values = {"status": "pending", "next_attempt_at": now + timedelta(seconds=backoff)}
            run.retried += 1
        session.execute(update(Delivery).where(ours).values(attempts=attempts, last_error=error[:2000],
                                                            lease_until=None, claim_token=None, **values))


def list_deliveries(session: Session, status: str | None = None, limit: int = 200) -> list[Delivery]:
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status:
        query = query.where(Delivery.status == status)
    return list(session.scalars(query))


# ---- configuring webhooks ----------------------------------------------------------------

WEBHOOK_KINDS = ("generic", "dingtalk", "wecom")


def add_webhook(session: Session, *, kind: str, url: str, secret: str | None, enterprise_id: int | None,
                jurisdiction_id: int | None, kinds: str | None, now: datetime) -> Webhook:
    """A webhook of one enterprise or one jurisdiction (admins and the command line)."""
    from hazard_ledger.errors import ValidationFailed
    from hazard_ledger.notifications.operations import KINDS
    from hazard_ledger.organisations.models import Jurisdiction

    if kind not in WEBHOOK_KINDS:
        raise ValidationFailed.on("kind", f"须为 {'/'.join(WEBHOOK_KINDS)} / one of {', '.join(WEBHOOK_KINDS)}")
    if not url.startswith(("https://", "http://")):
        raise ValidationFailed.on("url", "须为 http(s) 地址 / must be an http(s) URL")
    if (enterprise_id is None) == (jurisdiction_id is None):
        raise ValidationFailed.on("enterprise_id", "须指定企业或工会组织之一 / give an enterprise or a jurisdiction, not both")
    if enterprise_id is not None and session.get(Enterprise, enterprise_id) is None:
        raise ValidationFailed.on("enterprise_id", "企业不存在 / no such enterprise")
    if jurisdiction_id is not None and session.get(Jurisdiction, jurisdiction_id) is None:
        raise ValidationFailed.on("jurisdiction_id", "工会组织不存在 / no such jurisdiction")
    wanted = kinds or (ENTERPRISE_KINDS if enterprise_id is not None else JURISDICTION_KINDS)
    unknown = [k for k in wanted.split(",") if k not in KINDS]
    if unknown:
        raise ValidationFailed.on("kinds", f"未知类型 / unknown kinds: {', '.join(unknown)}")
    hook = Webhook(kind=kind, url=url, secret=secret or None, enterprise_id=enterprise_id,
                   jurisdiction_id=jurisdiction_id, kinds=wanted, active=True, created_at=now)
    session.add(hook)
    session.flush()
    return hook


def list_webhooks(session: Session) -> list[Webhook]:
    return list(session.scalars(select(Webhook).order_by(Webhook.id)))


def remove_webhook(session: Session, webhook_id: int) -> None:
    from hazard_ledger.errors import NotFound

    hook = session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound("webhook 不存在 / no such webhook")
    hook.active = False  # kept, so its past deliveries still name it
