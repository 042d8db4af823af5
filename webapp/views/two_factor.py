"""Staff two-factor pages: the code step of sign-in, enrolment, recovery codes."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import STAFF_ROLES

from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import CodeForm
from ..ratelimit import second_factor_key
from ..security import pending_user, public, roles_required, sign_in
from ..services import two_factor

bp = Blueprint("two_factor", __name__, url_prefix="/auth/two-factor")

FAILED = {"deduct_when": lambda response: response.status_code == 401}  # only wrong codes count
PER_ADDRESS = "30/minute"
PER_ACCOUNT = "5/minute;20/hour"


def _safe_next(default: str) -> str:
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


@bp.route("/verify", methods=["GET", "POST"])
@public
@limiter.limit(PER_ADDRESS, methods=["POST"], **FAILED)
@limiter.limit(PER_ACCOUNT, key_func=second_factor_key, methods=["POST"], **FAILED)
def verify():
    """The second step of a staff sign-in: an authenticator code, or one recovery code."""
    user = pending_user("verify")
    if user is None:
        flash(_("Sign in again."), "error")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            used = two_factor.verify(db.session, user, form.code.data)
        except DomainError as error:
            form.code.errors = [_(error.message)]
            return render_template("auth/second_factor.html", form=form), 401
        sign_in(user)
        if used == "recovery":
            left = two_factor.remaining_codes(db.session, user)
            flash(_("Recovery code used; %(n)s left. Make new ones on your security page.", n=left), "warning")
        return redirect(_safe_next(url_for("resident.home")))
    return render_template("auth/second_factor.html", form=form), (422 if form.is_submitted() else 200)


def _enrolling_user():
    """An administrator between password and enrolment, or a signed-in staff member without a factor."""
    user = pending_user("enrol")
    if user is not None:
        return user, True
    if current_user.is_authenticated and current_user.role in STAFF_ROLES and current_user.via == "session":
        return current_user.user, False
    return None, False


@bp.route("/enrol", methods=["GET", "POST"])
@public
@limiter.limit(PER_ADDRESS, methods=["POST"], **FAILED)
@limiter.limit(PER_ACCOUNT, key_func=second_factor_key, methods=["POST"], **FAILED)
def enrol():
    """Scan the QR code (or type the secret), confirm with a first code, keep the recovery codes."""
    user, pending = _enrolling_user()
    if user is None:
        return redirect(url_for("auth.login"))
    if two_factor.enrolled(user):
        return redirect(url_for("two_factor.settings"))
    secret = two_factor.begin_enrolment(db.session, user)
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(db.session, user, form.code.data)
        except DomainError as error:
            form.code.errors = [_(error.message)]
            status = error.status
        else:
            if pending:
                sign_in(user)
            return render_template("auth/recovery_codes.html", codes=codes)
    elif form.is_submitted():
        status = 422
    page = render_template(
        "auth/enrol.html",
        form=form,
        secret=secret,
        qr=two_factor.qr_svg(user),
        forced=pending,
        issuer=two_factor.ISSUER,
    )
    return page, status


@bp.route("", methods=["GET"])
@roles_required(*STAFF_ROLES)
def settings():
    """Whether the second factor is on, how many recovery codes are left."""
    return _settings_page(CodeForm())


def _settings_page(form: CodeForm) -> str:
    user = current_user.user
    left = two_factor.remaining_codes(db.session, user) if two_factor.enrolled(user) else 0
    return render_template("auth/two_factor.html", enrolled=two_factor.enrolled(user), left=left, form=form)


@bp.route("/recovery-codes", methods=["POST"])
@roles_required(*STAFF_ROLES)
@limiter.limit(PER_ACCOUNT, key_func=second_factor_key, **FAILED)
def regenerate():
    """Fresh recovery codes (the old ones stop working), confirmed with a current code."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.regenerate_codes(db.session, current_user.user, form.code.data)
        except DomainError as error:
            form.code.errors = [_(error.message)]
            return _settings_page(form), error.status
        return render_template("auth/recovery_codes.html", codes=codes)
    flash(_("Give the code from your authenticator app."), "error")
    return redirect(url_for("two_factor.settings"))
