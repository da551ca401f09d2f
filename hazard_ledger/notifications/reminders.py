"""The reminders sweep: due_soon, overdue, escalation, stale_progress, untriaged.

Each reminder is one statement, INSERT INTO notifications … SELECT: the database finds
the due hazards through their indexes (state + deadline, state + timestamps), writes
the message, joins the people who must hear it, and skips what it sent before: the
dedup key names the kind, the hazard, the occasion and the person, so a sweep repeated
for the same instant, or late, sends nothing twice. A city's sweep writes thousands of
notices without one hazard row travelling to Python and back. Python reads only what
goes further: the new notices of people with an e-mail address, the due hazards of
enterprises and unions with a group-chat webhook, and the facts of those hazards."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Iterable, Mapping

from sqlalchemy import (
    Date, Row, Select, String, and_, bindparam, case, cast, func, literal, literal_column, or_, select, true, union,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from hazard_ledger.clock import local_today
from hazard_ledger.config import Settings
from hazard_ledger.db import UTCDateTime, dialect_of
from hazard_ledger import permissions
from hazard_ledger.enums import Grade, HazardState
from hazard_ledger.hazards.models import Hazard, days_overdue
from hazard_ledger.notifications.delivery import Announcement, WebhookDirectory, announce_many, queue_emails
from hazard_ledger.notifications.models import Notification
from hazard_ledger.organisations import tree
from hazard_ledger.organisations.models import Enterprise, User
from hazard_ledger.sqltext import days_between, iso_date, local_minute, utc_text, words

# who hears a reminder
RECTIFIERS = "rectifiers"  # the enterprise's safety officers and the hazard's responsible user
OFFICERS = "officers"  # the enterprise's safety officers
INSPECTORS = "inspectors"  # the inspectors of the enterprise's union and of every union above it


@dataclass
class SweepResult:
    sent: Mapping[str, int]
    examined: int = 0  # hazard rows read into Python: only due ones that go on by e-mail or webhook

    def __str__(self) -> str:
        return ", ".join(f"{kind} {count}" for kind, count in self.sent.items()) or "nothing new to send"


@dataclass(frozen=True, eq=False)
class Reminder:
    """One kind of reminder as SQL over a hazard joined to its enterprise: which hazards
    are due, the occasion it is sent for (a new occasion, such as a new deadline, earns a
    new reminder), its message, and who hears it. Its statements are built once per
    process: a sweep only binds the instant."""

    kind: str
    due: ColumnElement[bool]
    occasion: ColumnElement[str]
    message: ColumnElement[str]
    audience: str

    @property
    def webhook_audience(self) -> str:
        return "jurisdiction" if self.audience == INSPECTORS else "enterprise"

    @cached_property
    def notices(self) -> Select:
        """(hazard_id, enterprise_id, responsible_user_id, jurisdiction_id, occasion, message) of the due hazards."""
        return (select(Hazard.id.label("hazard_id"), Hazard.enterprise_id, Hazard.responsible_user_id,
                       Enterprise.jurisdiction_id, self.occasion.label("occasion"), self.message.label("message"))
                .join(Enterprise, Enterprise.id == Hazard.enterprise_id).where(self.due))

    @cached_property
    def inbox(self) -> dict:
        """INSERT … SELECT of the new inbox rows, one per notice and person, per dialect;
        returns (id, recipient_user_id, hazard_id, message) of those not sent before."""
        people = _people(self.notices.cte("notices"), self.audience).subquery("people")
        table = Notification.__table__
        dedup_key = words(f"{self.kind}:", cast(people.c.hazard_id, String), ":", people.c.occasion, ":",
                          cast(people.c.user_id, String))
        rows = (select(literal(self.kind, String), people.c.user_id, people.c.hazard_id, people.c.message, dedup_key, NOW)
                # a WHERE also keeps SQLite from reading ON CONFLICT as part of the FROM
                .where(people.c.user_id.is_not(None)))
        return {dialect: dialect.insert(table)
                .from_select(["kind", "recipient_user_id", "hazard_id", "message", "dedup_key", "created_at"], rows)
                .on_conflict_do_nothing(index_elements=["dedup_key"])
                .returning(table.c.id, table.c.recipient_user_id, table.c.hazard_id, table.c.message)
                for dialect in (postgresql, sqlite)}


# what a sweep binds: its instant, its local day, and the limits that follow from them
NOW = bindparam("now", type_=UTCDateTime())
TODAY = bindparam("today", type_=Date())
HORIZON = bindparam("horizon", type_=Date())
QUIET_SINCE = bindparam("quiet_since", type_=UTCDateTime())
UNTRIAGED_SINCE = bindparam("untriaged_since", type_=UTCDateTime())
ESCALATE_UNTRIAGED_SINCE = bindparam("escalate_untriaged_since", type_=UTCDateTime())


def _late_by(level: int) -> BindParameter:
    return bindparam(f"late_by_{level}", type_=Date())


def sweep_parameters(now: datetime, settings: Settings) -> dict:
    config = settings["notifications"]
    today = local_today(now, settings.timezone)
    levels = set(config["escalation_days"]) | set(config["major_escalation_days"])
    return {"now": now, "today": today, "horizon": today + timedelta(days=config["due_soon_days"]),
            "quiet_since": now - timedelta(days=config["stale_progress_days"]),
            "untriaged_since": now - timedelta(days=config["untriaged_days"]),
            "escalate_untriaged_since": now - timedelta(days=config["untriaged_escalation_days"]),
            **{_late_by(level).key: today - timedelta(days=level) for level in levels}}


def reminders(settings: Settings) -> tuple[Reminder, ...]:
    config = settings["notifications"]
    return _reminders(settings["app"]["base_url"].rstrip("/"), settings.timezone.key, config["stale_progress_days"],
                      config["untriaged_escalation_days"], tuple(config["escalation_days"]),
                      tuple(config["major_escalation_days"]))


@lru_cache(maxsize=8)
def _reminders(base_url: str, zone: str, quiet: int, later: int, general_levels: tuple[int, ...],
               major_levels: tuple[int, ...]) -> tuple[Reminder, ...]:
    where = words(Enterprise.name, " ", Hazard.code, "（", Hazard.location, "）", f"{base_url}/hazards/",
                  cast(Hazard.id, String))
    deadline = iso_date(Hazard.deadline)
    days_late = cast(Hazard.days_overdue(TODAY), String)
    assigned, waiting = _in_state(HazardState.ASSIGNED), _in_state(HazardState.REPORTED)
    found = [
        # once per deadline (a new deadline after `extend` earns a new reminder)
        Reminder("due_soon", and_(assigned, Hazard.deadline >= TODAY, Hazard.deadline <= HORIZON), deadline,
                 words("【整改即将到期】", where, " 整改时限 ", deadline, "，还剩 ",
                       cast(days_between(TODAY, Hazard.deadline), String), " 天，请按期完成整改并记录。"), RECTIFIERS),
        # once per overdue day
        Reminder("overdue", Hazard.is_overdue(TODAY), iso_date(TODAY),
                 words("【整改逾期】", where, " 整改时限 ", deadline, "，已逾期 ", days_late, " 天，请立即整改或申请延期。"),
                 RECTIFIERS),
    ]
    # escalation: once per level, each level its own occasion, and only the highest level
    # due: a level is due until the grade's next level is, so a first sweep after a long gap
    # sends one message, and the levels it passed over are never due again (a new deadline
    # is a new occasion and starts over)
    general, major = set(general_levels), set(major_levels)
    is_major = Hazard.grade == Grade.MAJOR
    not_major = or_(Hazard.grade.is_(None), Hazard.grade != Grade.MAJOR)
    for level in sorted(general | major):
        windows: dict[int | None, list[ColumnElement[bool]]] = defaultdict(list)  # next level -> grades
        if level in general:
            windows[_next_level(general, level)].append(not_major)
        if level in major:
            windows[_next_level(major, level)].append(is_major)
        grades = or_(*(and_(true() if len(graded) == 2 else graded[0],
                            true() if following is None else Hazard.deadline > _late_by(following))
                       for following, graded in windows.items()))
        found.append(Reminder(
            "escalation", and_(Hazard.is_overdue(TODAY), Hazard.deadline <= _late_by(level), grades),
            words(deadline, f":{level}"),
            words("【逾期督办】", where, " ", case((is_major, "重大"), else_="一般"), "隐患已逾期 ", days_late, " 天（时限 ",
                  deadline, "，责任人 ", func.coalesce(Hazard.responsible_person, ""), "），请督促整改。"), INSPECTORS))
    found += [
        # once per quiet spell (a new progress note starts a new one)
        Reminder("stale_progress", and_(assigned, Hazard.last_progress_at < QUIET_SINCE), utc_text(Hazard.last_progress_at),
                 words("【整改情况未更新】", where, f" 已 {quiet} 天以上未填写整改情况，请专人及时填写。"), RECTIFIERS),
        # untriaged: the safety officers first, the inspectors later
        Reminder("untriaged", and_(waiting, Hazard.reported_at <= UNTRIAGED_SINCE), literal("officers", String),
                 words("【隐患待处理】", where, " 于 ", local_minute(Hazard.reported_at, literal(zone, String)),
                       " 上报，尚未确认，请尽快核实并制定整改方案。"), OFFICERS),
        Reminder("untriaged", and_(waiting, Hazard.reported_at <= ESCALATE_UNTRIAGED_SINCE), literal("inspectors", String),
                 words("【隐患久未处理】", where, f" 上报已超过 {later} 天仍未确认，请督促企业处理。"), INSPECTORS),
    ]
    return tuple(found)


def _next_level(levels: set[int], level: int) -> int | None:
    return min((later for later in levels if later > level), default=None)


def _in_state(state: HazardState) -> ColumnElement[bool]:
    # the state as SQL text, never a parameter: a prepared statement's generic plan can
    # then still match it to the partial indexes of the quiet spells and untriaged reports
    return Hazard.state == literal_column(f"'{state.value}'")


def _people(notices, audience: str) -> Select:
    """Each notice with each person who hears it: (hazard_id, occasion, message, user_id)."""
    said = (notices.c.hazard_id, notices.c.occasion, notices.c.message)
    officers = (select(*said, User.id.label("user_id")).select_from(notices)
                .join(User, and_(User.enterprise_id == notices.c.enterprise_id, permissions.active_officers())))
    if audience == OFFICERS:
        return officers
    if audience == RECTIFIERS:  # UNION: a responsible user who is also an officer hears it once
        return union(officers, select(*said, notices.c.responsible_user_id).where(notices.c.responsible_user_id.is_not(None)))
    # a union and those above it: the tree's walk up, in the same statement
    above = tree.ancestry_cte()
    return (select(*said, User.id.label("user_id")).select_from(notices)
            .join(above, above.c.start_id == notices.c.jurisdiction_id)
            .join(User, and_(User.jurisdiction_id == above.c.id, permissions.active_inspectors())))


def sweep_reminders(session: Session, now: datetime, settings: Settings) -> SweepResult:
    """Queue every reminder due at `now`; returns how many of each kind were new."""
    parameters = sweep_parameters(now, settings)
    dialect = dialect_of(session)
    webhooks = WebhookDirectory(session)
    sent: dict[str, int] = defaultdict(int)
    mailed: list[tuple[str, Row]] = []
    heard: list[tuple[Reminder, Row]] = []
    for reminder in reminders(settings):
        new = session.execute(reminder.inbox[dialect], parameters).all()
        sent[reminder.kind] += len(new)
        mailed += ((reminder.kind, row) for row in new)
        heard += ((reminder, row) for row in _heard_by_webhooks(session, reminder, webhooks, parameters))

    addresses = _addresses(session, {row.recipient_user_id for _, row in mailed})
    mailed = [(kind, row) for kind, row in mailed if row.recipient_user_id in addresses]
    facts = _facts(session, {row.hazard_id for _, row in mailed} | {row.hazard_id for _, row in heard},
                   parameters["today"], settings["app"]["base_url"])
    queue_emails(session, [(row.id, addresses[row.recipient_user_id], kind, row.message,
                            {"kind": kind, "hazard": facts[row.hazard_id]}) for kind, row in mailed], now)
    announce_many(session, [
        Announcement(reminder.kind, row.enterprise_id, reminder.webhook_audience, f"{row.hazard_id}:{row.occasion}",
                     row.message, {"kind": reminder.kind, "hazard": facts[row.hazard_id]})
        for reminder, row in heard if webhooks.hearing(row.enterprise_id, reminder.kind, reminder.webhook_audience)
    ], now, webhooks)
    session.flush()
    return SweepResult({kind: count for kind, count in sent.items() if count}, examined=len(facts))


def _heard_by_webhooks(session: Session, reminder: Reminder, webhooks: WebhookDirectory,
                       parameters: dict) -> list[Row]:
    """The reminder's due hazards that some webhook may hear, if any webhook wants its kind."""
    if reminder.webhook_audience == "enterprise":
        hooked = [eid for eid, hooks in webhooks.by_enterprise.items() if any(hook.hears(reminder.kind) for hook in hooks)]
        if not hooked:
            return []
        return list(session.execute(reminder.notices.where(Hazard.enterprise_id.in_(hooked)), parameters))
    if not any(hook.hears(reminder.kind) for hooks in webhooks.by_jurisdiction.values() for hook in hooks):
        return []
    return list(session.execute(reminder.notices, parameters))


