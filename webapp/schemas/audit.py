"""The audit log as the admin API shows it."""

from marshmallow import Schema, fields, validate


class AuditArgs(Schema):
    actor = fields.Integer(load_default=None, validate=validate.Range(min=1), metadata={"description": "actor user id"})
    action = fields.String(
        load_default=None, validate=validate.Length(max=60), metadata={"description": "action prefix"}
    )
    target_type = fields.String(load_default=None, validate=validate.Length(max=40))
    target_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    first = fields.Date(data_key="from", load_default=None, metadata={"description": "first city day, YYYY-MM-DD"})
    last = fields.Date(data_key="to", load_default=None, metadata={"description": "last city day, YYYY-MM-DD"})


class AuditEventOut(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    target_type = fields.String(allow_none=True)
    target_id = fields.Integer(allow_none=True)
    data = fields.Dict()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class AuditListOut(Schema):
    items = fields.List(fields.Nested(AuditEventOut))
    next_cursor = fields.String(allow_none=True)
