"""Administration pages: the user list, staff creation, second-factor resets, the audit log, budgets."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from models import BudgetPolicy, Role, utcnow

from ..api.common import decode_cursor, encode_cursor
from ..errors import DomainError
from ..extensions import db
from ..forms import BudgetForm, EmptyForm, FactorVersionForm, StaffForm
from ..i18n import role_label
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


@bp.route("/budgets", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def budget_page():
    """This month's issuance against its budget, the forecast with its interval, the alerts; set a budget."""
    form = BudgetForm()
    status = 200
    if form.validate_on_submit():
        try:
            budget = budgets.set_budget(
                db.session,
                current_user.user,
                form.month.data,
                form.credits.data,
                BudgetPolicy(form.policy.data),
                utcnow(),
            )
        except DomainError as error:
            show_error(form, error)
            status = error.status
        else:
            flash(_("Budget for %(month)s set.", month=budget.month), "success")
            return redirect(url_for("admin.budget_page"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "admin/budgets.html", form=form, current=budgets.status(db.session, utcnow()), rows=budgets.budgets(db.session)
    ), status


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
