"""Sign-up, sign-in and sign-out pages."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import EmptyForm, LoginForm, RegisterForm
from ..i18n import current_language, localized
from ..ratelimit import login_key
from ..security import begin_second_step, public, sign_in, sign_out, signed_in
from ..services import accounts, city, two_factor
from .forms_util import show_error

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _safe_next(default: str) -> str:
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    form = RegisterForm()
    form.district.choices = [SelectChoice("", _("Choose your district"))] + [
        SelectChoice(d.code, localized(d, "name")) for d in city.districts(db.session)
    ]
    if form.validate_on_submit():
        data = accounts.Registration(
            phone=form.phone.data or None,
            email=form.email.data or None,
            password=form.password.data,
            nickname=form.nickname.data,
            district=form.district.data,
            consent=bool(form.consent.data),
            language=current_language(),
        )
        try:
            user = accounts.register_resident(db.session, data)
        except DomainError as error:
            show_error(form, error)
        else:
            sign_in(user)
            flash(_("Welcome! Your carbon account is ready."), "success")
            return redirect(url_for("resident.home"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit("30/minute", methods=["POST"], deduct_when=lambda r: r.status_code == 401)
@limiter.limit("5/minute;20/hour", key_func=login_key, methods=["POST"], deduct_when=lambda r: r.status_code == 401)
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("resident.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(db.session, form.login.data, form.password.data)
        except DomainError as error:
            flash(_(error.message), "error")
            return render_template("auth/login.html", form=form), 401
        if two_factor.required(user):
            begin_second_step(user, "verify")
            return redirect(url_for("two_factor.verify", next=_safe_next(url_for("resident.home"))))
        if two_factor.must_enrol(user):
            begin_second_step(user, "enrol")
            return redirect(url_for("two_factor.enrol"))
        sign_in(user)
        return redirect(_safe_next(url_for("resident.home")))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    if EmptyForm().validate_on_submit():
        accounts.end_all_sessions(db.session, current_user.user)
        sign_out()
        flash(_("You have signed out."), "success")
    return redirect(url_for("public.home"))
