"""Merchants and rewards API: applying, the catalogue, redemption, vouchers at the counter,
green purchases and the merchant's settlement (the administrators' side is in merchant_admin.py)."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from models import Redemption, Role

from ..extensions import db, limiter
from ..schemas.actions import ActionCreatedOut
from ..schemas.merchants import (
    ApplicationIn,
    ApplicationOut,
    CatalogueArgs,
    ClaimIn,
    GreenPurchaseCreditedOut,
    GreenPurchaseIn,
    MerchantRewardOut,
    RedeemOut,
    RedemptionCancelledOut,
    RedemptionListOut,
    RedemptionOut,
    RewardIn,
    RewardListOut,
    RewardOut,
    RewardPatchIn,
    SettlementArgs,
    SettlementOut,
    VoucherOut,
)
from ..security import public, roles_required
from ..services import green_purchases, ledger, merchants, redemptions, rewards, settlement
from ..services.rewards import RewardInput
from .common import IDEMPOTENCY_DOC, PageArgs, attachment, decode_cursor, encode_cursor, idempotent, paginate


class With:
    """An object's attributes plus a few more, for one output schema (e.g. a voucher and the new balance)."""

    def __init__(self, obj: object, **extra: object) -> None:
        self._obj = obj
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> object:
        return getattr(self._obj, name)


blp = Blueprint("api_rewards", __name__, description="Rewards, vouchers and green purchases (residents)")
merchant_blp = Blueprint("api_merchant", __name__, url_prefix="/merchant", description="Merchant staff")


@blp.route("/merchants/applications", methods=["POST"])
@public
@limiter.limit("20/hour")
@blp.arguments(ApplicationIn)
@blp.response(201, ApplicationOut)
def apply(data):
    """A merchant applies to join; an administrator approves it."""
    return merchants.apply(db.session, merchants.Application(**data))


@blp.route("/rewards", methods=["GET"])
@public
@blp.arguments(CatalogueArgs, location="query")
@blp.response(200, RewardListOut)
def catalogue(args):
    """Rewards that can be redeemed now: your own district first, then by cost."""
    home = current_user.district_id if current_user.is_authenticated else None
    stmt = rewards.catalogue_query(db.session, district=args["district"], home_district_id=home)
    offset = decode_cursor(args["cursor"]) or 0
    rows = list(db.session.scalars(stmt.offset(offset).limit(args["limit"] + 1)))
    more = len(rows) > args["limit"]
    return {"items": rows[: args["limit"]], "next_cursor": encode_cursor(offset + args["limit"]) if more else None}


@blp.route("/rewards/<int:reward_id>", methods=["GET"])
@public
@blp.response(200, RewardOut)
def reward(reward_id: int):
    """One reward of the catalogue."""
    return rewards.get_visible(db.session, reward_id)


@blp.route("/rewards/<int:reward_id>/redeem", methods=["POST"])
@roles_required(Role.RESIDENT)
@blp.doc(parameters=[IDEMPOTENCY_DOC])
@idempotent
@blp.response(201, RedeemOut)
@blp.alt_response(409, description="Too few credits, no stock left, or the per-resident limit reached.")
def redeem(reward_id: int):
    """Spend credits on a voucher; 409 for too few credits, no stock or the per-resident limit."""
    redemption, account = redemptions.redeem(db.session, current_user.user, reward_id)
    return With(redemption, balance=account.balance)


@blp.route("/redemptions", methods=["GET"])
@roles_required(Role.RESIDENT)
@blp.arguments(PageArgs, location="query")
@blp.response(200, RedemptionListOut)
def list_redemptions(args):
    """Your vouchers, newest first (issued, fulfilled, cancelled or expired)."""
    redemptions.expire_due_vouchers(db.session, user_id=current_user.id)
    return paginate(redemptions.of_resident(current_user.user), Redemption.id, args)


@blp.route("/redemptions/<int:redemption_id>", methods=["GET"])
@roles_required(Role.RESIDENT)
@blp.response(200, RedemptionOut)
def get_redemption(redemption_id: int):
    """One of your vouchers."""
    return redemptions.own(db.session, current_user.user, redemption_id)


@blp.route("/redemptions/<int:redemption_id>/cancel", methods=["POST"])
@roles_required(Role.RESIDENT)
@blp.response(200, RedemptionCancelledOut)
@blp.alt_response(409, description="The voucher is no longer issued.")
def cancel(redemption_id: int):
    """Give an unused voucher back: the credits and the stock return. Only while issued."""
    redemption = redemptions.cancel(db.session, current_user.user, redemption_id)
    return With(redemption, balance=ledger.account_for(db.session, current_user.user).balance)


