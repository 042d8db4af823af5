"""Personal carbon account API: action types, actions, the account and its ledger entries."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from models import Action, LedgerEntry, Role, utcnow

from ..extensions import db
from ..i18n import current_language
from ..schemas.actions import (
    AccountOut,
    ActionCreatedOut,
    ActionIn,
    ActionListOut,
    ActionOut,
    ActionTypeOut,
    AppealIn,
    EntryListOut,
)
from ..security import public, roles_required
from ..services import actions, expiry, gamification, ledger, methodology
from .common import IDEMPOTENCY_DOC, PageArgs, idempotent, paginate

blp = Blueprint("api_account", __name__, description="Personal carbon account")


@blp.route("/action-types", methods=["GET"])
@public
@blp.response(200, ActionTypeOut(many=True))
def action_types():
    """Green action types with the emission factor version in force now."""
    return methodology.published_types(db.session)


@blp.route("/actions", methods=["POST"])
@roles_required(Role.RESIDENT)
@blp.doc(parameters=[IDEMPOTENCY_DOC])
@idempotent
@blp.arguments(ActionIn)
@blp.response(201, ActionCreatedOut, description="The scored action and the new balance")
def log_action(data):
    """Log a green action; credits follow the published scoring rules."""
    action, account = actions.log_action(db.session, current_user.user, actions.ActionInput(**data))
    action.balance = account.balance  # shown beside the action; not a mapped column
    return action


@blp.route("/actions", methods=["GET"])
@roles_required(Role.RESIDENT)
@blp.arguments(PageArgs, location="query")
@blp.response(200, ActionListOut)
def list_actions(args):
    """Your actions, newest first."""
    return paginate(actions.actions_query(current_user.user), Action.id, args)


@blp.route("/actions/<int:action_id>/appeal", methods=["POST"])
@roles_required(Role.RESIDENT)
@blp.arguments(AppealIn)
@blp.response(200, ActionOut)
def appeal(data, action_id: int):
    """Appeal a rejected action once; it goes back to review."""
    return actions.appeal(db.session, current_user.user, action_id, data["text"])


@blp.route("/account", methods=["GET"])
@roles_required(Role.RESIDENT)
@blp.response(200, AccountOut)
def account():
    """Your balance, lifetime figures, CO2e avoided, level, streak and badges."""
    user = current_user.user
    acct = ledger.account_for(db.session, user)
    week, _total = actions.week_and_total(db.session, user)
    return {
        "balance": acct.balance,
        "lifetime_earned": acct.lifetime_earned,
        "lifetime_redeemed": acct.lifetime_redeemed,
        "co2e_grams": acct.co2e_grams,
        "co2e_grams_week": week,
        "credits_expiring_soon": expiry.expiring_soon(db.session, acct, utcnow()),
        **gamification.summary(db.session, user, acct, language=current_language()),
    }


@blp.route("/account/entries", methods=["GET"])
@roles_required(Role.RESIDENT)
@blp.arguments(PageArgs, location="query")
@blp.response(200, EntryListOut)
def entries(args):
    """Your ledger entries, newest first, each with its cause."""
    acct = ledger.account_for(db.session, current_user.user)
    return paginate(ledger.entries_query(acct), LedgerEntry.id, args)
