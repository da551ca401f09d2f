"""Formal notices of the union's labour-law supervision (工会劳动法律监督): a 提示函
(reminder) or 意见书 (opinion) to an enterprise, answered in writing by its safety
officers, accepted by the union or, for an opinion left unanswered or answered badly,
escalated by a county-level or higher union into a 建议书 (recommendation) to an
authority (安全生产法 Art. 60: the union may propose remedies and must get an answer).

    issued --reply--> replied --accept--> accepted
      |                  |
      +---- escalate ----+--> escalated   (an opinion; its recommendation starts `issued`)
    recommendation: issued --accept--> accepted   (the authority's answer, recorded)

A notice cites hazards; it never changes them. Every step is an entry of the notice's
own hash chain, hashed exactly as a hazard's (hazards/chain.py), with the notice's
number where a hazard has its code. Operations flush and never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from hazard_ledger import permissions
from hazard_ledger.clock import local_today
from hazard_ledger.config_error import ConfigError
from hazard_ledger.db import dialect_of
from hazard_ledger.errors import (
    Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed, flatten_messages,
)
from hazard_ledger.hazards import chain
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.notifications.delivery import announce
from hazard_ledger.notifications.operations import Message, notify_many
from hazard_ledger.organisations.models import Enterprise, Jurisdiction, User
from hazard_ledger.union.models import Notice, NoticeEvent, NoticeHazard, NoticeKind, NoticeNumberCounter, NoticeState
from hazard_ledger.workdays import add_working_days, working_days_before

if TYPE_CHECKING:
    from hazard_ledger.config import Settings

K, S = NoticeKind, NoticeState
KIND_WORDS = {K.REMINDER: "提示函", K.OPINION: "意见书", K.RECOMMENDATION: "建议书"}
MAX_HAZARDS = 200


# ---- numbers -------------------------------------------------------------------------

COUNTERS = NoticeNumberCounter.__table__


def number_prefix(jurisdiction: Jurisdiction, settings: Settings) -> str:
    """兰山 for 兰山区总工会: configured per union code (`[notices] prefixes`), else the
    union's name without 总工会."""
    configured = settings["notices"]["prefixes"].get(jurisdiction.code)
    return configured or jurisdiction.name.replace("总工会", "").strip() or jurisdiction.code


def next_serial(session: Session, jurisdiction_id: int, year: int) -> int:
    """The union's next serial of the year, bumped under the counter row's write lock
    (held to the commit, so concurrent issues queue and no serial is given twice; a
    refused issue rolls its bump back with it)."""
    dialect = dialect_of(session)
    statement = (dialect.insert(COUNTERS).values(jurisdiction_id=jurisdiction_id, year=year, last_value=1)
                 .on_conflict_do_update(index_elements=["jurisdiction_id", "year"],
                                        set_={"last_value": COUNTERS.c.last_value + 1})
                 .returning(COUNTERS.c.last_value))
    return session.connection().execute(statement).scalar_one()


def format_number(prefix: str, year: int, serial: int) -> str:
    return f"{prefix}工劳监〔{year}〕{serial}号"


# ---- the chain -----------------------------------------------------------------------

def _record(notice: Notice, *, event: str, from_state: NoticeState | None, actor: User | None, at: datetime,
            data: dict) -> NoticeEvent:
    """Append the next entry of the notice's chain and move its head."""
    entry = NoticeEvent(seq=notice.history_length + 1, event=event, from_state=from_state.value if from_state else None,
                        to_state=notice.state.value, actor_user_id=actor.id if actor else None,
                        actor_label=actor.display_name if actor else None, at=at.astimezone(timezone.utc), data=data,
                        prev_hash=notice.chain_head or chain.GENESIS)
    entry.hash = chain.link(entry.prev_hash, notice.number, entry)
    notice.chain_head, notice.history_length = entry.hash, entry.seq
    notice.history.append(entry)
    return entry


@dataclass(frozen=True)
class NoticeChainRow:
    id: int
    code: str
    chain_head: str
    history_length: int


