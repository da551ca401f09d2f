"""The fields each event takes. Static checks live here; checks that need the hazard,
the clock or the database live with the rule in rulebook.py."""

from __future__ import annotations

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from hazard_ledger.enums import Grade
from hazard_ledger.validation import Day, Id


def _required_text(max_length: int = 4000) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=max_length))


class EventFields(Schema):
    class Meta:
        unknown = RAISE


class AssignFields(EventFields):
    grade = fields.String(required=True, validate=validate.OneOf([g.value for g in Grade]))
    measure = _required_text()
    deadline = Day(required=True)
    responsible_unit = _required_text(200)
    responsible_person = _required_text(100)
    protective_measures = _required_text()
    responsible_user_id = Id(allow_none=True)
    category = fields.String(allow_none=True, validate=validate.Length(max=50))
    funds = fields.Decimal(allow_none=True, places=2, validate=validate.Range(min=0, max=10**12), allow_nan=False)
    emergency_plan = fields.String(allow_none=True, validate=validate.Length(max=4000))

    # run even when another field is wrong, so that every problem is told at once; a value
    # given but wrong has its own problem already
    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def major_needs_funds_and_plan(self, data, original, **kwargs):
        # 五落实 for a major hazard (原安监总局令第16号 Art. 15): funds and an emergency plan too
        if data.get("grade") == Grade.MAJOR.value:
            errors = {}
            if data.get("funds") is None and original.get("funds") is None:
                errors["funds"] = ["重大隐患必须落实治理资金 / a major hazard needs funds"]
            if not (data.get("emergency_plan") or "").strip() and not str(original.get("emergency_plan") or "").strip():
                errors["emergency_plan"] = ["重大隐患必须有应急预案 / a major hazard needs an emergency plan"]
            if errors:
                raise ValidationError(errors)


class RejectFields(EventFields):
    reason = fields.String(required=True, validate=validate.OneOf(["not_a_hazard", "duplicate"]))
    duplicate_of = Id(allow_none=True)
    comment = fields.String(allow_none=True, validate=validate.Length(max=4000))

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def duplicate_names_original(self, data, original, **kwargs):
        if data.get("reason") == "duplicate" and original.get("duplicate_of") is None:
            raise ValidationError({"duplicate_of": ["重复隐患须指明原隐患 / name the hazard this duplicates"]})


class ProgressFields(EventFields):
    note = _required_text()


class ExtendFields(EventFields):
    deadline = Day(required=True)
    reason = _required_text()


class RectifyFields(EventFields):
    note = _required_text()
    completed_on = Day(required=True)


class ReopenFields(EventFields):
    reason = _required_text()
    deadline = Day(allow_none=True)


class CloseFields(EventFields):
    note = _required_text()


class SuperviseFields(EventFields):
    # 督办意见: what the union requires of the enterprise. The messages are the domain's
    # "中文 / English", since the audit page shows them next to its inputs.
    note = fields.String(required=True, validate=validate.Length(
        min=1, max=4000, error="督办意见须为 1 至 4000 字 / the note must be 1 to 4000 characters"),
        error_messages={"required": "请填写督办意见 / write what the enterprise must do",
                        "null": "请填写督办意见 / write what the enterprise must do"})
    # the day by which the enterprise must have answered or finished
    due_on = Day(required=True, error_messages={"required": "请填写督办期限 / give the date to answer by",
                                                "null": "请填写督办期限 / give the date to answer by",
                                                "invalid": "日期格式不正确 / not a date"})
