"""Merchants, rewards, vouchers, green purchases and settlement: inputs and per-audience outputs.

What merchant staff see of a voucher never includes the resident who holds it.
"""

from flask import url_for
from marshmallow import Schema, fields, validate

from models import Funder, MerchantCategory

from ..i18n import localized
from ..services import green_purchases, voucher_codes


class ApplicationIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=80))
    district = fields.String(required=True, validate=validate.Length(min=1, max=20))
    address = fields.String(required=True, validate=validate.Length(min=4, max=200))
    category = fields.String(required=True, validate=validate.OneOf([c.value for c in MerchantCategory]))
    contact_name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    contact_phone = fields.String(required=True, validate=validate.Length(min=6, max=20))


class ApplicationOut(Schema):
    id = fields.Integer()
    name = fields.String()
    status = fields.Function(lambda m: str(m.status))


class MerchantBriefOut(Schema):
    id = fields.Integer()
    name = fields.String()
    district = fields.Function(lambda m: m.district.code if m.district else None)


class MerchantOut(MerchantBriefOut):
    """The administrator's view, with the contact the merchant gave."""

    address = fields.String()
    category = fields.Function(lambda m: str(m.category))
    contact_name = fields.String()
    contact_phone = fields.String()
    status = fields.Function(lambda m: str(m.status))
    daily_issuance_cap = fields.Integer()
    created_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)


class MerchantListArgs(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(["pending", "approved", "suspended", "rejected"]))


class DecisionIn(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=500))


class CapIn(Schema):
    daily_issuance_cap = fields.Integer(required=True, strict=True)


class StaffIn(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    nickname = fields.String(load_default=None, validate=validate.Length(min=1, max=40))


class StaffOut(Schema):
    id = fields.Integer()
    nickname = fields.String()
    merchant_id = fields.Integer()


def _image_url(reward) -> str | None:
    return url_for("rewards.image", name=reward.image_name) if reward.image_name else None


class RewardIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=80))
    title_en = fields.String(load_default=None, validate=validate.Length(max=80))
    description = fields.String(load_default=None, validate=validate.Length(max=2000))
    description_en = fields.String(load_default=None, validate=validate.Length(max=2000))
    cost = fields.Integer(required=True, strict=True)
    stock = fields.Integer(required=True, strict=True)
    per_resident_limit = fields.Integer(load_default=1, strict=True)
    valid_from = fields.AwareDateTime(required=True)
    valid_until = fields.AwareDateTime(required=True)
    value_fen = fields.Integer(
        load_default=None, strict=True, metadata={"description": "What one reward is worth in money, in fen."}
    )


class RewardPatchIn(Schema):
    title = fields.String(validate=validate.Length(min=1, max=80))
    title_en = fields.String(validate=validate.Length(max=80))
    description = fields.String(validate=validate.Length(max=2000))
    description_en = fields.String(validate=validate.Length(max=2000))
    cost = fields.Integer(strict=True)
    stock = fields.Integer(strict=True)
    per_resident_limit = fields.Integer(strict=True)
    valid_from = fields.AwareDateTime()
    valid_until = fields.AwareDateTime()
    value_fen = fields.Integer(strict=True)
    active = fields.Boolean()


class RewardOut(Schema):
    """A reward in the residents' catalogue."""

    id = fields.Integer()
    merchant = fields.Nested(MerchantBriefOut)
    title = fields.Function(lambda r: localized(r, "title"))
    title_zh = fields.String()
    title_en = fields.String(allow_none=True)
    description = fields.Function(lambda r: localized(r, "description"))
    cost = fields.Integer()
    stock_left = fields.Integer(attribute="stock")
    per_resident_limit = fields.Integer()
    valid_from = fields.AwareDateTime()
    valid_until = fields.AwareDateTime()
    image_url = fields.Function(_image_url, allow_none=True)


class MerchantRewardOut(RewardOut):
    active = fields.Boolean()
    value_fen = fields.Integer(allow_none=True)
    funded_by = fields.Function(lambda r: str(r.funded_by))
    description_zh = fields.String()
    description_en = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class CatalogueArgs(Schema):
    district = fields.String(load_default=None, validate=validate.Length(min=1, max=20))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None)


class RewardListOut(Schema):
    items = fields.List(fields.Nested(RewardOut))
    next_cursor = fields.String(allow_none=True)


class RedeemOut(Schema):
    redemption_id = fields.Integer(attribute="id")
    voucher_code = fields.Function(lambda r: voucher_codes.display(r.code))
    expires_at = fields.AwareDateTime()
    status = fields.Function(lambda r: str(r.status))
    cost = fields.Integer()
    balance = fields.Integer()


class RewardBriefOut(Schema):
    id = fields.Integer()
    title = fields.Function(lambda r: localized(r, "title"))


