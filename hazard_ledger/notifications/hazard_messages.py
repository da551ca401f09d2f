"""The messages an event of a hazard's workflow sends (declared in hazard_ledger/effects.py).

A new report (`report`) tells the enterprise's safety officers: an inbox row each, its
e-mail copy, and a message to each of the enterprise's group webhooks that hears
`reported`. On SQLite the report is a few statements and this is `announce_report`, in
Python; on PostgreSQL a report is ONE statement (hazards/reporting.py), and the same rows
are further CTEs of it (`report_notice_ctes`, declared as `in_statement` in effects.py). What the message says is written
once, in `report_notice`: the facts only the statement knows (the code, the id, the
enterprise's name) are holes in it, filled by Python or by SQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from sqlalchemy import String, Text, and_, bindparam, cast, func, literal, select, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CTE

from hazard_ledger import permissions
from hazard_ledger.clock import local_today
from hazard_ledger.notifications.delivery import announce, email_row, webhook_row
from hazard_ledger.notifications.kinds import Kind
from hazard_ledger.notifications.models import Delivery, Notification, Webhook
from hazard_ledger.notifications.operations import Message, notification_row, notify, notify_many
from hazard_ledger.organisations.models import Enterprise, User
from hazard_ledger.sqltext import is_sql, joined, words

if TYPE_CHECKING:
    from hazard_ledger.effects import Fired
    from hazard_ledger.hazards.models import Hazard


def announce_assignment(fired: Fired) -> None:
    """`assign`: the responsible user's inbox (and e-mail), and the enterprise's group webhooks."""
    session, hazard, now = fired.session, fired.hazard, fired.now
    enterprise = session.get(Enterprise, hazard.enterprise_id)
    message = (f"【隐患整改】{enterprise.name} {hazard.code}（{hazard.location}）已确认，请按方案整改："
               f"措施：{hazard.measure}；责任人：{hazard.responsible_person}；时限：{hazard.deadline.isoformat()}。")
    data = {"kind": Kind.ASSIGNED.value,
            "hazard": {"id": hazard.id, "code": hazard.code, "enterprise": enterprise.name,
                       "location": hazard.location, "deadline": hazard.deadline.isoformat(),
                       "days_overdue": 0, "grade": hazard.grade.value}}
    key = f"{hazard.id}:{hazard.history_length}"
    if hazard.responsible_user_id and hazard.responsible_user_id != fired.actor.id:
        notify(session, kind=Kind.ASSIGNED, recipient_id=hazard.responsible_user_id, hazard_id=hazard.id, now=now,
               dedup_key=f"assigned:{key}", message=message, data=data)
    announce(session, kind=Kind.ASSIGNED, enterprise_id=hazard.enterprise_id, audience="enterprise", key=key,
             message=message, data=data, now=now)


def announce_supervision(fired: Fired) -> None:
    """`supervise` (督办): the enterprise's active safety officers and the responsible user
    (inbox and e-mail), and the enterprise's group webhooks that hear it. Keyed by the
    history entry, so each 督办 is announced exactly once."""
    session, hazard, now = fired.session, fired.hazard, fired.now
    enterprise = session.get(Enterprise, hazard.enterprise_id)
    note, due_on = fired.fields["note"], fired.fields["due_on"].isoformat()
    days = hazard.days_overdue(local_today(now, fired.zone))
    message = (f"【隐患督办】{enterprise.name} {hazard.code}（{hazard.location}）已逾期 {days} 天（时限 "
               f"{hazard.deadline.isoformat()}），{fired.actor.display_name} 督办：{note}。请于 {due_on} 前整改完毕并回复。")
    data = {"kind": Kind.SUPERVISED.value,
            "hazard": {"id": hazard.id, "code": hazard.code, "enterprise": enterprise.name,
                       "location": hazard.location, "deadline": hazard.deadline.isoformat(),
                       "days_overdue": days, "grade": hazard.grade.value},
            "supervision": {"note": note, "due_on": due_on}}
    key = f"{hazard.id}:{hazard.history_length}"
    officers = session.scalars(select(User.id).where(User.enterprise_id == hazard.enterprise_id,
                                                     permissions.active_officers()))
    recipients = dict.fromkeys([*officers, hazard.responsible_user_id])  # in order, once each
    notify_many(session, [Message(Kind.SUPERVISED, user_id, message, f"supervised:{key}:{user_id}", hazard.id, data)
                          for user_id in recipients if user_id is not None and user_id != fired.actor.id], now)
    announce(session, kind=Kind.SUPERVISED, enterprise_id=hazard.enterprise_id, audience="enterprise", key=key,
             message=message, data=data, now=now)


# ---- a new report ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Hole:
    """A fact of a new report that, on PostgreSQL, only the report's own statement knows."""

    name: str


