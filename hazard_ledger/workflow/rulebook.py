"""The one rulebook of the hazard workflow.

    reported --assign--> assigned --rectify--> rectified --close--> closed
        |                 ^  |  progress, extend,   |
        |                 |  |  supervise (overdue) |
        +--reject--> rejected  +-------reopen-------+

One module-level `transitions.Machine(model=None)` drives the Enum column of every
hazard (a Machine per row costs ~45x the memory). Each rule names who may fire it,
when (a condition on the hazard and the day, such as being overdue), the fields it
takes and what it changes; `allowed_events` reads the same rules. A rule
refuses through its conditions before anything changes, leaving the reason in the
context, so a refused event changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, Callable, Iterator

from marshmallow import Schema, ValidationError
from sqlalchemy.orm import Session
from transitions import Machine, MachineError

from hazard_ledger.enums import Grade, HazardState, Role
from hazard_ledger.errors import DomainError, Forbidden, InvalidTransition, ValidationFailed, flatten_messages
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.organisations.models import User
from hazard_ledger.workflow import fields as event_fields

S = HazardState


@dataclass
class TransitionContext:
    """What a firing needs besides the hazard; the rule leaves its verdict here."""

    session: Session
    actor: User
    now: datetime
    today: date
    data: dict[str, Any]
    cleaned: dict[str, Any] = field(default_factory=dict)
    refusal: DomainError | None = None


# ---- who may fire an event -------------------------------------------------------

def _officer_of(actor: User, hazard: Hazard) -> bool:
    return actor.role is Role.SAFETY_OFFICER and actor.enterprise_id == hazard.enterprise_id


def _responsible(actor: User, hazard: Hazard) -> bool:
    return hazard.responsible_user_id is not None and hazard.responsible_user_id == actor.id


def _triagers(actor: User, hazard: Hazard) -> bool:
    return _officer_of(actor, hazard) or actor.role in (Role.INSPECTOR, Role.ADMIN)


def _rectifiers(actor: User, hazard: Hazard) -> bool:
    return _officer_of(actor, hazard) or _responsible(actor, hazard) or actor.role is Role.ADMIN


def _extenders(actor: User, hazard: Hazard) -> bool:
    # a safety officer may move the deadline of a general hazard only
    if _officer_of(actor, hazard):
        return hazard.grade is Grade.GENERAL
    return actor.role in (Role.INSPECTOR, Role.ADMIN)


def _overseers(actor: User, hazard: Hazard) -> bool:
    # 督办 is the union's: an inspector whose subtree holds the enterprise (transition only
    # reaches hazards the actor can see, so the subtree is already cut) or an admin
    return actor.role in (Role.INSPECTOR, Role.ADMIN)


def _verifiers(actor: User, hazard: Hazard) -> bool:
    # 销号 is an independent check: never by the one who did the work
    if _responsible(actor, hazard):
        return False
    if actor.role is Role.ADMIN:
        return True
    if hazard.grade is Grade.MAJOR:
        return actor.role is Role.INSPECTOR
    return _officer_of(actor, hazard)


# ---- when an event may fire at all (besides the hazard's state) ------------------

def _any_day(hazard: Hazard, today: date) -> str | None:
    return None


def _overdue(hazard: Hazard, today: date) -> str | None:
    if hazard.is_overdue(today):
        return None
    return "只能督办已逾期的隐患 / only an overdue hazard may be supervised"


# ---- checks that need the hazard, the clock or the database ----------------------
# Each yields its problems as (field, problem) and reads only the fields that were read
# well (ctx.cleaned may lack one the schema refused): a person is told every problem at
# once, those of the fields and these, not one more each time they send the form.

Problems = Iterator[tuple[str, str]]


def _not_before_today(ctx: TransitionContext, name: str, problem: str) -> Problems:
    day = ctx.cleaned.get(name)
    if day is not None and day < ctx.today:
        yield name, problem


def _check_assign(hazard: Hazard, ctx: TransitionContext) -> Problems:
    yield from _not_before_today(ctx, "deadline", "整改时限不能早于今天 / the deadline cannot be before today")
    user_id = ctx.cleaned.get("responsible_user_id")
    if user_id is not None:
        user = ctx.session.get(User, user_id)
        if user is None or not user.active or user.enterprise_id != hazard.enterprise_id:
            yield "responsible_user_id", "须为本企业的在用账号 / must be an active user of the hazard's enterprise"


def _check_reject(hazard: Hazard, ctx: TransitionContext) -> Problems:
    if ctx.cleaned.get("reason") != "duplicate":
        ctx.cleaned["duplicate_of"] = None
        return
    original_id = ctx.cleaned.get("duplicate_of")
    if original_id is None:
        return  # the schema has said so already
    original = ctx.session.get(Hazard, original_id)
    if original is None or original.id == hazard.id or original.enterprise_id != hazard.enterprise_id:
        yield "duplicate_of", "须为本企业的另一条隐患 / must be another hazard of the same enterprise"


def _check_extend(hazard: Hazard, ctx: TransitionContext) -> Problems:
    deadline = ctx.cleaned.get("deadline")
    if deadline is not None and hazard.deadline is not None and deadline <= hazard.deadline:
        yield "deadline", "延期后的时限须晚于原时限 / must be later than the current deadline"


def _check_supervise(hazard: Hazard, ctx: TransitionContext) -> Problems:
    yield from _not_before_today(ctx, "due_on", "督办期限不能早于今天 / the date cannot be before today")


def _check_rectify(hazard: Hazard, ctx: TransitionContext) -> Problems:
    completed_on = ctx.cleaned.get("completed_on")
    if completed_on is not None and completed_on > ctx.today:
        yield "completed_on", "完成日期不能晚于今天 / cannot be after today"


def _check_reopen(hazard: Hazard, ctx: TransitionContext) -> Problems:
    yield from _not_before_today(ctx, "deadline", "整改时限不能早于今天 / the deadline cannot be before today")


def _nothing_to_check(hazard: Hazard, ctx: TransitionContext) -> Problems:
    return iter(())


# ---- what an event changes ------------------------------------------------------

def _apply_assign(hazard: Hazard, ctx: TransitionContext) -> None:
    data = ctx.cleaned
    hazard.grade = Grade(data["grade"])
    for name in ("measure", "deadline", "responsible_unit", "responsible_person", "protective_measures",
                 "responsible_user_id", "funds", "emergency_plan"):
        setattr(hazard, name, data.get(name))
    if data.get("category"):
        hazard.category = data["category"]
    hazard.last_progress_at = ctx.now


def _apply_reject(hazard: Hazard, ctx: TransitionContext) -> None:
    hazard.rejection_reason = ctx.cleaned["reason"]
    hazard.duplicate_of_id = ctx.cleaned.get("duplicate_of")


def _apply_progress(hazard: Hazard, ctx: TransitionContext) -> None:
    hazard.last_progress_at = ctx.now


def _apply_extend(hazard: Hazard, ctx: TransitionContext) -> None:
    ctx.cleaned["previous_deadline"] = hazard.deadline
    hazard.deadline = ctx.cleaned["deadline"]


def _apply_rectify(hazard: Hazard, ctx: TransitionContext) -> None:
    hazard.rectified_at = ctx.now
    hazard.completed_on = ctx.cleaned["completed_on"]
    hazard.rectification_note = ctx.cleaned["note"]


def _apply_reopen(hazard: Hazard, ctx: TransitionContext) -> None:
    if ctx.cleaned.get("deadline") is not None:
        hazard.deadline = ctx.cleaned["deadline"]
    hazard.rectified_at = None
    hazard.completed_on = None
    hazard.last_progress_at = ctx.now


def _apply_close(hazard: Hazard, ctx: TransitionContext) -> None:
    hazard.closed_at = ctx.now
    hazard.verification_note = ctx.cleaned["note"]


def _nothing(hazard: Hazard, ctx: TransitionContext) -> None:
    return None


@dataclass(frozen=True)
class Rule:
    event: str
    sources: tuple[HazardState, ...]
    dest: HazardState
    may_fire: Callable[[User, Hazard], bool]
    fields: type[Schema]
    check: Callable[[Hazard, TransitionContext], Problems]
    apply: Callable[[Hazard, TransitionContext], None]
    # why the event may not fire on this hazard today, or None: a refusal (409) before any field is read
    not_now: Callable[[Hazard, date], str | None] = _any_day


RULEBOOK: dict[str, Rule] = {
    rule.event: rule
    for rule in (
        Rule("assign", (S.REPORTED,), S.ASSIGNED, _triagers, event_fields.AssignFields, _check_assign, _apply_assign),
        Rule("reject", (S.REPORTED,), S.REJECTED, _triagers, event_fields.RejectFields, _check_reject, _apply_reject),
        Rule("progress", (S.ASSIGNED,), S.ASSIGNED, _rectifiers, event_fields.ProgressFields, _nothing_to_check,
             _apply_progress),
        Rule("extend", (S.ASSIGNED,), S.ASSIGNED, _extenders, event_fields.ExtendFields, _check_extend, _apply_extend),
        Rule("rectify", (S.ASSIGNED,), S.RECTIFIED, _rectifiers, event_fields.RectifyFields, _check_rectify, _apply_rectify),
        Rule("reopen", (S.RECTIFIED,), S.ASSIGNED, _triagers, event_fields.ReopenFields, _check_reopen, _apply_reopen),
        Rule("close", (S.RECTIFIED,), S.CLOSED, _verifiers, event_fields.CloseFields, _nothing_to_check, _apply_close),
        # 督办: recorded in the history (and chained) and announced; the hazard itself is unchanged
        Rule("supervise", (S.ASSIGNED,), S.ASSIGNED, _overseers, event_fields.SuperviseFields, _check_supervise,
             _nothing, not_now=_overdue),
    )
}


# ---- the machine's callbacks: one set, reading the rule of the event ------------

def _permitted(event_data) -> bool:
    ctx: TransitionContext = event_data.kwargs["ctx"]
    rule = RULEBOOK[event_data.event.name]
    if not rule.may_fire(ctx.actor, event_data.model):
        ctx.refusal = Forbidden(f"无权执行 {rule.event} / you may not {rule.event} this hazard")
        return False
    return True


@cache
def _fields_of(rule: Rule) -> Schema:
    """One instance of each rule's schema: building a marshmallow schema copies all its
    fields, and a schema holds no state between loads."""
    return rule.fields()


def _ready(event_data) -> bool:
    ctx: TransitionContext = event_data.kwargs["ctx"]
    reason = RULEBOOK[event_data.event.name].not_now(event_data.model, ctx.today)
    if reason is not None:
        ctx.refusal = InvalidTransition(reason)
        return False
    return True


def _valid(event_data) -> bool:
    ctx: TransitionContext = event_data.kwargs["ctx"]
    rule = RULEBOOK[event_data.event.name]
    try:
        ctx.cleaned, fields_refused = _fields_of(rule).load(ctx.data), None
    except ValidationError as error:
        ctx.cleaned, fields_refused = dict(error.valid_data or {}), flatten_messages(error.messages)
    problems = dict(fields_refused or {})
    for name, problem in rule.check(event_data.model, ctx):
        problems.setdefault(name, []).append(problem)
    if problems:
        ctx.refusal = (ValidationFailed("输入有误 / invalid input", problems) if fields_refused
                       else ValidationFailed.of(problems))
    return not problems


def _apply(event_data) -> None:
    ctx: TransitionContext = event_data.kwargs["ctx"]
    RULEBOOK[event_data.event.name].apply(event_data.model, ctx)


RULES = Machine(
    model=None,
    states=HazardState,
    initial=HazardState.REPORTED,
    transitions=[
        {"trigger": rule.event, "source": list(rule.sources), "dest": rule.dest,
         "conditions": [_permitted, _ready, _valid], "before": [_apply]}
        for rule in RULEBOOK.values()
    ],
    auto_transitions=False,
    send_event=True,
    model_attribute="state",
)


def fire(hazard: Hazard, event: str, ctx: TransitionContext) -> None:
    """Fire `event` on `hazard`; raise the refusal (nothing changed) or return.

    The caller has already checked that `ctx.actor` may see the hazard, and records
    history after this returns."""
    rule = RULEBOOK.get(event)
    if rule is None:
        raise ValidationFailed.on("event", f"未知事件 / unknown event; one of {', '.join(RULEBOOK)}")
    try:
        fired = RULES.events[event].trigger(hazard, ctx=ctx)
    except MachineError:
        raise InvalidTransition(
            f"状态 {hazard.state.value} 下不能执行 {event} / {event} is not allowed in state {hazard.state.value}"
        ) from None
    if not fired:
        raise ctx.refusal or Forbidden(f"{event} refused")


def allowed_events(hazard: Hazard, actor: User, today: date) -> list[str]:
    """The events `actor` may fire on `hazard` on `today`, from the same rules."""
    return [
        rule.event
        for rule in RULEBOOK.values()
        if hazard.state in rule.sources and rule.may_fire(actor, hazard) and rule.not_now(hazard, today) is None
    ]
