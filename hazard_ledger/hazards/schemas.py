"""Input and output shapes of the ledger, and how a hazard is shown to a viewer."""

from __future__ import annotations

from datetime import date

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from hazard_ledger import permissions
from hazard_ledger.enums import Grade, HazardState, ReportChannel
from hazard_ledger.hazards.models import Attachment, Hazard, HazardEvent
from hazard_ledger.organisations.models import User
from hazard_ledger.hazards.queries import HazardFilters
from hazard_ledger.validation import MAX_ID, PHONE, Day, DecimalString, Id
from hazard_ledger.workflow import allowed_events

LOCATION = validate.Length(min=1, max=200)
DESCRIPTION = validate.Length(min=1, max=4000)
CATEGORY = validate.Length(max=50)


class HazardIn(Schema):
    location = fields.String(required=True, validate=LOCATION)
    description = fields.String(required=True, validate=DESCRIPTION)
    category = fields.String(allow_none=True, load_default=None, validate=CATEGORY)
    enterprise_id = Id(allow_none=True, load_default=None)


class PublicReportIn(Schema):
    location = fields.String(required=True, validate=LOCATION)
    description = fields.String(required=True, validate=DESCRIPTION)
    category = fields.String(allow_none=True, load_default=None, validate=CATEGORY)
    name = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    phone = fields.String(allow_none=True, load_default=None,
                          validate=validate.Regexp(PHONE, error="不是有效的电话号码 / not a phone number"))
    anonymous = fields.Boolean(load_default=False)


class PublicReportOut(Schema):
    code = fields.String()
    receipt = fields.String(metadata={"description": "shown once; the reporter's only key to follow the report"})


class ReceiptStatus(Schema):
    code = fields.String()
    state = fields.String()
    reported_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    reward = fields.Dict(allow_none=True)


class EnterpriseName(Schema):
    name = fields.String()


class CommaList(fields.String):
    """`state=assigned,rectified` as a list of states."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        values = [part.strip() for part in text.split(",") if part.strip()]
        known = {state.value for state in HazardState}
        unknown = [v for v in values if v not in known]
        if unknown:
            raise ValidationError(f"未知状态 / unknown state {', '.join(unknown)}; one of {', '.join(sorted(known))}")
        return [HazardState(v) for v in values]


MAX_SELECTION = 200  # a selection is ticked on one page of the ledger (at most 200 rows)


class IdList(fields.String):
    """`ids=12,15,31` as a list of ids: a selection, at most MAX_SELECTION of them."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        parts = [part.strip() for part in text[:MAX_SELECTION * 12].split(",") if part.strip()]
        if len(parts) > MAX_SELECTION or len(text) > MAX_SELECTION * 12:
            raise ValidationError(f"最多选择 {MAX_SELECTION} 项 / at most {MAX_SELECTION} ids")
        if not all(part.isascii() and part.isdigit() and 1 <= int(part) <= MAX_ID for part in parts):
            raise ValidationError("不是有效的编号 / not an id")
        return list(dict.fromkeys(int(part) for part in parts))


class HazardQuery(Schema):
    state = CommaList(load_default=None, metadata={"description": "comma list of states"})
    enterprise_id = Id(load_default=None)
    grade = fields.String(load_default=None, validate=validate.OneOf([g.value for g in Grade]))
    overdue = fields.Boolean(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=200))
    reported_from = Day(load_default=None)
    reported_to = Day(load_default=None)
    ids = IdList(load_default=None, metadata={"description": f"comma list of hazard ids (at most {MAX_SELECTION}): only these"})


def filters_of(query: dict) -> HazardFilters:
    """The filters a loaded HazardQuery means: the one reading of the list's filters, for
    the API, its export and the ledger page."""
    return HazardFilters(
        states=query.get("state") or (),
        enterprise_id=query.get("enterprise_id"),
        grade=Grade(query["grade"]) if query.get("grade") else None,
        overdue=query.get("overdue"),
        text=query.get("q"),
        reported_from=query.get("reported_from"),
        reported_to=query.get("reported_to"),
        ids=query.get("ids") or (),
    )


class HazardListQuery(HazardQuery):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))


class TransitionIn(Schema):
    """`{event, version?, ...fields}`: the event's own fields are checked by the rulebook."""

    class Meta:
        unknown = INCLUDE

    event = fields.String(required=True, validate=validate.Length(min=1, max=20))
    version = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=MAX_ID))


class ActorOut(Schema):
    id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)


class HistoryOut(Schema):
    seq = fields.Integer()
    event = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    actor = fields.Nested(ActorOut, allow_none=True)
    at = fields.DateTime()
    data = fields.Dict()
    hash = fields.String(allow_none=True, metadata={
        "description": "null where the chain is of format 1 and the caller may not see its reporter"})


class ReporterOut(Schema):
    user_id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class AttachmentOut(Schema):
    id = fields.Integer()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()


class StagedAttachmentOut(AttachmentOut):
    """A photo in a hazard's detail: with its stage (the upload's answer keeps the contract's four fields)."""

    stage = fields.String(metadata={"description": "the event the photo came with: report (整改前), progress "
                                                   "(整改中), rectify or close (整改后)"})


