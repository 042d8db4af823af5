"""Administration pages: the user list and staff creation."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import Role

from ..errors import DomainError
from ..extensions import db
from ..forms import EmptyForm, FactorVersionForm, StaffForm
from ..security import roles_required
from ..services import accounts, actions, methodology, province_delivery
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
    return render_template("admin/users.html", form=form, users=accounts.list_users(db.session)), status


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
