"""Input and output shapes of the union's instruments (CONTRACT.md §5)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from hazard_ledger.hazards.schemas import HistoryOut
from hazard_ledger.union.models import CampaignKind, NoticeKind, NoticeState
from hazard_ledger.validation import Day, Id

TEXT = validate.Length(min=1, max=8000)


# ---- notices -----------------------------------------------------------------------

class NoticeIn(Schema):
    enterprise_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["reminder", "opinion"]))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    findings = fields.String(required=True, validate=TEXT)
    hazard_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=200))
    reply_working_days = fields.Integer(load_default=None, allow_none=True, strict=True,
                                        validate=validate.Range(min=1, max=60))


class ReplyIn(Schema):
    text = fields.String(required=True, validate=TEXT)
    measures = fields.String(required=True, validate=TEXT)


class AcceptIn(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class EscalateIn(Schema):
    authority = fields.String(required=True, validate=validate.Length(min=1, max=200))
    note = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class NoticeQuery(Schema):
    state = fields.String(load_default=None, validate=validate.OneOf([s.value for s in NoticeState]))
    enterprise_id = Id(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf([k.value for k in NoticeKind]))


class NoticeSummaryOut(Schema):
    id = fields.Integer()
    number = fields.String()
    kind = fields.String()
    state = fields.String()
    enterprise_id = fields.Integer()
    jurisdiction_id = fields.Integer()
    subject = fields.String()
    findings = fields.String()
    issued_on = fields.Date()
    reply_working_days = fields.Integer()
    reply_due_on = fields.Date()
    calendar_estimated = fields.Boolean()
    hazard_ids = fields.List(fields.Integer())
    authority = fields.String(allow_none=True)
    escalated_from = fields.Integer(allow_none=True)
    recommendation_id = fields.Integer(allow_none=True)
    reply = fields.Dict(allow_none=True)
    decision_note = fields.String(allow_none=True)
    allowed_moves = fields.List(fields.String())
    chain_head = fields.String()


class NoticeOut(NoticeSummaryOut):
    history = fields.List(fields.Nested(HistoryOut))


class NoticeList(Schema):
    items = fields.List(fields.Nested(NoticeSummaryOut))


def present_notice(notice, allowed: list[str], recommendation=None, with_history: bool = True) -> dict:
    values = {
        "id": notice.id, "number": notice.number, "kind": notice.kind.value, "state": notice.state.value,
        "enterprise_id": notice.enterprise_id, "jurisdiction_id": notice.jurisdiction_id, "subject": notice.subject,
        "findings": notice.findings, "issued_on": notice.issued_on, "reply_working_days": notice.reply_working_days,
        "reply_due_on": notice.reply_due_on, "calendar_estimated": notice.calendar_estimated,
        "hazard_ids": notice.hazard_ids, "authority": notice.authority, "escalated_from": notice.escalated_from_id,
        "recommendation_id": recommendation.id if recommendation else None,
        "reply": ({"text": notice.reply_text, "measures": notice.reply_measures, "at": notice.replied_at.isoformat()}
                  if notice.replied_at else None),
        "decision_note": notice.decision_note, "allowed_moves": allowed, "chain_head": notice.chain_head,
    }
    if with_history:
        values["history"] = [
            {"seq": e.seq, "event": e.event, "from_state": e.from_state, "to_state": e.to_state,
             "actor": {"id": e.actor_user_id, "name": e.actor_label} if e.actor_user_id or e.actor_label else None,
             "at": e.at, "data": e.data, "hash": e.hash}
            for e in notice.history]
    return values


# ---- campaigns -----------------------------------------------------------------------

class CampaignIn(Schema):
    jurisdiction_id = Id(required=True)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2999))
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in CampaignKind]))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    theme = fields.String(load_default="", validate=validate.Length(max=2000))
    focus = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list,
                        validate=validate.Length(max=50))
    starts_on = Day(required=True)
    ends_on = Day(required=True)
    scoring = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=60))


class CampaignOut(Schema):
    id = fields.Integer()
    jurisdiction_id = fields.Integer()
    year = fields.Integer()
    kind = fields.String()
    title = fields.String()
    theme = fields.String()
    focus = fields.List(fields.String())
    starts_on = fields.Date()
    ends_on = fields.Date()
    scoring = fields.String()
    enrolled = fields.List(fields.Integer())


class CampaignList(Schema):
    items = fields.List(fields.Nested(CampaignOut))


class YearQuery(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2999))


class EnrollIn(Schema):
    enterprise_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=1000))


class EnrolledOut(Schema):
    campaign_id = fields.Integer()
    enrolled = fields.List(fields.Integer())


class CoverageRow(Schema):
    jurisdiction_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    unionized_enterprises = fields.Integer()
    enrolled = fields.Integer()
    share = fields.Float(allow_none=True)


class CampaignCoverageOut(Schema):
    campaign_id = fields.Integer()
    jurisdictions = fields.List(fields.Nested(CoverageRow))


class ScoreItemOut(Schema):
    key = fields.String()
    title = fields.String()
    max = fields.Float()
    points = fields.Float(allow_none=True)
    auto = fields.Boolean()
    evidence = fields.Dict()


class EnterpriseScoreOut(Schema):
    enterprise_id = fields.Integer()
    name = fields.String()
    total = fields.Float()
    passed = fields.Boolean()
    items = fields.List(fields.Nested(ScoreItemOut))


class ScoresOut(Schema):
    campaign_id = fields.Integer()
    sheet = fields.String()
    line = fields.Float()
    max_total = fields.Float()
    enterprises = fields.List(fields.Nested(EnterpriseScoreOut))


class ItemScoreIn(Schema):
    points = fields.Decimal(required=True, allow_nan=False, places=2,
                            validate=validate.Range(min=-1e6, max=1e6, error="不是有效的分数 / not a score"))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ScoresIn(Schema):
    """`{items: {key: {points, note?}}}`. Each value is read with ItemScoreIn after the
    whole: the OpenAPI document keeps to shapes every client generator understands."""

    items = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=40)), values=fields.Dict(),
                        required=True, validate=validate.Length(min=1, max=50),
                        metadata={"description": "item key: {points, note?}"})

    @post_load
    def _each_item(self, data, **_kwargs):
        loaded, problems = {}, {}
        for key, value in data["items"].items():
            try:
                loaded[key] = ItemScoreIn().load(value)
            except ValidationError as error:
                problems[key] = error.messages
        if problems:
            raise ValidationError({"items": problems})
        return {**data, "items": loaded}


class HonourIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["collective", "individual"]))
    enterprise_id = Id(load_default=None, allow_none=True)
    user_id = Id(load_default=None, allow_none=True)
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))

    @validates_schema
    def _someone(self, data, **_kwargs):
        if data["kind"] == "collective" and data.get("enterprise_id") is None:
            raise ValidationError("先进集体须指定企业 / a collective honour names an enterprise", "enterprise_id")


class HonourOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    enterprise_id = fields.Integer(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    reason = fields.String()


class HonourList(Schema):
    items = fields.List(fields.Nested(HonourOut))


class ExportQuery(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx"]))


# ---- the public board ------------------------------------------------------------------

class BoardLine(Schema):
    code = fields.String()
    location = fields.String()
    description = fields.String()
    category = fields.String(allow_none=True)
    grade = fields.String(allow_none=True)
    measure = fields.String(allow_none=True)
    deadline = fields.Date(allow_none=True)
    responsible_unit = fields.String(allow_none=True)
    state = fields.String()
    days_overdue = fields.Integer()


class ClosedBoardLine(BoardLine):
    closed_at = fields.DateTime()


class BoardEnterprise(Schema):
    name = fields.String()


class BoardOut(Schema):
    enterprise = fields.Nested(BoardEnterprise)
    as_of = fields.Date()
    open = fields.List(fields.Nested(BoardLine))
    closed_recently = fields.List(fields.Nested(ClosedBoardLine))
