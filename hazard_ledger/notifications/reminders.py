"""The reminders sweep: due_soon, overdue, escalation, stale_progress, untriaged.

Each query reads only the hazards that are due (state + deadline, state + timestamps,
all indexed), and only the columns a message needs, as plain rows: a city's sweep
touches thousands of hazards and needs none of them as ORM objects. Each message
carries a dedup key naming what it is about, so a sweep repeated for the same
instant, or late, sends nothing twice."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Mapping

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from hazard_ledger import access
from hazard_ledger.clock import local_today
from hazard_ledger.config import Settings
from hazard_ledger.enums import Grade, HazardState, Role
from hazard_ledger.hazards.models import Hazard, days_overdue
from hazard_ledger.notifications.delivery import Announcement, WebhookDirectory, announce_many
from hazard_ledger.notifications.operations import Message, notify_many
from hazard_ledger.organisations.models import Enterprise, User


@dataclass
class SweepResult:
    sent: Mapping[str, int]
    examined: int = 0  # hazard rows read: exactly the due ones

    def __str__(self) -> str:
        return ", ".join(f"{kind} {count}" for kind, count in self.sent.items()) or "nothing new to send"


class Recipients:
    """Safety officers per enterprise and inspectors up the union tree, looked up once
    per sweep."""

    def __init__(self, session: Session):
        self.session = session
        self._officers: dict[int, list[int]] | None = None
        self._inspectors: dict[int, list[int]] | None = None
        self._enterprises: dict[int, Enterprise] = {}
        self._chains: dict[int, list[int]] = {}

    def load_enterprises(self, ids: Iterable[int]) -> None:
        """Read the named enterprises in one query instead of one query each."""
        wanted = set(ids) - set(self._enterprises)
        if wanted:
            for enterprise in self.session.scalars(select(Enterprise).where(Enterprise.id.in_(wanted))):
                self._enterprises[enterprise.id] = enterprise

    def enterprise(self, enterprise_id: int) -> Enterprise:
        if enterprise_id not in self._enterprises:
            self.load_enterprises([enterprise_id])
        return self._enterprises[enterprise_id]

    def officers(self, enterprise_id: int) -> list[int]:
        if self._officers is None:
            self._officers = defaultdict(list)
            for uid, eid in self.session.execute(
                select(User.id, User.enterprise_id).where(User.role == Role.SAFETY_OFFICER, User.active.is_(True))
            ):
                self._officers[eid].append(uid)
        return self._officers.get(enterprise_id, [])

    def inspectors_above(self, enterprise_id: int) -> list[int]:
        if self._inspectors is None:
            self._inspectors = defaultdict(list)
            for uid, jid in self.session.execute(
                select(User.id, User.jurisdiction_id).where(User.role == Role.INSPECTOR, User.active.is_(True))
            ):
                self._inspectors[jid].append(uid)
        jurisdiction_id = self.enterprise(enterprise_id).jurisdiction_id
        if jurisdiction_id not in self._chains:
            self._chains[jurisdiction_id] = access.jurisdiction_ancestors(self.session, jurisdiction_id)
        return [uid for jid in self._chains[jurisdiction_id] for uid in self._inspectors.get(jid, [])]

    def rectifiers(self, hazard: Row) -> list[int]:
        people = list(self.officers(hazard.enterprise_id))
        if hazard.responsible_user_id and hazard.responsible_user_id not in people:
            people.append(hazard.responsible_user_id)
        return people


def _describe(hazard: Row, enterprise: Enterprise, base_url: str) -> str:
    return f"{enterprise.name} {hazard.code}（{hazard.location}）{base_url.rstrip('/')}/hazards/{hazard.id}"


def sweep_reminders(session: Session, now: datetime, settings: Settings) -> SweepResult:
    """Queue every reminder due at `now`; returns how many of each kind were new."""
    config = settings["notifications"]
    base_url = settings["app"]["base_url"]
    today = local_today(now, settings.timezone)
    recipients = Recipients(session)
    sent: dict[str, int] = defaultdict(int)

    messages: list[Message] = []
    announcements: list[Announcement] = []
    webhooks = WebhookDirectory(session)
    facts: dict[int, dict] = {}  # per hazard, shared by all its messages

    def send(kind: str, hazard: Row, people: Iterable[int], key: str, message: str,
             audience: str = "enterprise") -> None:
        hooks = webhooks.hearing(hazard.enterprise_id, kind, audience)
        if not people and not hooks:
            return
        if hazard.id not in facts:
            facts[hazard.id] = hazard_facts(hazard, recipients.enterprise(hazard.enterprise_id), today, base_url)
        data = {"kind": kind, "hazard": facts[hazard.id]}
        messages.extend(Message(kind, user_id, message, f"{kind}:{hazard.id}:{key}:{user_id}", hazard.id, data)
                        for user_id in people)
        if hooks:
            announcements.append(Announcement(kind, hazard.enterprise_id, audience, f"{hazard.id}:{key}", message, data))

    horizon = today + timedelta(days=config["due_soon_days"])
    stale_before = now - timedelta(days=config["stale_progress_days"])
    first = now - timedelta(days=config["untriaged_days"])
    later = now - timedelta(days=config["untriaged_escalation_days"])
    assigned = select(*FACTS).where(Hazard.state == HazardState.ASSIGNED)
    waiting = select(*FACTS).where(Hazard.state == HazardState.REPORTED)
    due_soon = session.execute(assigned.where(Hazard.deadline >= today, Hazard.deadline <= horizon)).all()
    overdue = session.execute(assigned.where(Hazard.deadline < today)).all()
    stale = session.execute(assigned.where(Hazard.last_progress_at < stale_before)).all()
    untriaged = session.execute(waiting.where(Hazard.reported_at <= first)).all()
    due = (due_soon, overdue, stale, untriaged)
    recipients.load_enterprises(hazard.enterprise_id for rows in due for hazard in rows)

    # due soon: once per deadline (a new deadline after `extend` earns a new reminder)
    for hazard in due_soon:
        where = _describe(hazard, recipients.enterprise(hazard.enterprise_id), base_url)
        days_left = (hazard.deadline - today).days
        send("due_soon", hazard, recipients.rectifiers(hazard), hazard.deadline.isoformat(),
             f"【整改即将到期】{where} 整改时限 {hazard.deadline.isoformat()}，还剩 {days_left} 天，请按期完成整改并记录。")

    # overdue: once per overdue day; escalation: once per level
    for hazard in overdue:
        enterprise = recipients.enterprise(hazard.enterprise_id)
        where = _describe(hazard, enterprise, base_url)
        days = (today - hazard.deadline).days
        send("overdue", hazard, recipients.rectifiers(hazard), today.isoformat(),
             f"【整改逾期】{where} 整改时限 {hazard.deadline.isoformat()}，已逾期 {days} 天，请立即整改或申请延期。")
        levels = config["major_escalation_days"] if hazard.grade is Grade.MAJOR else config["escalation_days"]
        for level in (level for level in levels if days >= level):
            send("escalation", hazard, recipients.inspectors_above(hazard.enterprise_id),
                 f"{hazard.deadline.isoformat()}:{level}",
                 f"【逾期督办】{where} {'重大' if hazard.grade is Grade.MAJOR else '一般'}隐患已逾期 {days} 天"
                 f"（时限 {hazard.deadline.isoformat()}，责任人 {hazard.responsible_person}），请督促整改。",
                 audience="jurisdiction")

    # stale progress: once per quiet spell (a new progress note starts a new one)
    for hazard in stale:
        where = _describe(hazard, recipients.enterprise(hazard.enterprise_id), base_url)
        send("stale_progress", hazard, recipients.rectifiers(hazard), hazard.last_progress_at.isoformat(),
             f"【整改情况未更新】{where} 已 {config['stale_progress_days']} 天以上未填写整改情况，请专人及时填写。")

    # untriaged: the safety officers first, the inspectors later
    for hazard in untriaged:
        where = _describe(hazard, recipients.enterprise(hazard.enterprise_id), base_url)
        send("untriaged", hazard, recipients.officers(hazard.enterprise_id), "officers",
             f"【隐患待处理】{where} 于 {_local(hazard.reported_at, settings)} 上报，尚未确认，请尽快核实并制定整改方案。")
        if hazard.reported_at <= later:
            send("untriaged", hazard, recipients.inspectors_above(hazard.enterprise_id), "inspectors",
                 f"【隐患久未处理】{where} 上报已超过 {config['untriaged_escalation_days']} 天仍未确认，请督促企业处理。",
                 audience="jurisdiction")
    # written in a few statements at the end: the cost is the due rows, not round trips
    for message in notify_many(session, messages, now):
        sent[message.kind] += 1
    announce_many(session, announcements, now, webhooks)
    session.flush()
    return SweepResult(dict(sent), examined=sum(len(rows) for rows in due))


# the columns a reminder needs
FACTS = (Hazard.id, Hazard.code, Hazard.enterprise_id, Hazard.location, Hazard.state, Hazard.grade, Hazard.deadline,
         Hazard.responsible_person, Hazard.responsible_user_id, Hazard.last_progress_at, Hazard.reported_at)


def hazard_facts(hazard: Row, enterprise: Enterprise, today: date, base_url: str) -> dict:
    """What a message is about, as data for webhooks: what to do, where, by when."""
    return {
        "id": hazard.id, "code": hazard.code, "enterprise": enterprise.name, "location": hazard.location,
        "state": hazard.state.value, "grade": hazard.grade.value if hazard.grade else None,
        "deadline": hazard.deadline.isoformat() if hazard.deadline else None,
        "days_overdue": days_overdue(hazard.state, hazard.deadline, today),
        "link": f"{base_url.rstrip('/')}/hazards/{hazard.id}",
    }


def _local(moment: datetime, settings: Settings) -> str:
    return moment.astimezone(settings.timezone).strftime("%Y-%m-%d %H:%M")


