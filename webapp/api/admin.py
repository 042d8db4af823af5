"""Administration API: the review queue, ledger adjustments, new emission-factor versions, the audit log,
issuance budgets."""

from __future__ import annotations

from flask import Response
from flask_login import current_user
from flask_smorest import Blueprint

from models import CampaignBudget, CreditBudget, Role, User, utcnow

from ..errors import NotFound
from ..extensions import db
from ..messages import N_
from ..schemas.actions import ActionOut, AdjustmentIn, EntryOut, FactorOut, FactorVersionIn, RejectIn
from ..schemas.audit import AuditArgs, AuditListOut
from ..schemas.budgets import BudgetChangeIn, BudgetIn, BudgetOut, BudgetStatusOut, CampaignBudgetIn, CampaignBudgetOut
from ..security import roles_required
from ..services import actions, audit_log, budgets, ledger, methodology
from .common import PageArgs, decode_cursor, encode_cursor

blp = Blueprint("api_admin", __name__, url_prefix="/admin", description="Administration")


@blp.route("/review", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.response(200, ActionOut(many=True))
def review_queue():
    """Actions waiting for review (evidence missing, velocity holds, appeals), oldest first."""
    return actions.pending_queue(db.session)


@blp.route("/actions/<int:action_id>/approve", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.response(200, ActionOut)
def approve(action_id: int):
    """Credit a pending action."""
    return actions.approve(db.session, current_user.user, action_id)


@blp.route("/actions/<int:action_id>/reject", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.arguments(RejectIn)
@blp.response(200, ActionOut)
def reject(data, action_id: int):
    """Reject a pending action with a reason the resident sees."""
    return actions.reject(db.session, current_user.user, action_id, data["note"])


@blp.route("/accounts/<int:user_id>/adjustments", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.arguments(AdjustmentIn)
@blp.response(201, EntryOut)
def adjust(data, user_id: int):
    """Correct a resident's balance with a new entry and a reason (audited)."""
    resident = db.session.get(User, user_id)
    if resident is None or resident.deleted_at is not None:
        raise NotFound(N_("No such account."))
    return ledger.adjust(db.session, current_user.user, resident, data["amount"], data["reason"])


@blp.route("/factors/<code>/versions", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.arguments(FactorVersionIn)
@blp.response(201, FactorOut)
def publish_factor(data, code: str):
    """Publish a new version of an emission factor, effective from a city day (today or later)."""
    effective_from = data.pop("effective_from")
    return methodology.publish_version(db.session, current_user.user, code, effective_from=effective_from, **data)


class AuditQuery(AuditArgs, PageArgs):
    pass


@blp.route("/audit", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.arguments(AuditQuery, location="query")
@blp.response(200, AuditListOut)
def audit(args):
    """Every staff write, newest first: who, when, what, before and after; filter by actor, action prefix,
    target and city days."""
    chosen = audit_log.AuditFilter.from_args(args)
    rows, more = audit_log.page(db.session, current_user.user, chosen, args["limit"], decode_cursor(args["cursor"]))
    return {"items": rows, "next_cursor": encode_cursor(rows[-1].id) if more else None}


@blp.route("/budgets", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.response(200, BudgetOut(many=True))
def list_budgets():
    """Monthly issuance budgets, newest month first."""
    return budgets.budgets(db.session)


@blp.route("/budgets", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.arguments(BudgetIn)
@blp.response(201, BudgetOut)
def set_budget(data):
    """Set a month's issuance budget (this month or later, positive, one per month; else 422 on the field)."""
    return budgets.set_budget(db.session, current_user.user, data["month"], data["credits"], data["policy"], utcnow())


@blp.route("/budgets/current", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.response(200, BudgetStatusOut)
def budget_status():
    """This month's budget against issuance so far, with the month-end forecast and its 95% interval."""
    current = budgets.status(db.session, utcnow())
    if current is None:
        raise NotFound(N_("No budget for this month."))
    return current


@blp.route("/budgets/<int:budget_id>", methods=["PUT"])
@roles_required(Role.ADMIN)
@blp.arguments(BudgetChangeIn)
@blp.response(200, BudgetOut)
def change_budget(data, budget_id: int):
    """New credits or policy for this month's budget or a later one (a past month's is the record: 422 on
    `month`); lifts a damping until the next sweep finds the forecast over the new figure."""
    return budgets.change_budget(
        db.session, current_user.user, CreditBudget, budget_id, data["credits"], data["policy"], utcnow()
    )


@blp.route("/budgets/<int:budget_id>", methods=["DELETE"])
@roles_required(Role.ADMIN)
@blp.response(204)
def delete_budget(budget_id: int):
    """Remove this month's budget or a later one (a past month's is kept: 422 on `month`)."""
    budgets.delete_budget(db.session, current_user.user, CreditBudget, budget_id, utcnow())
    return Response(status=204)


@blp.route("/budgets/campaigns", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.response(200, CampaignBudgetOut(many=True))
def list_campaign_budgets():
    """Campaign budgets, the latest campaign first, each against what its campaign has added so far."""
    return budgets.campaign_spends(db.session, utcnow())


@blp.route("/budgets/campaigns", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.arguments(CampaignBudgetIn)
@blp.response(201, CampaignBudgetOut)
def set_campaign_budget(data):
    """Cap what one campaign adds over its run (boosts and challenge bonuses): a campaign not ended nor
    cancelled, positive, one budget per campaign; else 422 on the field (404 for an unknown campaign)."""
    budget = budgets.set_campaign_budget(
        db.session, current_user.user, data["campaign_id"], data["credits"], data["policy"], utcnow()
    )
    return budgets.campaign_spend(db.session, budget, utcnow())


@blp.route("/budgets/campaigns/<int:budget_id>", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.response(200, CampaignBudgetOut)
def campaign_budget(budget_id: int):
    """One campaign budget with its campaign's figures and forecast."""
    budget = db.session.get(CampaignBudget, budget_id)
    if budget is None:
        raise NotFound(N_("No such budget."))
    return budgets.campaign_spend(db.session, budget, utcnow())


@blp.route("/budgets/campaigns/<int:budget_id>", methods=["PUT"])
@roles_required(Role.ADMIN)
@blp.arguments(BudgetChangeIn)
@blp.response(200, CampaignBudgetOut)
def change_campaign_budget(data, budget_id: int):
    """New credits or policy while the campaign has not ended (else 422 on `campaign_id`)."""
    budget = budgets.change_budget(
        db.session, current_user.user, CampaignBudget, budget_id, data["credits"], data["policy"], utcnow()
    )
    return budgets.campaign_spend(db.session, budget, utcnow())


@blp.route("/budgets/campaigns/<int:budget_id>", methods=["DELETE"])
@roles_required(Role.ADMIN)
@blp.response(204)
def delete_campaign_budget(budget_id: int):
    """Remove a campaign's budget while the campaign has not ended (its multipliers apply again)."""
    budgets.delete_budget(db.session, current_user.user, CampaignBudget, budget_id, utcnow())
    return Response(status=204)