def verify_notice_chains(session: Session, batch: int = 500):
    """Yield every break of every notice's chain (`audit verify`)."""
    last_id = 0
    while True:
        notices = session.execute(select(Notice.id, Notice.number, Notice.chain_head, Notice.history_length)
                                  .where(Notice.id > last_id).order_by(Notice.id).limit(batch)).all()
        if not notices:
            return
        ids = [row.id for row in notices]
        entries: dict[int, list[NoticeEvent]] = {nid: [] for nid in ids}
        for entry in session.scalars(select(NoticeEvent).where(NoticeEvent.notice_id.in_(ids))
                                     .order_by(NoticeEvent.notice_id, NoticeEvent.seq)):
            entries[entry.notice_id].append(entry)
        for row in notices:
            yield from chain.verify_entries(NoticeChainRow(row.id, row.number, row.chain_head, row.history_length),
                                            entries[row.id])
        session.expunge_all()
        last_id = ids[-1]


# ---- issuing ---------------------------------------------------------------------------

@dataclass
class NewNotice:
    enterprise_id: int
    kind: str
    subject: str
    findings: str
    hazard_ids: list[int]
    reply_working_days: int | None = None


def _reply_days(requested: int | None, settings: Settings) -> int:
    days = settings["notices"]["reply_working_days"] if requested is None else requested
    if not 1 <= days <= 60:
        raise ValidationFailed.on("reply_working_days", "须为 1 至 60 个工作日 / between 1 and 60 working days")
    return days


def _cited_hazards(session: Session, enterprise_id: int, hazard_ids: list[int]) -> list[int]:
    wanted = sorted(set(hazard_ids))
    if len(wanted) > MAX_HAZARDS:
        raise ValidationFailed.on("hazard_ids", f"最多 {MAX_HAZARDS} 项 / at most {MAX_HAZARDS} hazards")
    found = set(session.scalars(select(Hazard.id).where(Hazard.id.in_(wanted), Hazard.enterprise_id == enterprise_id)))
    stray = [hid for hid in wanted if hid not in found]
    if stray:
        raise ValidationFailed.on("hazard_ids", f"不属于该企业的隐患 / not hazards of this enterprise: "
                                                f"{', '.join(map(str, stray[:20]))}")
    return wanted


def _new_notice(session: Session, actor: User, *, kind: NoticeKind, enterprise: Enterprise, jurisdiction: Jurisdiction,
                subject: str, findings: str, hazard_ids: list[int], reply_days: int, authority: str | None,
                escalated_from: Notice | None, now: datetime, settings: Settings) -> Notice:
    today = local_today(now, settings.timezone)
    due = add_working_days(today, reply_days)
    serial = next_serial(session, jurisdiction.id, today.year)  # last: the counter row is held to the commit
    notice = Notice(kind=kind, state=S.ISSUED, enterprise_id=enterprise.id, jurisdiction_id=jurisdiction.id,
                    year=today.year, serial=serial, number=format_number(number_prefix(jurisdiction, settings),
                                                                         today.year, serial),
                    subject=subject, findings=findings, authority=authority,
                    escalated_from_id=escalated_from.id if escalated_from else None, issued_by_user_id=actor.id,
                    issued_on=today, reply_working_days=reply_days, reply_due_on=due.day,
                    calendar_estimated=due.estimated, chain_head=chain.GENESIS, history_length=0, created_at=now)
    notice.hazard_links = [NoticeHazard(hazard_id=hid) for hid in hazard_ids]
    session.add(notice)
    _record(notice, event="issue", from_state=None, actor=actor, at=now, data={
        "kind": kind.value, "number": notice.number, "enterprise_id": enterprise.id,
        "jurisdiction_id": jurisdiction.id, "subject": subject, "findings": findings, "hazard_ids": hazard_ids,
        "issued_on": today.isoformat(), "reply_due_on": due.day.isoformat(), "reply_working_days": reply_days,
        "calendar_estimated": due.estimated, "authority": authority,
        "escalated_from": escalated_from.number if escalated_from else None})
    return notice


