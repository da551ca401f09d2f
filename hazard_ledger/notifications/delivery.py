"""The outbox of external channels, and the `deliver` job that empties it.

Rows are written in the transaction of the event that caused them (so a rolled-back
event sends nothing), with a unique dedup key (so a repeated job queues nothing
twice). `deliver_due` then works in three short steps per batch:

1. claim: in one transaction, take due rows (FOR UPDATE SKIP LOCKED on PostgreSQL;
   SQLite's IMMEDIATE transaction serialises claimers), mark them `sending` with a
   claim token and a lease, read what sending them needs, commit;
2. send each with no transaction open and no connection held;
3. mark each `sent`, or schedule a retry with exponential backoff, or `failed` after
   the last attempt — each in a transaction of its own, only if the claim is still ours.

Two runs at once claim disjoint rows. A lost database connection (a restart,
pg_terminate_backend) costs a run nothing: steps 1 and 3 are tried again on a fresh
connection a few times, so what was sent is recorded as sent. A run killed between 1
and 3 leaves rows whose lease runs out; the next run takes them again. A message sent
just before its sender died can be sent again, under the same name: the
`Idempotency-Key` header of a webhook and the `Message-ID` of an e-mail are functions
of the delivery alone, for the receiver to drop the repeat."""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from hazard_ledger.db import Database, insert_new
from hazard_ledger.errors import NotFound, ValidationFailed
from hazard_ledger.notifications.channels import ChannelError, send_email, send_webhook
from hazard_ledger.notifications.kinds import (ENTERPRISE_HEARS, JURISDICTION_HEARS, KINDS, DeliveryStatus, WebhookKind,
                                               subject)
from hazard_ledger.notifications.models import Delivery, Webhook
from hazard_ledger.notifications.targets import AllowedHosts, RefusedTarget, check_url
from hazard_ledger.organisations import tree
from hazard_ledger.organisations.models import Enterprise, Jurisdiction
from hazard_ledger.sqltext import joined

if TYPE_CHECKING:
    from hazard_ledger.config import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


# what a delivery is as it enters the outbox, beside what its channel fills in
NEW_DELIVERY = {"status": DeliveryStatus.PENDING, "attempts": 0, "recipient": None, "webhook_id": None,
                "notification_id": None, "lease_until": None, "claim_token": None, "last_error": None, "sent_at": None}


def _insert_many(session: Session, rows: list[dict]) -> int:
    if not rows:
        return 0
    table = Delivery.__table__
    return len(insert_new(session, table, [{**row, "data": dict(row["data"])} for row in rows], [table.c.id]))


def email_key(notification_id):
    """The dedup key of a notification's e-mail copy (an id, or its SQL)."""
    return joined("email:", notification_id)


def webhook_key(webhook_id, kind, key):
    """The dedup key of an event's message to one group webhook."""
    return joined("webhook:", webhook_id, ":", kind, ":", key)


# The rows of the outbox, from Python values or, for a statement that writes them itself
# (a report on PostgreSQL: notifications/hazard_messages.py), from SQL expressions.

def email_row(notification_id, address, kind: str, message, data, now) -> dict:
    """A notification's e-mail copy."""
    return {**NEW_DELIVERY, "dedup_key": email_key(notification_id), "channel": "email", "recipient": address,
            "notification_id": notification_id, "kind": kind, "subject": subject(kind), "body": message,
            "data": data, "next_attempt_at": now, "created_at": now}


def webhook_row(webhook_id, kind: str, key, message, data, now) -> dict:
    """An event's message to one group webhook; `key` names the event."""
    return {**NEW_DELIVERY, "dedup_key": webhook_key(webhook_id, kind, key), "channel": "webhook", "webhook_id": webhook_id,
            "kind": kind, "subject": subject(kind), "body": message, "data": data, "next_attempt_at": now,
            "created_at": now}


def queue_emails(session: Session, emails: list[tuple[int, str, str, str, Mapping[str, Any]]], now: datetime) -> int:
    """E-mail copies of inbox notifications: (notification id, address, kind, message, data)."""
    return _insert_many(session, [email_row(notification_id, address, kind, message, data, now)
                                  for notification_id, address, kind, message, data in emails]) if emails else 0


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
                self._ancestors[enterprise_id] = tree.ancestors(self.session, enterprise.jurisdiction_id)
            hooks = [h for jid in self._ancestors[enterprise_id] for h in self.by_jurisdiction.get(jid, [])]
        return [hook for hook in hooks if hook.hears(kind)]


