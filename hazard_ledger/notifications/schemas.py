from marshmallow import Schema, fields


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
