from marshmallow import Schema, fields, validate

from hazard_ledger.hazards.schemas import MAX_SELECTION
from hazard_ledger.validation import Id


class NotificationOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    hazard_id = fields.Integer(allow_none=True)
    message = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class Inbox(Schema):
    items = fields.List(fields.Nested(NotificationOut))


class InboxQuery(Schema):
    unread = fields.Boolean(load_default=False)


class WebhookIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["generic", "dingtalk", "wecom"]))
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False)
    secret = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    enterprise_id = Id(allow_none=True, load_default=None)
    jurisdiction_id = Id(allow_none=True, load_default=None)
    kinds = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200),
                          metadata={"description": "comma list of notification kinds; default by owner"})


class WebhookOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    url = fields.String()
    enterprise_id = fields.Integer(allow_none=True)
    jurisdiction_id = fields.Integer(allow_none=True)
    kinds = fields.String()
    active = fields.Boolean()
    signed = fields.Function(lambda hook: bool(hook.secret))


class WebhookList(Schema):
    items = fields.List(fields.Nested(WebhookOut))


class DeliveryOut(Schema):
    id = fields.Integer()
    channel = fields.String()
    kind = fields.String()
    recipient = fields.String(allow_none=True)
    webhook_id = fields.Integer(allow_none=True)
    subject = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class DeliveryList(Schema):
    items = fields.List(fields.Nested(DeliveryOut))


class DeliveryQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(["pending", "sending", "sent", "failed"]))


class NudgeIn(Schema):
    hazard_ids = fields.List(Id(), required=True, validate=validate.Length(
        min=1, max=MAX_SELECTION, error=f"须为 1 至 {MAX_SELECTION} 个编号 / 1 to {MAX_SELECTION} ids"))


class NudgeOut(Schema):
    nudged = fields.Integer()
    skipped = fields.Integer(metadata={"description": "not overdue, not in the caller's scope, or nudged today"})
