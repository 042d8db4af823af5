"""Administration pages: the user list and staff creation."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import Role

from ..errors import DomainError
from ..extensions import db
from ..forms import StaffForm
from ..security import roles_required
from ..services import accounts
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
