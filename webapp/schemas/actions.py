"""Personal carbon account: action types, actions, the account and its entries."""

from marshmallow import Schema, fields, validate

from ..i18n import localized
from .common import Number


class ActionTypeOut(Schema):
    """A type with the factor version in force now (services.methodology.PublishedType)."""

    code = fields.String(attribute="type.code")
    family = fields.Function(lambda p: str(p.type.family))
    name = fields.Function(lambda p: localized(p.type, "name"))
    name_zh = fields.String(attribute="type.name_zh")
    name_en = fields.String(attribute="type.name_en")
    unit = fields.String(attribute="type.unit")
    unit_label = fields.Function(lambda p: localized(p.type, "unit"))
    grams_per_unit = Number(attribute="factor.grams_per_unit")
    factor_code = fields.String(attribute="factor.code")
    factor_version = fields.Integer(attribute="factor.version")
    source = fields.String(attribute="factor.source")
    confidence = fields.String(attribute="factor.confidence")
    min_quantity = Number(attribute="type.min_quantity")
    max_quantity = Number(attribute="type.max_quantity")
    step = Number(attribute="type.step")
    daily_cap_credits = fields.Integer(attribute="type.daily_cap_self")
    daily_cap_credits_evidenced = fields.Integer(attribute="type.daily_cap_evidenced")
    needs_evidence = fields.Boolean(attribute="type.needs_evidence")
    green_travel = fields.Boolean(attribute="type.green_travel", allow_none=True)


class ActionIn(Schema):
    type = fields.String(required=True, validate=validate.Length(min=1, max=40))
    quantity = fields.Decimal(required=True, allow_nan=False)
    occurred_at = fields.AwareDateTime(required=True)
    evidence_code = fields.String(load_default=None, validate=validate.Length(min=1, max=120))
    note = fields.String(load_default=None, validate=validate.Length(max=200))


class ActionOut(Schema):
    id = fields.Integer()
    type = fields.Function(lambda a: a.action_type.code)
    quantity = Number()
    occurred_at = fields.AwareDateTime()
    status = fields.Function(lambda a: str(a.status))
    reason = fields.String(allow_none=True)
    review_note = fields.String(allow_none=True)
    evidence = fields.Function(lambda a: str(a.evidence))
    co2e_grams = fields.Integer()
    credits = fields.Integer()
    capped = fields.Boolean()
    multiplier = Number()
    campaign_ids = fields.List(fields.Integer())
    factor_code = fields.Function(lambda a: a.factor.code)
    factor_version = fields.Function(lambda a: a.factor.version)
    created_at = fields.AwareDateTime()


class ActionCreatedOut(ActionOut):
    balance = fields.Integer()


class ActionListOut(Schema):
    items = fields.List(fields.Nested(ActionOut))
    next_cursor = fields.String(allow_none=True)


class ExpiringOut(Schema):
    credits = fields.Integer()
    on = fields.Date()


class AccountOut(Schema):
    balance = fields.Integer()
    lifetime_earned = fields.Integer()
    lifetime_redeemed = fields.Integer()
    co2e_grams = fields.Integer()
    co2e_grams_week = fields.Integer()
    level = fields.Raw(allow_none=True)
    streak_days = fields.Integer()
    badges = fields.List(fields.Raw())
    credits_expiring_soon = fields.Nested(ExpiringOut, allow_none=True)


class EntryOut(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda e: str(e.kind))
    amount = fields.Integer()
    balance_after = fields.Integer()
    created_at = fields.AwareDateTime()
    cause = fields.Function(lambda e: {"type": e.cause_type, "id": e.cause_id, "reason": e.reason})


class EntryListOut(Schema):
    items = fields.List(fields.Nested(EntryOut))
    next_cursor = fields.String(allow_none=True)


class AppealIn(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class RejectIn(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class AdjustmentIn(Schema):
    amount = fields.Integer(required=True, strict=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class FactorVersionIn(Schema):
    grams_per_unit = fields.Decimal(required=True, allow_nan=False)
    effective_from = fields.Date(required=True)
    source = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    formula = fields.String(load_default="", validate=validate.Length(max=2000))
    year = fields.Integer(required=True, validate=validate.Range(min=1990, max=2100))
    confidence = fields.String(required=True, validate=validate.OneOf(["V", "S", "U"]))
    notes = fields.String(load_default="", validate=validate.Length(max=2000))


class FactorOut(Schema):
    id = fields.Integer()
    code = fields.String()
    version = fields.Integer()
    grams_per_unit = Number()
    unit = fields.String()
    formula = fields.String()
    source = fields.String()
    year = fields.Integer()
    confidence = fields.String()
    valid_from = fields.AwareDateTime()
    valid_to = fields.AwareDateTime(allow_none=True)
