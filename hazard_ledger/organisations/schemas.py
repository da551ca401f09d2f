from marshmallow import Schema, fields, validate

from hazard_ledger.enums import Role
from hazard_ledger.organisations.levels import Level
from hazard_ledger.validation import Id

CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$", error="字母、数字、-_. 组成，至多 32 位 / letters, digits, - _ . (at most 32)")


class JurisdictionIn(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    parent_id = Id(allow_none=True, load_default=None)
    level = fields.Enum(Level, by_value=True, allow_none=True, load_default=None,
                        metadata={"description": "province, city, county or township; by default from a GB/T 2260 "
                                                 "code, else one below the parent's"})


class JurisdictionOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    parent_id = fields.Integer(allow_none=True)
    level = fields.Enum(Level, by_value=True)


class JurisdictionList(Schema):
    items = fields.List(fields.Nested(JurisdictionOut))


class EnterpriseIn(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    jurisdiction_id = Id(required=True)
    high_risk = fields.Boolean(load_default=False)
    unionized = fields.Boolean(load_default=True)
    industry = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))


class EnterpriseOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    jurisdiction_id = fields.Integer()
    high_risk = fields.Boolean()
    unionized = fields.Boolean()
    industry = fields.String(allow_none=True)


class EnterpriseDetail(EnterpriseOut):
    report_token = fields.String(metadata={"description": "the key in the QR code of the public report form"})


class EnterpriseQuery(Schema):
    code = fields.String(load_default=None)


class EnterpriseList(Schema):
    items = fields.List(fields.Nested(EnterpriseOut))


class UserIn(Schema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.@-]{2,64}$"))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=256))
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    enterprise_id = Id(allow_none=True, load_default=None)
    jurisdiction_id = Id(allow_none=True, load_default=None)
    name = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    email = fields.Email(allow_none=True, load_default=None)


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.Function(lambda user: user.role.value)
    name = fields.String(allow_none=True)
    enterprise_id = fields.Integer(allow_none=True)
    jurisdiction_id = fields.Integer(allow_none=True)


class TokenIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class TokenOut(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
