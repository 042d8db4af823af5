"""Issuance budgets: the admin's input and the status with its forecast."""

from marshmallow import Schema, fields, validate

from models import BudgetPolicy


class BudgetIn(Schema):
    month = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))
    credits = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    policy = fields.Enum(BudgetPolicy, by_value=True, load_default=BudgetPolicy.NOTIFY)


class BudgetOut(Schema):
    id = fields.Integer()
    month = fields.String()
    credits = fields.Integer()
    policy = fields.Enum(BudgetPolicy, by_value=True)
    created_at = fields.DateTime()


class BudgetStatusOut(Schema):
    month = fields.String()
    budget = fields.Integer()
    policy = fields.Enum(BudgetPolicy, by_value=True)
    issued = fields.Integer()
    share = fields.Float()
    days_elapsed = fields.Float()
    days_in_month = fields.Integer()
    forecast = fields.Integer()
    forecast_low = fields.Integer()
    forecast_high = fields.Integer()
    over_forecast = fields.Boolean()
    reached = fields.List(fields.String())
    damped_at = fields.DateTime(allow_none=True)