@blp.route("/green-purchases/claim", methods=["POST"])
@roles_required(Role.RESIDENT)
@blp.doc(parameters=[IDEMPOTENCY_DOC])
@idempotent
@blp.arguments(ClaimIn)
@blp.response(201, ActionCreatedOut)
@blp.alt_response(409, description="The code was already claimed, or has expired.")
def claim(data):
    """Claim a merchant-certified purchase once; answers as POST /actions."""
    action, account = green_purchases.claim(db.session, current_user.user, data["claim_code"])
    return With(action, balance=account.balance)


def _reward_input(data: dict) -> RewardInput:
    return RewardInput(**{k: v for k, v in data.items() if k != "active"})


@merchant_blp.route("/rewards", methods=["POST"])
@roles_required(Role.MERCHANT)
@merchant_blp.arguments(RewardIn)
@merchant_blp.response(201, MerchantRewardOut)
def create_reward(data):
    """Publish a reward (visible once the merchant is approved and the validity window opens)."""
    return rewards.create(db.session, current_user.user, _reward_input(data))


@merchant_blp.route("/rewards", methods=["GET"])
@roles_required(Role.MERCHANT)
@merchant_blp.response(200, MerchantRewardOut(many=True))
def own_rewards():
    """Your merchant's rewards, newest first, paused ones included."""
    return rewards.of_merchant(db.session, current_user.user)


@merchant_blp.route("/rewards/<int:reward_id>", methods=["PATCH"])
@roles_required(Role.MERCHANT)
@merchant_blp.arguments(RewardPatchIn)
@merchant_blp.response(200, MerchantRewardOut)
def edit_reward(data, reward_id: int):
    """Edit a reward; `active: false` pauses it, `true` resumes it; `stock` is what is left from now."""
    return rewards.update(db.session, current_user.user, reward_id, _reward_input(data), active=data.get("active"))


@merchant_blp.route("/vouchers/<code>", methods=["GET"])
@roles_required(Role.MERCHANT)
@merchant_blp.response(200, VoucherOut)
def voucher(code: str):
    """A voucher of your merchant: the reward and its status (never the resident)."""
    return redemptions.at_counter(db.session, current_user.user, code)


@merchant_blp.route("/vouchers/<code>/fulfil", methods=["POST"])
@roles_required(Role.MERCHANT)
@merchant_blp.response(200, VoucherOut)
@merchant_blp.alt_response(409, description="Already fulfilled, cancelled or expired, or the merchant is suspended.")
def fulfil(code: str):
    """Hand over the reward; 409 when already fulfilled, cancelled or expired; 404 for another merchant's."""
    return redemptions.fulfil(db.session, current_user.user, code)


@merchant_blp.route("/green-purchases", methods=["POST"])
@roles_required(Role.MERCHANT)
@merchant_blp.doc(parameters=[IDEMPOTENCY_DOC])
@idempotent
@merchant_blp.arguments(GreenPurchaseIn)
@merchant_blp.response(201, GreenPurchaseCreditedOut)
def certify(data):
    """Certify a green purchase: a claim code for the resident, or, with `member_code`, credit at once."""
    staff = current_user.user
    if data["member_code"]:
        found, action = green_purchases.certify_for_member(
            db.session, staff, data["category"], data["quantity"], data["member_code"]
        )
        return With(found, credits=action.credits)
    return green_purchases.certify(db.session, staff, data["category"], data["quantity"])


def month_of(args) -> str:
    return args["month"] or settlement.current_month(db.session)


@merchant_blp.route("/settlement", methods=["GET"])
@roles_required(Role.MERCHANT)
@merchant_blp.arguments(SettlementArgs, location="query")
@merchant_blp.response(200, SettlementOut)
def merchant_settlement(args):
    """Fulfilled vouchers and their credits in a city month (default: this month)."""
    return settlement.statement(db.session, current_user.user, month_of(args))


@merchant_blp.route("/settlement.csv", methods=["GET"])
@roles_required(Role.MERCHANT)
@merchant_blp.arguments(SettlementArgs, location="query")
@merchant_blp.response(200, description="One line per fulfilled voucher, and a total.", content_type="text/csv")
def merchant_settlement_csv(args):
    """The month's settlement as CSV."""
    st = settlement.statement(db.session, current_user.user, month_of(args))
    return attachment(settlement.statement_csv(db.session, st), f"settlement-{st.month.label}.csv")
