from marshmallow import Schema, fields, validate

from hazard_ledger.compliance.models import DRILL_KINDS, JOB_CATEGORIES
from hazard_ledger.validation import Day, Id


class EmployeeIn(Schema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    unit = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    job_category = fields.String(load_default=None, validate=validate.OneOf(JOB_CATEGORIES))
    active = fields.Boolean(load_default=None)
    joined_on = Day(allow_none=True, load_default=None)
    left_on = Day(allow_none=True, load_default=None)


class EmployeeOut(Schema):
    number = fields.String()
    name = fields.String()
    unit = fields.String(allow_none=True)
    job_category = fields.String()
    active = fields.Boolean()
    joined_on = fields.Date(allow_none=True)
    left_on = fields.Date(allow_none=True)


class EmployeeList(Schema):
    items = fields.List(fields.Nested(EmployeeOut))


class TrainingIn(Schema):
    enterprise_id = Id(required=True)
    held_on = Day(required=True)
    topic = fields.String(required=True, validate=validate.Length(min=1, max=200))
    hours = fields.Decimal(required=True, places=1, allow_nan=False,
                           validate=lambda h: 0 < h <= 200 or _fail("须在 0 至 200 小时之间 / between 0 and 200 hours"))
    attendees = fields.List(fields.String(validate=validate.Length(min=1, max=32)), required=True,
                            validate=validate.Length(min=1, max=20000))


class DrillIn(Schema):
    enterprise_id = Id(required=True)
    held_on = Day(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(DRILL_KINDS))
    scenario = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    participants = fields.Integer(required=True, validate=validate.Range(min=1, max=100000))


class TrainingClassIn(Schema):
    jurisdiction_id = Id(required=True)
    held_on = Day(required=True)
    topic = fields.String(required=True, validate=validate.Length(min=1, max=200))
    partners = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=1000))
    attendees = fields.Integer(required=True, validate=validate.Range(min=1, max=1000000))


class Created(Schema):
    id = fields.Integer()


class ComplianceQuery(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2999))
    enterprise_id = Id(load_default=None)
    profile = fields.String(load_default=None, validate=validate.OneOf(["union", "statutory"]))


class ComplianceOut(Schema):
    year = fields.Integer()
    profile = fields.String()
    enterprises = fields.List(fields.Dict())
    jurisdictions = fields.List(fields.Dict())


class ReportsQuery(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2999))


class ReportsOut(Schema):
    items = fields.List(fields.Dict())


def _fail(message: str):
    from marshmallow import ValidationError

    raise ValidationError(message)