def announce_many(session: Session, announcements: list[Announcement], now: datetime,
                  directory: WebhookDirectory | None = None) -> int:
    """Queue one message per interested group webhook and event (not one per recipient)."""
    if not announcements:
        return 0
    directory = directory or WebhookDirectory(session)
    return _insert_many(session, [webhook_row(hook.id, a.kind, a.key, a.message, a.data, now)
                                  for a in announcements for hook in directory.hearing(a.enterprise_id, a.kind, a.audience)])


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


@dataclass(frozen=True)
class Claim:
    """Rows claimed by one run, read in the claim's transaction: the deliveries (detached
    from any session) and the webhooks they go to, by id."""

    token: str
    deliveries: list[Delivery]
    hooks: dict[int, Webhook]


def claim_due(database: Database, now: datetime, batch: int, lease: timedelta) -> Claim:
    token = secrets.token_hex(16)
    with database.unit_of_work() as session:
        due = (select(Delivery.id)
               .where(or_(Delivery.status == DeliveryStatus.PENDING,
                          (Delivery.status == DeliveryStatus.SENDING) & (Delivery.lease_until < now)),
                      Delivery.next_attempt_at <= now)
               .order_by(Delivery.next_attempt_at, Delivery.id).limit(batch))
        if database.is_postgresql:
            due = due.with_for_update(skip_locked=True)
        ids = list(session.scalars(due))
        if not ids:
            return Claim(token, [], {})
        session.execute(update(Delivery).where(Delivery.id.in_(ids))
                        .values(status=DeliveryStatus.SENDING, claim_token=token, lease_until=now + lease))
        found = {d.id: d for d in session.scalars(select(Delivery).where(Delivery.id.in_(ids)))}
        hook_ids = {d.webhook_id for d in found.values() if d.webhook_id is not None}
        hooks = {h.id: h for h in session.scalars(select(Webhook).where(Webhook.id.in_(hook_ids)))} if hook_ids else {}
    return Claim(token, [found[i] for i in ids], hooks)


def message_id(delivery: Delivery) -> str:
    """The e-mail Message-ID of a delivery, the same at every attempt: the id says which
    message it is, the hash of its dedup key and creation instant keeps two installations'
    "delivery-1" apart."""
    fingerprint = hashlib.sha256(f"{delivery.dedup_key}|{delivery.created_at.isoformat()}".encode()).hexdigest()[:16]
    return f"<delivery-{delivery.id}.{fingerprint}@hazard-ledger>"


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


def _send(delivery: Delivery, hook: Webhook | None, settings: Settings) -> str | None:
    """Send one claimed message; the reason it failed, or None. Touches no database."""
    timeout = settings["delivery"]["timeout_seconds"]
    body, data = with_link(delivery, settings["app"]["base_url"])
    try:
        if delivery.channel == "email":
            send_email(settings["smtp"], to=delivery.recipient, subject=delivery.subject, body=body,
                       delivery_id=delivery.id, message_id=message_id(delivery), timeout=timeout)
            return None
        if hook is None or not hook.active:
            raise ChannelError("webhook removed or disabled")
        send_webhook(hook.kind, hook.url, hook.secret, subject=delivery.subject, body=body, data=data,
                     delivery_id=delivery.id, timeout=timeout,
                     allowed_hosts=AllowedHosts(settings["delivery"]["allowed_hosts"]))
        return None
    except ChannelError as failure:
        return str(failure)


# pauses before trying again a step whose database connection was lost: the pool opens a
# fresh connection for each try; together well within a lease
RECONNECT_PAUSES = (0.2, 0.5, 1.0, 2.0, 4.0)


def _persistently(step: Callable[[], T], what: str) -> T:
    """`step()`, tried again after a lost connection (or a busy SQLite): each step is a
    whole transaction that is harmless to repeat."""
    for seconds in RECONNECT_PAUSES:
        try:
            return step()
        except (OperationalError, InterfaceError) as error:
            log.warning("deliver: %s failed (%s); trying again in %g s", what,
                        str(error.orig).strip().splitlines()[0] if error.orig else error, seconds)
            time.sleep(seconds)
    return step()