CODE, HAZARD_ID, ENTERPRISE = Hole("code"), Hole("hazard_id"), Hole("enterprise")
EXCERPT_LENGTH = 50


def report_notice(location: str, category: str | None, description: str) -> tuple[tuple[str | Hole, ...], dict]:
    """What a `reported` message says, as text (parts and holes) and data: where, the code,
    the category and the first words of the description. Never who reported it, nor how
    (the reporter's identity is confidential from safety officers). The holes stand
    in the same places whatever the report: a report's statement is built once."""
    said = " ".join(description.split())
    excerpt = said if len(said) <= EXCERPT_LENGTH else said[:EXCERPT_LENGTH] + "…"
    where = f"{location}，{category}" if category else location
    stop = "" if excerpt.endswith(tuple("。！？!?.…")) else "。"
    text = ("【新的隐患报告】", ENTERPRISE, " ", CODE, f"（{where}）：{excerpt}{stop}请尽快核实，确认后制定整改方案。")
    data = {"kind": Kind.REPORTED.value,
            "hazard": {"id": HAZARD_ID, "code": CODE, "enterprise": ENTERPRISE, "location": location,
                       "category": category, "description": excerpt, "state": "reported"}}
    return text, data


def officers_told(enterprise_id) -> ColumnElement[bool]:
    """On User: who hears of a new report (the enterprise's id, or its SQL): the
    enterprise's active safety officers, each of them (one who reported it too: the inbox
    is the team's list of what came in, and leaving someone out would tell who reported)."""
    return and_(User.enterprise_id == enterprise_id, permissions.active_officers())


def reported_key(hazard_id, user_id):
    """The dedup key of one officer's notice of one report."""
    return joined(f"{Kind.REPORTED}:", hazard_id, ":", user_id)


def announce_report(fired: Fired) -> None:
    """`report`, written by Python (SQLite): what report_notice_ctes writes on PostgreSQL."""
    session, hazard, now = fired.session, fired.hazard, fired.now
    enterprise = session.get(Enterprise, hazard.enterprise_id)
    facts = {CODE: hazard.code, HAZARD_ID: hazard.id, ENTERPRISE: enterprise.name}
    parts, data = report_notice(hazard.location, hazard.category, hazard.description)
    message, data = "".join(facts.get(part, part) for part in parts), _filled(data, facts)
    officers = session.scalars(select(User.id).where(officers_told(hazard.enterprise_id))
                               .order_by(User.id))
    notify_many(session, [Message(Kind.REPORTED, officer, message, reported_key(hazard.id, officer), hazard.id, data)
                          for officer in officers], now)
    announce(session, kind=Kind.REPORTED, enterprise_id=hazard.enterprise_id, audience="enterprise", key=hazard.id,
             message=message, data=data, now=now)


def _filled(value: Any, facts: Mapping[Hole, Any]) -> Any:
    if isinstance(value, Hole):
        return facts[value]
    if isinstance(value, dict):
        return {key: _filled(item, facts) for key, item in value.items()}
    return value


# -- the same as CTEs of the report's statement (PostgreSQL)

def _segments(parts: Iterator[str | Hole]) -> tuple[list[str], tuple[Hole, ...]]:
    """The text between the holes (one more than the holes, some maybe empty) and the holes."""
    texts, holes = [""], []
    for part in parts:
        if isinstance(part, Hole):
            holes.append(part)
            texts.append("")
        else:
            texts[-1] += part
    return texts, tuple(holes)


def _json_parts(value: Any) -> Iterator[str | Hole]:
    """`value` as JSON text, its holes left as holes."""
    if isinstance(value, Hole):
        yield value
    elif isinstance(value, dict):
        yield "{"
        for index, (key, item) in enumerate(value.items()):
            yield ("," if index else "") + json.dumps(key, ensure_ascii=False) + ":"
            yield from _json_parts(item)
        yield "}"
    else:
        yield json.dumps(value, ensure_ascii=False)


