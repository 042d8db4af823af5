"""Merchants API for administrators: applications and decisions, staff, daily caps, and the month's
settlement of every merchant with the outstanding credit liability."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from models import Funder, MerchantStatus, Role, User

from ..errors import NotFound
from ..extensions import db
from ..messages import N_
from ..schemas.merchants import (
    CapIn,
    DecisionIn,
    FundingIn,
    LiabilityOut,
    MerchantListArgs,
    MerchantOut,
    MerchantRewardOut,
    SettlementArgs,
    StaffIn,
    StaffOut,
)
from ..security import roles_required
from ..services import merchants, rewards, settlement
from .merchants import month_of

admin_blp = Blueprint(
    "api_admin_merchants",
    __name__,
    url_prefix="/admin/merchants",
    description="Merchant approval, settlement and liability (administrators)",
)


@admin_blp.route("", methods=["GET"])
@roles_required(Role.ADMIN)
@admin_blp.arguments(MerchantListArgs, location="query")
@admin_blp.response(200, MerchantOut(many=True))
def list_merchants(args):
    """Merchants, by status then name."""
    return merchants.list_merchants(db.session, MerchantStatus(args["status"]) if args["status"] else None)


@admin_blp.route("/<int:merchant_id>", methods=["GET"])
@roles_required(Role.ADMIN)
@admin_blp.response(200, MerchantOut)
def get_merchant(merchant_id: int):
    """One merchant with its contact."""
    return merchants.get(db.session, merchant_id)


@admin_blp.route("/<int:merchant_id>/<any(approve, reject, suspend, reinstate):decision>", methods=["POST"])
@roles_required(Role.ADMIN)
@admin_blp.arguments(DecisionIn)
@admin_blp.response(200, MerchantOut)
def decide(data, merchant_id: int, decision: str):
    """Approve or reject an application; suspend or reinstate an approved merchant (audited)."""
    return merchants.decide(db.session, current_user.user, merchant_id, decision, data["note"])


@admin_blp.route("/<int:merchant_id>/cap", methods=["POST"])
@roles_required(Role.ADMIN)
@admin_blp.arguments(CapIn)
@admin_blp.response(200, MerchantOut)
def set_cap(data, merchant_id: int):
    """Set the base credits the merchant may certify per city day."""
    return merchants.set_daily_cap(db.session, current_user.user, merchant_id, data["daily_issuance_cap"])


@admin_blp.route("/<int:merchant_id>/staff", methods=["POST"])
@roles_required(Role.ADMIN)
@admin_blp.arguments(StaffIn)
@admin_blp.response(201, StaffOut)
def create_staff(data, merchant_id: int):
    """Create a staff account that belongs to this merchant."""
    return merchants.create_staff(db.session, current_user.user, merchant_id, **data)


@admin_blp.route("/staff/<int:user_id>/merchant/<int:merchant_id>", methods=["PUT"])
@roles_required(Role.ADMIN)
@admin_blp.response(200, StaffOut)
def attach_staff(user_id: int, merchant_id: int):
    """Attach an existing merchant-staff account to a merchant."""
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound(N_("No such account."))
    merchants.attach_staff(db.session, current_user.user, user, merchants.get(db.session, merchant_id))
    return user


@admin_blp.route("/rewards/<int:reward_id>/funding", methods=["PUT"])
@roles_required(Role.ADMIN)
@admin_blp.arguments(FundingIn)
@admin_blp.response(200, MerchantRewardOut)
def set_funding(data, reward_id: int):
    """Say who pays for a reward when redeemed: the merchant, or the city (audited; issued vouchers keep theirs)."""
    return rewards.set_funder(db.session, current_user.user, reward_id, Funder(data["funded_by"]))


@admin_blp.route("/liability", methods=["GET"])
@roles_required(Role.ADMIN)
@admin_blp.arguments(SettlementArgs, location="query")
@admin_blp.response(200, LiabilityOut)
def liability(args):
    """Every merchant's month, the credits residents hold and the vouchers not yet fulfilled."""
    return settlement.liability(db.session, month_of(args))
