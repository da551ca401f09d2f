from marshmallow import Schema, fields, validate

from hazard_ledger.rewards.models import AwardStatus
from hazard_ledger.validation import PHONE, Day, DecimalString, non_negative_money


class AwardOut(Schema):
    id = fields.Integer()
    hazard_id = fields.Integer()
    amount = DecimalString()
    status = fields.String()
    profile = fields.String()
    explanation = fields.List(fields.String())
    reporter = fields.Dict(allow_none=True)
    month = fields.String()
    claim_deadline = fields.Date(allow_none=True)
    paid_on = fields.Date(allow_none=True)
    payment_reference = fields.String(allow_none=True)
    rejected_reason = fields.String(allow_none=True)


class AwardList(Schema):
    items = fields.List(fields.Nested(AwardOut))


class AwardQuery(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2999))
    status = fields.String(load_default=None,
                           validate=validate.OneOf([status.value for status in AwardStatus]))


class YearQuery(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2999))


class ExportQuery(YearQuery):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"]))


class ApproveIn(Schema):
    amount = fields.Decimal(load_default=None, allow_none=True, places=2, allow_nan=False,
                            validate=non_negative_money)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    tier = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50),
                         metadata={"description": "a consequence tier of the award's profile, instead of an amount"})


class PayIn(Schema):
    paid_on = Day(required=True)
    reference = fields.String(required=True, validate=validate.Length(min=1, max=100))


class RejectIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class ClaimIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    phone = fields.String(required=True, validate=validate.Regexp(PHONE,
                                                                  error="不是有效的电话号码 / not a phone number"))
    payout_account = fields.String(required=True, validate=validate.Length(min=4, max=100))


class SummaryOut(Schema):
    items = fields.List(fields.Dict())


class ClaimOut(Schema):
    amount = DecimalString()
    status = fields.String()
    claim_deadline = fields.Date(allow_none=True)
