"""Administration pages: the user list, staff creation, second-factor resets, the audit log, budgets."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from models import BudgetPolicy, CampaignBudget, CreditBudget, Role, utcnow

from ..api.common import decode_cursor, encode_cursor
from ..errors import DomainError
from ..extensions import db
from ..forms import (
    BudgetChangeForm,
    BudgetForm,
    CampaignBudgetChangeForm,
    CampaignBudgetForm,
    EmptyForm,
    FactorVersionForm,
    StaffForm,
)
from ..i18n import localized, role_label
from ..schemas.audit import AuditArgs
from ..security import roles_required
from ..services import accounts, actions, audit_log, budgets, methodology, projector, province_delivery, two_factor
from .forms_util import show_error

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users():
    form = StaffForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                db.session,
                current_user.user,
                role=Role(form.role.data),
                login=form.login.data,
                password=form.password.data,
                nickname=form.nickname.data,
            )
        except DomainError as error:
            show_error(form, error)
            status = error.status
        else:
            flash(_("Account %(name)s created.", name=user.nickname), "success")
            return redirect(url_for("admin.users"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "admin/users.html", form=form, users=accounts.list_users(db.session), backlog=projector.backlog(db.session)
    ), status


@bp.route("/province")
@roles_required(Role.ADMIN)
def province_deliveries():
    return render_template("admin/province.html", rows=province_delivery.log(db.session, current_user.user))


@bp.route("/review")
@roles_required(Role.ADMIN)
def review():
    return render_template(
        "admin/review.html", rows=actions.pending_queue(db.session), form=EmptyForm(), reasons=actions.REASONS
    )


@bp.route("/review/<int:action_id>", methods=["POST"])
@roles_required(Role.ADMIN)
def decide(action_id: int):
    if EmptyForm().validate_on_submit():
        try:
            if request.form.get("decision") == "approve":
                actions.approve(db.session, current_user.user, action_id)
                flash(_("Approved and credited."), "success")
            else:
                actions.reject(db.session, current_user.user, action_id, request.form.get("note", ""))
                flash(_("Rejected; the resident sees your reason."), "success")
        except DomainError as error:
            flash(_(error.message), "error")
    return redirect(url_for("admin.review"))


@bp.route("/factors", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def factors():
    """Every factor with its versions; publish a new version effective from a city day."""
    form = FactorVersionForm()
    code = request.args.get("code", "")
    status = 200
    if form.validate_on_submit():
        try:
            factor = methodology.publish_version(
                db.session,
                current_user.user,
                code,
                grams_per_unit=form.grams_per_unit.data,
                effective_from=form.effective_from.data,
                source=form.source.data,
                formula=form.formula.data or "",
                year=form.year.data,
                confidence=form.confidence.data,
                notes=form.notes.data or "",
            )
        except DomainError as error:
            show_error(form, error)
            status = error.status
        else:
            flash(_("Version %(version)s of %(code)s published.", version=factor.version, code=code), "success")
            return redirect(url_for("admin.factors"))
    elif form.is_submitted():
        status = 422
    history = methodology.all_factor_versions(db.session)
    return render_template("admin/factors.html", form=form, history=history, code=code), status


def _saved(form, save: Callable[[], object], done: Callable[[object], str]) -> Response | int:
    """Run `save` for a valid submitted form: a redirect to the budgets with the flash `done(result)`,
    or the status to render the form with (200 not submitted, 422 invalid, the refusal's own)."""
    if not form.validate_on_submit():
        return 422 if form.is_submitted() else 200
    try:
        result = save()
    except DomainError as error:
        show_error(form, error)
        return error.status
    flash(done(result), "success")
    return redirect(url_for("admin.budget_page"))


@bp.route("/budgets", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def budget_page():
    """This month's issuance against its budget, the forecast with its interval, the alerts; the
    campaign budgets; set a budget."""
    form = BudgetForm()
    outcome = _saved(
        form,
        lambda: budgets.set_budget(
            db.session, current_user.user, form.month.data, form.credits.data, BudgetPolicy(form.policy.data), utcnow()
        ),
        lambda budget: _("Budget for %(month)s set.", month=budget.month),
    )
    return outcome if isinstance(outcome, Response) else _budgets_page(form, _campaign_form(), outcome)


@bp.route("/budgets/campaigns", methods=["POST"])
@roles_required(Role.ADMIN)
def campaign_budget_create():
    """Set one campaign's budget: what it may add over its run (multiplier boosts and bonuses)."""
    form = _campaign_form()
    outcome = _saved(
        form,
        lambda: budgets.set_campaign_budget(
            db.session,
            current_user.user,
            form.campaign_id.data,
            form.credits.data,
            BudgetPolicy(form.policy.data),
            utcnow(),
        ),
        lambda _budget: _("Campaign budget set."),
    )
    return outcome if isinstance(outcome, Response) else _budgets_page(BudgetForm(formdata=None), form, outcome)


def _campaign_form() -> CampaignBudgetForm:
    form = CampaignBudgetForm()
    form.campaign_id.choices = [
        (c.id, f"{localized(c, 'name')} ({c.starts_at:%Y-%m-%d})")
        for c in budgets.budgetable_campaigns(db.session, utcnow())
    ]
    return form


def _budgets_page(form: BudgetForm, campaign_form: CampaignBudgetForm, status: int):
    now = utcnow()
    return render_template(
        "admin/budgets.html",
        form=form,
        campaign_form=campaign_form,
        current=budgets.status(db.session, now),
        rows=budgets.budgets(db.session),
        spends=budgets.campaign_spends(db.session, now),
        this_month=budgets.current_month(db.session, now),
        now=now,
    ), status


# kind in the URL -> (the budget's model, the form that changes it)
BUDGET_KINDS = {"month": (CreditBudget, BudgetChangeForm), "campaign": (CampaignBudget, CampaignBudgetChangeForm)}


@bp.route("/budgets/<kind>/<int:budget_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def budget_edit(kind: str, budget_id: int):
    """Change a budget still running or to come; a past month's or an ended campaign's is the record."""
    model, change_form = BUDGET_KINDS.get(kind) or abort(404)
    budget = db.session.get(model, budget_id) or abort(404)
    form = change_form(obj=budget)
    outcome = _saved(
        form,
        lambda: budgets.change_budget(
            db.session, current_user.user, model, budget_id, form.credits.data, BudgetPolicy(form.policy.data), utcnow()
        ),
        lambda _budget: _("Budget changed."),
    )
    if isinstance(outcome, Response):
        return outcome
    return render_template(
        "admin/budget_edit.html", form=form, budget=budget, kind=kind, delete_form=EmptyForm()
    ), outcome


@bp.route("/budgets/<kind>/<int:budget_id>/delete", methods=["POST"])
@roles_required(Role.ADMIN)
def budget_delete(kind: str, budget_id: int):
    model, change_form = BUDGET_KINDS.get(kind) or abort(404)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        budgets.delete_budget(db.session, current_user.user, model, budget_id, utcnow())
    except DomainError as error:
        budget = db.session.get(model, budget_id) or abort(error.status)
        show_error(form, error)
        edit = change_form(obj=budget, formdata=None)
        return render_template(
            "admin/budget_edit.html", form=edit, budget=budget, kind=kind, delete_form=form
        ), error.status
    flash(_("Budget removed."), "success")
    return redirect(url_for("admin.budget_page"))


@bp.route("/users/<int:user_id>/two-factor/reset", methods=["POST"])
@roles_required(Role.ADMIN)
def reset_two_factor(user_id: int):
    """A staff member who lost their authenticator enrols again at the next sign-in (audited)."""
    if EmptyForm().validate_on_submit():
        try:
            user = two_factor.reset(db.session, current_user.user, user_id)
        except DomainError as error:
            flash(_(error.message), "error")
        else:
            flash(_("Two-factor sign-in of %(name)s reset.", name=user.nickname), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@roles_required(Role.ADMIN)
def change_role(user_id: int):
    """Move a staff account to another staff role (audited; its sessions end)."""
    if EmptyForm().validate_on_submit():
        try:
            role = Role(request.form.get("role", ""))
            user = accounts.change_role(db.session, current_user.user, user_id, role)
        except ValueError:
            flash(_("Unknown role."), "error")
        except DomainError as error:
            flash(_(error.message), "error")
        else:
            flash(_("%(name)s is now %(role)s.", name=user.nickname, role=role_label(role)), "success")
    return redirect(url_for("admin.users"))


@bp.route("/audit")
@roles_required(Role.ADMIN)
def audit():
    """The audit log, newest first, with the API's filters."""
    query = {k: v for k, v in request.args.items() if v != "" and k != "cursor"}
    errors: dict = {}
    try:
        args = AuditArgs().load(query)
        before_id = decode_cursor(request.args.get("cursor"))
        chosen = audit_log.AuditFilter.from_args(args)
        rows, more = audit_log.page(db.session, current_user.user, chosen, 50, before_id)
    except ValidationError as error:
        errors, rows, more = error.messages, [], False
    except DomainError as error:
        if error.status == 403:
            abort(403)
        errors, rows, more = error.errors or {"_": [error.message]}, [], False
    next_args = {**query, "cursor": encode_cursor(rows[-1].id)} if more else None
    return render_template(
        "admin/audit.html",
        rows=rows,
        names=audit_log.actor_names(db.session, rows),
        query=query,
        errors=errors,
        next_args=next_args,
    ), (422 if errors else 200)