def deliver_due(database: Database, now: datetime, settings: Settings, max_batches: int = 20) -> DeliveryRun:
    """Send what is due at `now`, batch by batch, until nothing is due."""
    config = settings["delivery"]
    lease = timedelta(seconds=config["lease_seconds"])
    run = DeliveryRun()
    for _ in range(max_batches):
        claim = _persistently(lambda: claim_due(database, now, config["batch_size"], lease), "claiming")
        if not claim.deliveries:
            break
        claimed_at = time.monotonic()
        for delivery in claim.deliveries:
            if time.monotonic() - claimed_at >= lease.total_seconds():
                break  # the rest of the claim has lapsed: another run may be sending those now
            error = _send(delivery, claim.hooks.get(delivery.webhook_id), settings)
            outcome = _persistently(lambda: _record_outcome(database, delivery, claim.token, error, now, config),
                                    f"recording delivery {delivery.id}")
            if outcome == "sent":
                run.sent += 1
                continue
            run.errors.append(f"delivery {delivery.id}: {error}")
            if outcome == "failed":
                run.failed += 1
            else:
                run.retried += 1
    return run


def _record_outcome(database: Database, delivery: Delivery, token: str, error: str | None, now: datetime,
                    config: Mapping[str, Any]) -> str:
    """Mark a claimed delivery sent, pending again (a retry) or failed, in a transaction of
    its own and only if the claim is still ours; answers which."""
    ours = (Delivery.id == delivery.id) & (Delivery.claim_token == token)
    attempts = delivery.attempts + 1
    if error is None:
        outcome, values = "sent", {"status": DeliveryStatus.SENT, "sent_at": now, "last_error": None}
    elif attempts >= config["max_attempts"]:
        outcome, values = "failed", {"status": DeliveryStatus.FAILED, "last_error": error[:2000]}
    else:
        backoff = config["backoff_seconds"] * 2 ** (attempts - 1)
        outcome, values = "retried", {"status": DeliveryStatus.PENDING, "next_attempt_at": now + timedelta(seconds=backoff),
                                      "last_error": error[:2000]}
    with database.unit_of_work() as session:
        session.execute(update(Delivery).where(ours).values(attempts=attempts, lease_until=None, claim_token=None,
                                                            **values))
    return outcome


def list_deliveries(session: Session, status: str | None = None, limit: int = 200) -> list[Delivery]:
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status:
        query = query.where(Delivery.status == status)
    return list(session.scalars(query))


# ---- configuring webhooks ----------------------------------------------------------------

def add_webhook(session: Session, *, kind: str, url: str, secret: str | None, enterprise_id: int | None,
                jurisdiction_id: int | None, kinds: str | None, now: datetime,
                allowed_hosts: Sequence[str] = ()) -> Webhook:
    """A webhook of one enterprise or one jurisdiction (admins and the command line).
    Its URL may not point inside the service's network (targets.py) unless its host is
    in `allowed_hosts` (`[delivery] allowed_hosts`)."""
    if kind not in frozenset(WebhookKind):
        names = [member.value for member in WebhookKind]
        raise ValidationFailed.on("kind", f"须为 {'/'.join(names)} / one of {', '.join(names)}")
    try:
        check_url(url, AllowedHosts(allowed_hosts))
    except RefusedTarget as refusal:
        raise ValidationFailed.on("url", str(refusal)) from None
    if (enterprise_id is None) == (jurisdiction_id is None):
        raise ValidationFailed.on("enterprise_id", "须指定企业或工会组织之一 / give an enterprise or a jurisdiction, not both")
    if enterprise_id is not None and session.get(Enterprise, enterprise_id) is None:
        raise ValidationFailed.on("enterprise_id", "企业不存在 / no such enterprise")
    if jurisdiction_id is not None and session.get(Jurisdiction, jurisdiction_id) is None:
        raise ValidationFailed.on("jurisdiction_id", "工会组织不存在 / no such jurisdiction")
    wanted = kinds or ",".join(ENTERPRISE_HEARS if enterprise_id is not None else JURISDICTION_HEARS)
    unknown = [k for k in wanted.split(",") if k not in KINDS]
    if unknown:
        raise ValidationFailed.on("kinds", f"未知类型 / unknown kinds: {', '.join(unknown)}")
    hook = Webhook(kind=WebhookKind(kind), url=url, secret=secret or None, enterprise_id=enterprise_id,
                   jurisdiction_id=jurisdiction_id, kinds=wanted, active=True, created_at=now)
    session.add(hook)
    session.flush()
    return hook


def list_webhooks(session: Session) -> list[Webhook]:
    return list(session.scalars(select(Webhook).order_by(Webhook.id)))


def remove_webhook(session: Session, webhook_id: int) -> None:
    hook = session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound("webhook 不存在 / no such webhook")
    hook.active = False  # kept, so its past deliveries still name it
