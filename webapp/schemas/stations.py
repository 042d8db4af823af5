"""Station deposits in and out (the attendant's API and the admin's list)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class StationDepositIn(Schema):
    member_code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    category = fields.String(required=True, validate=validate.Length(min=1, max=40))
    weight_kg = fields.Decimal(required=True, allow_nan=False)


class StationDepositArgs(Schema):
    station_id = fields.Integer(load_default=None)
    day = fields.Date(load_default=None)


class StationDepositOut(Schema):
    id = fields.Integer()
    station_id = fields.Integer()
    attendant_id = fields.Integer()
    resident_id = fields.Integer()
    action_id = fields.Integer()
    category = fields.Function(lambda d: d.action_type.code)
    weight_kg = fields.Decimal(as_string=False)
    local_day = fields.Date()
    created_at = fields.AwareDateTime()


class AttendantOut(Schema):
    user_id = fields.Integer(attribute="id")
    nickname = fields.String()
    station_id = fields.Integer(allow_none=True)