def _texts_and_holes(location: str, category: str | None, description: str):
    parts, data = report_notice(location, category, description)
    return _segments(iter(parts)), _segments(_json_parts(data))


@cache
def _shape() -> tuple[tuple[Hole, ...], tuple[Hole, ...]]:
    (_texts, text_holes), (_json, data_holes) = _texts_and_holes("", None, "")
    return text_holes, data_holes


def _filled_in_sql(prefix: str, holes: tuple[Hole, ...], facts: Mapping[Hole, ColumnElement]) -> ColumnElement[str]:
    parts: list[ColumnElement] = [bindparam(f"{prefix}_0", type_=String)]
    for index, hole in enumerate(holes, start=1):
        parts += [facts[hole], bindparam(f"{prefix}_{index}", type_=String)]
    return words(*parts)


def _sql_values(table, row: Mapping[str, Any]) -> list[ColumnElement]:
    return [value if is_sql(value) else literal(value, table.c[key].type)
            for key, value in row.items()]


def _inserting(table, row: Mapping[str, Any], rows_from) -> postgresql.Insert:
    """INSERT … SELECT of `row` (SQL expressions, or constants) for each row of `rows_from`,
    skipping a dedup key written before, as notify_many and the outbox do."""
    row = {key: value for key, value in row.items() if value is not None}  # NULL by default
    return (postgresql.insert(table).from_select(list(row), rows_from.with_only_columns(*_sql_values(table, row)),
                                                include_defaults=False)
            .on_conflict_do_nothing(index_elements=["dedup_key"]))


def report_notice_ctes(written: CTE) -> list[CTE]:
    """The notices of a report as CTEs over `written`, the CTE that inserts the hazard
    (returning its id, code, enterprise_id and reported_at)."""
    text_holes, data_holes = _shape()
    facts = {CODE: written.c.code, HAZARD_ID: written.c.id, ENTERPRISE: Enterprise.name}
    as_json = {hole: cast(func.to_json(fact), Text) for hole, fact in facts.items()}
    notice = (select(_filled_in_sql("reported_text", text_holes, facts).label("message"),
                     cast(_filled_in_sql("reported_data", data_holes, as_json), Delivery.data.type).label("data"),
                     written.c.id, written.c.enterprise_id, written.c.reported_at)
              .select_from(written).join(Enterprise, Enterprise.id == written.c.enterprise_id).cte("report_notice"))
    notifications = Notification.__table__
    told = _inserting(notifications, notification_row(
        Kind.REPORTED, User.id, notice.c.id, notice.c.message, reported_key(notice.c.id, User.id), notice.c.reported_at),
        select(true()).select_from(notice).join(User, officers_told(notice.c.enterprise_id))
    ).returning(notifications.c.id, notifications.c.recipient_user_id).cte("report_told")
    outbox = Delivery.__table__
    mailed = _inserting(outbox, email_row(told.c.id, User.email, Kind.REPORTED, notice.c.message, notice.c.data,
                                          notice.c.reported_at),
                        select(true()).select_from(told).join(User, User.id == told.c.recipient_user_id)
                        .join(notice, true()).where(User.email.is_not(None), User.email != "")).cte("report_mailed")
    heard = _inserting(outbox, webhook_row(Webhook.id, Kind.REPORTED, notice.c.id, notice.c.message, notice.c.data,
                                           notice.c.reported_at),
                       select(true()).select_from(notice).join(Webhook, and_(
                           Webhook.enterprise_id == notice.c.enterprise_id, Webhook.active.is_(True),
                           Webhook.hears(Kind.REPORTED)))).cte("report_heard")
    return [notice, told, mailed, heard]


def report_notice_parameters(hazard: Hazard) -> dict:
    """What a report binds for `report_notice_ctes`: the text around the holes."""
    (texts, text_holes), (json_texts, data_holes) = _texts_and_holes(hazard.location, hazard.category,
                                                                        hazard.description)
    assert (text_holes, data_holes) == _shape(), "the holes of report_notice moved with the report"
    return {**{f"reported_text_{index}": text for index, text in enumerate(texts)},
            **{f"reported_data_{index}": text for index, text in enumerate(json_texts)}}