class VoucherOut(Schema):
    """A voucher as its merchant's counter sees it: the reward and the status, no resident."""

    id = fields.Integer()
    voucher_code = fields.Function(lambda r: voucher_codes.display(r.code))
    status = fields.Function(lambda r: str(r.status))
    reward = fields.Nested(RewardBriefOut)
    cost = fields.Integer()
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    fulfilled_at = fields.AwareDateTime(allow_none=True)


class RedemptionOut(VoucherOut):
    """The resident's own voucher."""

    merchant = fields.Function(lambda r: MerchantBriefOut().dump(r.reward.merchant))
    closed_at = fields.AwareDateTime(allow_none=True)


class RedemptionCancelledOut(RedemptionOut):
    balance = fields.Integer()


class RedemptionListOut(Schema):
    items = fields.List(fields.Nested(RedemptionOut))
    next_cursor = fields.String(allow_none=True)


class GreenPurchaseIn(Schema):
    category = fields.String(required=True, validate=validate.Length(min=1, max=40))
    quantity = fields.Decimal(required=True, allow_nan=False)
    member_code = fields.String(load_default=None, validate=validate.Length(min=1, max=40))


class GreenPurchaseOut(Schema):
    claim_code = fields.Function(green_purchases.display)
    expires_at = fields.AwareDateTime()
    category = fields.Function(lambda c: c.action_type.code)
    quantity = fields.Decimal(as_string=False)
    co2e_grams = fields.Integer()
    claimed = fields.Function(lambda c: c.claimed_at is not None)


class GreenPurchaseCreditedOut(GreenPurchaseOut):
    credits = fields.Integer(allow_none=True)


class ClaimIn(Schema):
    claim_code = fields.String(required=True, validate=validate.Length(min=1, max=40))


class SettlementArgs(Schema):
    month = fields.String(load_default=None, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))


class SettlementLineOut(Schema):
    redemption_id = fields.Integer(attribute="id")
    voucher_code = fields.Function(lambda r: voucher_codes.display(r.code))
    reward_id = fields.Integer()
    reward = fields.Function(lambda r: localized(r.reward, "title"))
    credits = fields.Integer(attribute="cost")
    fulfilled_at = fields.AwareDateTime()


class SettlementOut(Schema):
    merchant = fields.Nested(MerchantBriefOut)
    month = fields.String(attribute="month.label")
    starts_at = fields.AwareDateTime(attribute="month.starts_at")
    ends_at = fields.AwareDateTime(attribute="month.ends_at")
    count = fields.Integer()
    credits = fields.Integer()
    by_reward = fields.List(fields.Dict())
    items = fields.List(fields.Nested(SettlementLineOut), attribute="rows")


class FundingIn(Schema):
    funded_by = fields.String(required=True, validate=validate.OneOf([f.value for f in Funder]))


class MerchantTotalsOut(Schema):
    merchant = fields.Nested(MerchantBriefOut)
    status = fields.Function(lambda t: str(t.merchant.status))
    fulfilled_count = fields.Integer()
    fulfilled_credits = fields.Integer()
    outstanding_count = fields.Integer()
    outstanding_credits = fields.Integer()


class FundingOut(Schema):
    funded_by = fields.Function(lambda f: str(f.funder))
    voucher_count = fields.Integer()
    voucher_credits = fields.Integer()
    voucher_value_fen = fields.Integer(metadata={"description": "Declared value of the outstanding vouchers."})
    share = fields.Float(metadata={"description": "Share of the credits redeemed in the basis."})
    fen_per_credit = fields.Float()
    held_value_fen = fields.Integer(metadata={"description": "Expected value of the credits residents hold."})
    value_fen = fields.Integer()


class PositionOut(Schema):
    """What the city owes at one moment: credits, and their expected money value by funder."""

    month = fields.String()
    as_of = fields.AwareDateTime()
    final = fields.Boolean(metadata={"description": "True for a month-end figure, false for the month so far."})
    resident_credits = fields.Integer()
    voucher_count = fields.Integer()
    voucher_credits = fields.Integer()
    credits = fields.Integer()
    value_fen = fields.Integer()
    funding = fields.List(fields.Nested(FundingOut))
    basis = fields.String(metadata={"description": "redemptions (of the last 90 days), catalogue or none"})
    basis_count = fields.Integer()


class LiabilityTrendOut(Schema):
    position = fields.Nested(PositionOut)
    trend = fields.List(fields.Nested(PositionOut), metadata={"description": "Month ends, oldest first, then now."})


class LiabilityOut(LiabilityTrendOut):
    month = fields.String(attribute="month.label")
    merchants = fields.List(fields.Nested(MerchantTotalsOut))
    resident_credits = fields.Integer()
    outstanding_count = fields.Integer()
    outstanding_credits = fields.Integer()
    total = fields.Integer()