class HazardOut(Schema):
    id = fields.Integer()
    code = fields.String()
    enterprise_id = fields.Integer()
    state = fields.String()
    grade = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    location = fields.String()
    description = fields.String()
    reported_at = fields.DateTime()
    anonymous = fields.Boolean()
    reporter = fields.Nested(ReporterOut, allow_none=True)
    measure = fields.String(allow_none=True)
    deadline = fields.Date(allow_none=True)
    responsible_unit = fields.String(allow_none=True)
    responsible_person = fields.String(allow_none=True)
    responsible_user_id = fields.Integer(allow_none=True)
    protective_measures = fields.String(allow_none=True)
    funds = DecimalString(allow_none=True)
    emergency_plan = fields.String(allow_none=True)
    rectified_at = fields.DateTime(allow_none=True)
    completed_on = fields.Date(allow_none=True)
    rectification_note = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    verification_note = fields.String(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    duplicate_of = fields.Integer(allow_none=True)
    overdue = fields.Boolean()
    days_overdue = fields.Integer()
    version = fields.Integer()
    # where it came from: "report" (login or QR form), "import", or "inspection" (a failed
    # check of a planned inspection, with its risk point, inspection and check index)
    source = fields.String()
    risk_point_id = fields.Integer(allow_none=True)
    inspection_id = fields.Integer(allow_none=True)
    check_index = fields.Integer(allow_none=True)


class HazardDetail(HazardOut):
    history = fields.List(fields.Nested(HistoryOut))
    allowed_events = fields.List(fields.String())
    attachments = fields.List(fields.Nested(StagedAttachmentOut))
    chain_head = fields.String(allow_none=True)


class HazardPage(Schema):
    items = fields.List(fields.Nested(HazardOut))
    next_cursor = fields.String(allow_none=True)


class EnterpriseOverdueOut(Schema):
    enterprise_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    overdue_count = fields.Integer()
    major_overdue_count = fields.Integer()
    oldest_days_overdue = fields.Integer()


class OverdueItemOut(HazardOut):
    # the due date of the latest 督办 of a hazard under supervision; null: not supervised
    supervised_until = fields.Date(allow_none=True)


class OverdueAuditOut(Schema):
    as_of = fields.Date()
    enterprises = fields.List(fields.Nested(EnterpriseOverdueOut))
    items = fields.List(fields.Nested(OverdueItemOut))


# ---- presentation: what a viewer may see of a hazard ---------------------------------

def present_reporter(hazard: Hazard, viewer: User | None) -> dict | None:
    if hazard.anonymous or not permissions.may_see_reporter(viewer, hazard):
        return None
    if hazard.reporter_user_id is not None:
        user = hazard.reporter
        return {"user_id": user.id, "name": user.display_name, "phone": None}
    if hazard.reporter_name or hazard.reporter_phone:
        return {"user_id": None, "name": hazard.reporter_name, "phone": hazard.reporter_phone}
    return None


def present_hazard(hazard: Hazard, viewer: User | None, today: date) -> dict:
    values = {name: getattr(hazard, name) for name in HazardOut._declared_fields if hasattr(hazard, name)}
    values.update(
        state=hazard.state.value,
        grade=hazard.grade.value if hazard.grade else None,
        reporter=present_reporter(hazard, viewer),
        duplicate_of=hazard.duplicate_of_id,
        overdue=hazard.is_overdue(today),
        days_overdue=hazard.days_overdue(today),
        source=source_of(hazard),
    )
    return values


def source_of(hazard: Hazard) -> str:
    """"inspection" for a failed check, "import" for a line of an imported ledger, else "report"."""
    return hazard.source or ("import" if hazard.channel is ReportChannel.IMPORT else "report")


def present_history(hazard: Hazard, entry: HazardEvent, viewer: User, with_hash: bool = True) -> dict:
    actor = None
    if not _actor_hidden(hazard, entry, viewer) and (entry.actor_user_id is not None or entry.actor_label):
        actor = {"id": entry.actor_user_id, "name": entry.actor_label}
    return {"seq": entry.seq, "event": entry.event, "from_state": entry.from_state, "to_state": entry.to_state,
            "actor": actor, "at": entry.at, "data": entry.data, "hash": entry.hash if with_hash else None}


def _actor_hidden(hazard: Hazard, entry: HazardEvent, viewer: User) -> bool:
    # The report's actor is the reporter: as confidential as the reporter field. So is
    # whoever added a photo on the report stage (the reporter, adding to the report:
    # hidden for every such photo, so that a hidden one tells nothing more), and the
    # reporter adding a photo at any stage.
    photo_of_reporter = entry.event == "photo" and (
        entry.data.get("stage") == "report"
        or (hazard.reporter_user_id is not None and entry.actor_user_id == hazard.reporter_user_id))
    return (entry.event == "report" or photo_of_reporter) and (
        hazard.anonymous or not permissions.may_see_reporter(viewer, hazard))


def hashes_shown(hazard: Hazard, viewer: User) -> bool:
    """Whether the viewer may see the hashes of the hazard's chain. A report entry of
    chain format 1 hashed its reporter as they are, so every hash from it on confirms a
    guess of who reported (chain.py): such a chain's hashes are shown only to those who
    may see the reporter. Format 2 commits to the actor with a secret salt: shown to all."""
    report = hazard.history[0] if hazard.history else None
    if report is None or report.chain_format != 1 or report.event != "report":
        return True
    named = report.actor_user_id is not None or bool(report.actor_label)
    return not (named and _actor_hidden(hazard, report, viewer))


def present_detail(hazard: Hazard, viewer: User, today: date, attachments: list[Attachment]) -> dict:
    values = present_hazard(hazard, viewer, today)
    shown = hashes_shown(hazard, viewer)
    values.update(
        history=[present_history(hazard, entry, viewer, shown) for entry in hazard.history],
        allowed_events=allowed_events(hazard, viewer, today),
        attachments=attachments,
        chain_head=hazard.chain_head if shown else None,
    )
    return values