def issue_notice(session: Session, actor: User, new: NewNotice, now: datetime, settings: Settings) -> Notice:
    """A 提示函 or 意见书 from the actor's union (an admin's: the enterprise's own union) to
    an enterprise the actor oversees, citing some of its hazards. Its safety officers are
    told at once."""
    enterprise = session.scalar(select(Enterprise).where(Enterprise.id == new.enterprise_id,
                                                         permissions.enterprise_clause(session, actor)))
    if enterprise is None:
        raise ValidationFailed.on("enterprise_id", "企业不存在或不在您的范围内 / no such enterprise in your scope")
    if not permissions.may_issue_notice(session, actor, enterprise):
        raise Forbidden("仅该企业所在辖区及以上的工会监督检查员可发函 / inspectors over the enterprise only")
    try:
        kind = NoticeKind(new.kind)
    except ValueError:
        kind = None
    if kind not in (K.REMINDER, K.OPINION):
        raise ValidationFailed.on("kind", "须为 reminder（提示函）或 opinion（意见书）/ reminder or opinion")
    reply_days = _reply_days(new.reply_working_days, settings)
    hazard_ids = _cited_hazards(session, enterprise.id, new.hazard_ids)
    jurisdiction = session.get(Jurisdiction, actor.jurisdiction_id or enterprise.jurisdiction_id)
    notice = _new_notice(session, actor, kind=kind, enterprise=enterprise, jurisdiction=jurisdiction,
                         subject=new.subject, findings=new.findings, hazard_ids=hazard_ids, reply_days=reply_days,
                         authority=None, escalated_from=None, now=now, settings=settings)
    session.flush()
    _tell_officers(session, notice, "notice_issued", f"notice_issued:{notice.id}",
                   f"【工会{KIND_WORDS[kind]}】{jurisdiction.name} {notice.number}：{notice.subject}。请于 "
                   f"{notice.reply_due_on.isoformat()} 前书面回复采取的措施。{_link(settings, notice)}", now)
    return notice


# ---- reading ---------------------------------------------------------------------------

def visible_notices(session: Session, viewer: User) -> Select:
    """A select of the notices `viewer` may see: the issuing side at or above the issuer,
    and the addressed enterprise's safety officers. Workers: none."""
    return select(Notice).where(permissions.notice_clause(session, viewer))


def list_notices(session: Session, viewer: User, *, state: str | None = None, enterprise_id: int | None = None,
                 kind: str | None = None, limit: int = 500) -> list[Notice]:
    if not permissions.may_read_notices(viewer):
        raise NotFound("文书不存在 / no notices here")  # the contract: workers, 404
    query = visible_notices(session, viewer)
    if state:
        query = query.where(Notice.state == NoticeState(state))
    if enterprise_id is not None:
        query = query.where(Notice.enterprise_id == enterprise_id)
    if kind:
        query = query.where(Notice.kind == NoticeKind(kind))
    return list(session.scalars(query.order_by(Notice.id.desc()).limit(limit)
                                .options(selectinload(Notice.hazard_links), selectinload(Notice.enterprise))))


def visible_notice(session: Session, viewer: User, notice_id: int, for_update: bool = False) -> Notice:
    query = visible_notices(session, viewer).where(Notice.id == notice_id)
    return permissions.the_visible(session, query, "文书不存在 / no such notice", for_update)


def recommendation_of(session: Session, notice: Notice) -> Notice | None:
    return session.scalar(select(Notice).where(Notice.escalated_from_id == notice.id))


# ---- the moves -------------------------------------------------------------------------

class ReplyFields(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=8000))
    measures = fields.String(required=True, validate=validate.Length(min=1, max=8000))