def _in_batches(ids: Iterable[int], size: int = 5000) -> Iterable[list[int]]:
    """Ids a few thousand at a time: a city's sweep may name more than a statement may
    bind (65,535 parameters on PostgreSQL, 32,766 on SQLite)."""
    ordered = sorted(ids)
    return (ordered[start:start + size] for start in range(0, len(ordered), size))


def _addresses(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    return {uid: email for batch in _in_batches(user_ids) for uid, email in session.execute(
        select(User.id, User.email).where(User.id.in_(batch), User.email.is_not(None)))}


# the columns a reminder's data needs
FACTS = (Hazard.id, Hazard.code, Hazard.location, Hazard.state, Hazard.grade, Hazard.deadline,
         Enterprise.name.label("enterprise"))


def _facts(session: Session, hazard_ids: set[int], today: date, base_url: str) -> dict[int, dict]:
    return {row.id: hazard_facts(row, today, base_url) for batch in _in_batches(hazard_ids) for row in session.execute(
        select(*FACTS).join(Enterprise, Enterprise.id == Hazard.enterprise_id).where(Hazard.id.in_(batch)))}


def hazard_facts(hazard: Row, today: date, base_url: str) -> dict:
    """What a message is about, as data for webhooks and e-mails: what to do, where, by when."""
    return {
        "id": hazard.id, "code": hazard.code, "enterprise": hazard.enterprise, "location": hazard.location,
        "state": hazard.state.value, "grade": hazard.grade.value if hazard.grade else None,
        "deadline": hazard.deadline.isoformat() if hazard.deadline else None,
        "days_overdue": days_overdue(hazard.state, hazard.deadline, today),
        "link": f"{base_url.rstrip('/')}/hazards/{hazard.id}",
    }
