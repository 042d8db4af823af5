"""Issuance budgets: the admin's input and the status with its forecast."""

from marshmallow import Schema, fields, validate

from models import BudgetPolicy

from ..routing import ROW_ID_MAX
from ..services.budgets import MAX_CREDITS


class BudgetIn(Schema):
    month = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))
    credits = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_CREDITS))
    policy = fields.Enum(BudgetPolicy, by_value=True, load_default=BudgetPolicy.NOTIFY)


class BudgetOut(Schema):
    id = fields.Integer()
    month = fields.String()
    credits = fields.Integer()
    policy = fields.Enum(BudgetPolicy, by_value=True)
    created_at = fields.DateTime()


class PaceOut(Schema):
    """A budget against its period so far, with the forecast of the period's end and its 95% interval."""

    budget = fields.Integer()
    policy = fields.Enum(BudgetPolicy, by_value=True)
    issued = fields.Integer()
    share = fields.Float()
    days_elapsed = fields.Float()
    forecast = fields.Integer()
    forecast_low = fields.Integer()
    forecast_high = fields.Integer()
    over_forecast = fields.Boolean()
    reached = fields.List(fields.String())
    damped_at = fields.DateTime(allow_none=True)


class BudgetStatusOut(PaceOut):
    month = fields.String()
    days_in_month = fields.Integer()


class BudgetChangeIn(Schema):
    credits = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_CREDITS))
    policy = fields.Enum(BudgetPolicy, by_value=True, load_default=BudgetPolicy.NOTIFY)


class CampaignBudgetIn(BudgetChangeIn):
    campaign_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=ROW_ID_MAX))


class CampaignBudgetOut(PaceOut):
    """A campaign's budget against what the campaign added so far: boosts (credits its multipliers
    added above the CO2e) and its challenge bonuses, with the forecast for the campaign's end."""

    id = fields.Integer()
    campaign_id = fields.Integer()
    campaign_name = fields.Function(lambda s: s.campaign.name_zh)
    campaign_name_en = fields.Function(lambda s: s.campaign.name_en)
    starts_at = fields.Function(lambda s: s.campaign.starts_at.isoformat())
    ends_at = fields.Function(lambda s: s.campaign.effective_end.isoformat())
    boost = fields.Integer()
    bonus = fields.Integer()
    days_total = fields.Float()
