"""The signed-in person's own pages: profile, password, data export and erasure."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import Role

from ..errors import DomainError
from ..extensions import db
from ..forms import EmptyForm, PasswordForm
from ..security import roles_required, sign_in, sign_out, signed_in
from ..services import accounts, privacy
from .forms_util import show_error

bp = Blueprint("resident", __name__, url_prefix="/me")


@bp.route("/")
@signed_in
def profile():
    return render_template("resident/profile.html", form=EmptyForm(), password_form=PasswordForm())


@bp.route("/password", methods=["POST"])
@signed_in
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                db.session, current_user.user, form.current_password.data, form.new_password.data
            )
        except DomainError as error:
            show_error(form, error)
        else:
            sign_in(current_user.user)  # this device stays signed in with the new version
            flash(_("Password changed. Other devices have been signed out."), "success")
            return redirect(url_for("resident.profile"))
    return render_template("resident/profile.html", form=EmptyForm(), password_form=form), 422


@bp.route("/export")
@roles_required(Role.RESIDENT)
def export():
    data = privacy.export(db.session, current_user.user)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": "attachment; filename=my-carbon-account.json"},
    )


@bp.route("/delete", methods=["POST"])
@roles_required(Role.RESIDENT)
def delete():
    if EmptyForm().validate_on_submit():
        accounts.erase(db.session, current_user.user)
        sign_out()
        flash(_("Your account has been deleted."), "success")
        return redirect(url_for("public.home"))
    return redirect(url_for("resident.profile"))