class AcceptFields(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class EscalateFields(Schema):
    authority = fields.String(required=True, validate=validate.Length(min=1, max=200))
    note = fields.String(required=True, validate=validate.Length(min=1, max=4000))


@dataclass(frozen=True)
class Move:
    """One move of the notice rules: from which states of which kinds, to what, by whom."""

    event: str
    sources: dict[NoticeKind, tuple[NoticeState, ...]]
    dest: NoticeState
    may: Callable[[Session, User, Notice], bool]
    fields: type[Schema]


MOVES: dict[str, Move] = {move.event: move for move in (
    Move("reply", {K.REMINDER: (S.ISSUED,), K.OPINION: (S.ISSUED,)}, S.REPLIED,
         lambda session, user, notice: permissions.may_reply_notice(user, notice), ReplyFields),
    Move("accept", {K.REMINDER: (S.REPLIED,), K.OPINION: (S.REPLIED,), K.RECOMMENDATION: (S.ISSUED,)}, S.ACCEPTED,
         permissions.may_accept_notice, AcceptFields),
    Move("escalate", {K.OPINION: (S.ISSUED, S.REPLIED)}, S.ESCALATED, permissions.may_escalate_notice, EscalateFields),
)}


def allowed_moves(session: Session, notice: Notice, user: User, today) -> list[str]:
    """The moves `user` may make on `notice` now, from the same rules."""
    return [move.event for move in MOVES.values()
            if notice.state in move.sources.get(notice.kind, ()) and move.may(session, user, notice)
            and not _too_early_to_escalate(move.event, notice, today)]


def _too_early_to_escalate(event: str, notice: Notice, today) -> bool:
    # an unanswered opinion goes to the authority only once its reply deadline has passed
    return event == "escalate" and notice.state is S.ISSUED and today <= notice.reply_due_on


def move_notice(session: Session, actor: User, notice_id: int, event: str, data: dict, now: datetime,
                settings: Settings) -> Notice:
    """Make a move on a notice the actor can see: the state, its chain entry and its
    messages flush together; a refusal changes nothing. Returns the notice (for
    `escalate`, the original: its recommendation is `recommendation_of` it)."""
    notice = visible_notice(session, actor, notice_id, for_update=True)
    move = MOVES.get(event)
    if move is None:
        raise ValidationFailed.on("event", f"未知操作 / unknown move; one of {', '.join(MOVES)}")
    today = local_today(now, settings.timezone)
    if notice.state not in move.sources.get(notice.kind, ()):
        raise InvalidTransition(f"{KIND_WORDS[notice.kind]}处于 {notice.state.value} 状态，不能执行 {event} / "
                                f"{event} is not allowed for a {notice.kind.value} in state {notice.state.value}")
    if not move.may(session, actor, notice):
        raise Forbidden(f"无权执行 {event} / you may not {event} this notice")
    if _too_early_to_escalate(event, notice, today):
        raise InvalidTransition(f"回复期限 {notice.reply_due_on.isoformat()} 未到，不能就未回复的意见书提出建议 / "
                                f"the reply is due {notice.reply_due_on.isoformat()}: escalate an unanswered opinion "
                                f"after that")
    try:
        cleaned = move.fields().load(data)
    except ValidationError as error:
        raise ValidationFailed("输入有误 / invalid input", flatten_messages(error.messages)) from None
    before = notice.state
    notice.state = move.dest
    recorded = dict(cleaned)
    if event == "reply":
        notice.reply_text, notice.reply_measures, notice.replied_at = cleaned["text"], cleaned["measures"], now
    elif event == "accept":
        notice.decision_note, notice.decided_at = cleaned["note"], now
    else:
        notice.decision_note, notice.decided_at = cleaned["note"], now
        recommendation = _escalate(session, actor, notice, cleaned, now, settings)
        recorded["recommendation"] = recommendation.number
    _record(notice, event=event, from_state=before, actor=actor, at=now, data=recorded)
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("文书已被他人办理 / the notice changed while you were working on it") from None
    if event == "reply":
        _tell_issuers(session, notice, "notice_replied", f"notice_replied:{notice.id}",
                      f"【文书已回复】{notice.enterprise.name} 已书面回复 {notice.number}（{notice.subject}），请审查。"
                      f"{_link(settings, notice)}", now)
    return notice


def _escalate(session: Session, actor: User, opinion: Notice, cleaned: dict, now: datetime,
              settings: Settings) -> Notice:
    jurisdiction = session.get(Jurisdiction, actor.jurisdiction_id)
    return _new_notice(session, actor, kind=K.RECOMMENDATION, enterprise=opinion.enterprise, jurisdiction=jurisdiction,
                       subject=opinion.subject, findings=cleaned["note"], hazard_ids=opinion.hazard_ids,
                       reply_days=_reply_days(None, settings), authority=cleaned["authority"], escalated_from=opinion,
                       now=now, settings=settings)


# ---- messages --------------------------------------------------------------------------

def _link(settings: Settings, notice: Notice) -> str:
    return f"{settings['app']['base_url'].rstrip('/')}/notices/{notice.id}"


def _officers(session: Session, enterprise_id: int) -> list[int]:
    return list(session.scalars(select(User.id).where(User.enterprise_id == enterprise_id, permissions.active_officers())))


def _issuing_inspectors(session: Session, jurisdiction_id: int) -> list[int]:
    return list(session.scalars(select(User.id).where(User.jurisdiction_id == jurisdiction_id,
                                                      permissions.active_inspectors())))


def _data(notice: Notice, kind: str) -> dict:
    return {"kind": kind, "notice": {"id": notice.id, "number": notice.number, "kind": notice.kind.value,
                                     "enterprise_id": notice.enterprise_id, "subject": notice.subject,
                                     "reply_due_on": notice.reply_due_on.isoformat()}}


def _tell_officers(session: Session, notice: Notice, kind: str, key: str, text: str, now: datetime) -> int:
    sent = notify_many(session, [Message(kind, uid, text, f"{key}:{uid}", data=_data(notice, kind))
                                 for uid in _officers(session, notice.enterprise_id)], now)
    announce(session, kind=kind, enterprise_id=notice.enterprise_id, audience="enterprise", key=key, message=text,
             data=_data(notice, kind), now=now)
    return len(sent)


def _tell_issuers(session: Session, notice: Notice, kind: str, key: str, text: str, now: datetime) -> int:
    return len(notify_many(session, [Message(kind, uid, text, f"{key}:{uid}", data=_data(notice, kind))
                                     for uid in _issuing_inspectors(session, notice.jurisdiction_id)], now))


def sweep_notice_reminders(session: Session, now: datetime, settings: Settings) -> dict[str, int]:
    """For the `reminders` job: `notice_due` to the enterprise's safety officers from
    `due_working_days` working days before an unanswered notice's reply deadline, and
    `notice_overdue` to the issuing union's inspectors from the day after it; each once
    (its dedup key names the notice, its deadline and the person)."""
    today = local_today(now, settings.timezone)
    before = settings["notices"]["due_working_days"]
    sent = {"notice_due": 0, "notice_overdue": 0}
    waiting = session.scalars(select(Notice).where(Notice.state == S.ISSUED,
                                                   Notice.kind.in_([K.REMINDER, K.OPINION]))
                              .options(selectinload(Notice.enterprise)).order_by(Notice.id))
    for notice in waiting:
        due = notice.reply_due_on.isoformat()
        if today > notice.reply_due_on:
            sent["notice_overdue"] += _tell_issuers(
                session, notice, "notice_overdue", f"notice_overdue:{notice.id}:{due}",
                f"【文书逾期未复】{notice.enterprise.name} 未在 {due} 前回复 {notice.number}（{notice.subject}），"
                f"可督促或依法提出建议。{_link(settings, notice)}", now)
        elif today >= working_days_before(notice.reply_due_on, before).day:
            sent["notice_due"] += _tell_officers(
                session, notice, "notice_due", f"notice_due:{notice.id}:{due}",
                f"【文书即将到期】{notice.number}（{notice.subject}）请于 {due} 前书面回复采取的措施。"
                f"{_link(settings, notice)}", now)
    session.flush()
    return {kind: count for kind, count in sent.items() if count}


def check_notice_settings(values) -> None:
    """`[notices]` as start-up checks it: one line naming the setting."""
    config = values.get("notices", {})
    for key, low, high in (("reply_working_days", 1, 60), ("due_working_days", 1, 60)):
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"notices.{key}", f"expected a whole number of working days {low}-{high}, got {value!r}")
    prefixes = config.get("prefixes")
    if not isinstance(prefixes, dict) or not all(isinstance(v, str) and 0 < len(v) <= 40 for v in prefixes.values()):
        raise ConfigError("notices.prefixes", 'expected a table of union code = "prefix", e.g. {LS = "兰山"}')

