"""Input and output shapes of dual prevention (CONTRACT §6), and how its records are shown."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from hazard_ledger.prevention.models import (
    Frequency, Inspection, InspectionPlan, InspectionState, RiskMethod, RiskPoint, RiskPointKind,
)
from hazard_ledger.validation import Day, Id

def _lines(required: bool, **kwargs) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(min=1, max=500)), required=required,
                       validate=validate.Length(min=1 if required else 0, max=100), **kwargs)


def _factor(**kwargs) -> fields.Float:
    # a number here; whether it is one of the method's table values is the grading's call (422 naming it)
    return fields.Float(allow_nan=False, **kwargs)


class RiskPointIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in RiskPointKind]))
    location = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             metadata={"description": "the area (区域) the four-colour picture groups by"})
    dangers = _lines(True)
    controls = _lines(True)
    method = fields.String(required=True, validate=validate.OneOf([m.value for m in RiskMethod]))
    l = _factor(required=True)  # noqa: E741
    e = _factor(load_default=None, allow_none=True)
    c = _factor(load_default=None, allow_none=True)
    s = _factor(load_default=None, allow_none=True)
    checks = _lines(False, load_default=list,
                    metadata={"description": "排查清单; empty: one check per control measure"})

    @validates_schema
    def _stripped(self, data, **kwargs):
        for name in ("name", "location"):
            if name in data and not data[name].strip():
                raise ValidationError("不能为空 / must not be blank", name)


class RiskPointOut(Schema):
    id = fields.Integer()
    enterprise_id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    location = fields.String()
    dangers = fields.List(fields.String())
    controls = fields.List(fields.String())
    checks = fields.List(fields.String())
    method = fields.String()
    l = fields.Float()  # noqa: E741
    e = fields.Float(allow_none=True)
    c = fields.Float(allow_none=True)
    s = fields.Float(allow_none=True)
    score = fields.Float()
    level = fields.String(metadata={"description": "major | high | general | low"})
    colour = fields.String(metadata={"description": "red | orange | yellow | blue"})
    tier = fields.String(metadata={"description": "control tier: company | workshop | team | post"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class RiskPointList(Schema):
    items = fields.List(fields.Nested(RiskPointOut))


class PlanIn(Schema):
    risk_point_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=1000))
    frequency = fields.String(required=True, validate=validate.OneOf([f.value for f in Frequency]))
    assignee_user_id = Id(required=True)


class PlanOut(Schema):
    id = fields.Integer()
    enterprise_id = fields.Integer()
    risk_point_ids = fields.List(fields.Integer())
    frequency = fields.String()
    assignee_user_id = fields.Integer()
    active = fields.Boolean()
    created_at = fields.DateTime()


class PlanList(Schema):
    items = fields.List(fields.Nested(PlanOut))


class InspectionQuery(Schema):
    state = fields.String(load_default=None, validate=validate.OneOf([s.value for s in InspectionState]))
    enterprise_id = Id(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))


class PointBrief(Schema):
    id = fields.Integer()
    name = fields.String()
    location = fields.String()
    level = fields.String()
    colour = fields.String()


class ResultOut(Schema):
    check = fields.Integer()
    text = fields.String()
    ok = fields.Boolean()
    note = fields.String(allow_none=True)
    hazard_id = fields.Integer(allow_none=True)


class InspectionOut(Schema):
    id = fields.Integer()
    plan_id = fields.Integer()
    enterprise_id = fields.Integer()
    risk_point_id = fields.Integer()
    risk_point = fields.Nested(PointBrief)
    assignee_user_id = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    state = fields.String(metadata={"description": "due | done | missed"})
    checks = fields.List(fields.String(), metadata={"description": "what to check, by index"})
    results = fields.List(fields.Nested(ResultOut), allow_none=True)
    hazard_ids = fields.List(fields.Integer())
    created_at = fields.DateTime()
    done_at = fields.DateTime(allow_none=True)
    done_by_user_id = fields.Integer(allow_none=True)
    missed_at = fields.DateTime(allow_none=True)


class InspectionPage(Schema):
    items = fields.List(fields.Nested(InspectionOut))
    next_cursor = fields.String(allow_none=True)


class ResultIn(Schema):
    check = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10000))
    ok = fields.Boolean(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class ResultsIn(Schema):
    items = fields.List(fields.Nested(ResultIn), required=True, validate=validate.Length(max=100))


class ResultsOut(Schema):
    id = fields.Integer()
    state = fields.String()
    hazard_ids = fields.List(fields.Integer())


class CoverageQuery(Schema):
    from_ = Day(data_key="from", load_default=None)
    to = Day(load_default=None)

    @validates_schema
    def _in_order(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("须不早于 from / must not be before from", "to")


class InspectionCoverageOut(Schema):
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    enterprises = fields.List(fields.Dict())
    jurisdictions = fields.List(fields.Dict())


# ---- presentation ------------------------------------------------------------------------

def present_point(point: RiskPoint) -> dict:
    values = {name: getattr(point, name) for name in RiskPointOut._declared_fields}
    values.update(kind=point.kind.value, method=point.method.value, level=point.level.value)
    return values


def present_plan(plan: InspectionPlan) -> dict:
    return {"id": plan.id, "enterprise_id": plan.enterprise_id, "risk_point_ids": [p.id for p in plan.points],
            "frequency": plan.frequency.value, "assignee_user_id": plan.assignee_user_id, "active": plan.active,
            "created_at": plan.created_at}


def present_inspection(inspection: Inspection) -> dict:
    point = inspection.risk_point
    checks = ([item["text"] for item in inspection.results] if inspection.results is not None else list(point.checks))
    return {
        "id": inspection.id, "plan_id": inspection.plan_id, "enterprise_id": inspection.enterprise_id,
        "risk_point_id": point.id, "risk_point": {"id": point.id, "name": point.name, "location": point.location,
                                                  "level": point.level.value, "colour": point.colour},
        "assignee_user_id": inspection.assignee_user_id, "period_start": inspection.period_start,
        "period_end": inspection.period_end, "state": inspection.state.value, "checks": checks,
        "results": inspection.results, "hazard_ids": inspection.hazard_ids, "created_at": inspection.created_at,
        "done_at": inspection.done_at, "done_by_user_id": inspection.done_by_user_id,
        "missed_at": inspection.missed_at,
    }
