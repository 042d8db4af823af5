"""The resident's phone pages: home, quick log, history, ledger, member QR; and everyone's profile."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import Action, LedgerEntry, Role, utcnow

from ..api.common import attachment
from ..errors import DomainError
from ..extensions import db
from ..forms import EmptyForm, LogForm, PasswordForm
from ..i18n import current_language
from ..security import roles_required, sign_in, sign_out, signed_in
from ..services import accounts, actions, expiry, gamification, ledger, members, methodology, privacy
from ..services.city import city_zone
from ..services.qr import qr_svg
from .forms_util import show_error

bp = Blueprint("resident", __name__, url_prefix="/me")
PAGE = 30


@bp.route("/")
@signed_in
def home():
    if current_user.role != Role.RESIDENT:
        return redirect(url_for("resident.profile"))
    user = current_user.user
    account = ledger.account_for(db.session, user)
    week, total = actions.week_and_total(db.session, user)
    types = methodology.published_types(db.session)
    quick = actions.quick_types(db.session, user)
    return render_template(
        "resident/home.html",
        account=account,
        week=week,
        total=total,
        game=gamification.summary(db.session, user, account, language=current_language()),
        equivalences=methodology.equivalences(total),
        types=types,
        quick=quick,
    )


@bp.route("/log/<code>", methods=["GET", "POST"])
@roles_required(Role.RESIDENT)
def log(code: str):
    published = {p.type.code: p for p in methodology.published_types(db.session)}
    if code not in published:
        abort(404)
    entry = published[code]
    form = LogForm()
    zone = city_zone(db.session)
    if form.validate_on_submit():
        data = actions.ActionInput(
            type=code,
            quantity=form.quantity.data,
            occurred_at=form.occurred_moment(zone),
            evidence_code=form.evidence_code.data or None,
            note=form.note.data or None,
        )
        try:
            action, account = actions.log_action(db.session, current_user.user, data)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_outcome_message(action, account.balance), "success" if action.credits else "info")
            return redirect(url_for("resident.home"))
    status = 422 if form.is_submitted() else 200
    return render_template("resident/log.html", entry=entry, form=form, chips=_chips(entry)), status


def _chips(entry) -> list:
    """Typical quantities for one-tap logging, inside the type's plausible range."""
    presets = {"km": [2, 5, 10], "steps": [3000, 6000, 10000], "kg": [0.5, 1, 2]}
    low, high = float(entry.type.min_quantity), float(entry.type.max_quantity)
    return [v for v in presets.get(entry.type.unit, [1]) if low <= v <= high]


def _outcome_message(action: Action, balance: int) -> str:
    if action.reason:
        return _(actions.REASONS[action.reason])
    if action.capped:
        return _(
            "Logged: %(co2e)s g CO2e avoided, %(credits)s credits (today's cap reached). Balance %(balance)s.",
            co2e=action.co2e_grams,
            credits=action.credits,
            balance=balance,
        )
    return _(
        "Logged: %(co2e)s g CO2e avoided, %(credits)s credits. Balance %(balance)s.",
        co2e=action.co2e_grams,
        credits=action.credits,
        balance=balance,
    )


@bp.route("/actions")
@roles_required(Role.RESIDENT)
def history():
    rows = db.session.scalars(actions.actions_query(current_user.user).order_by(Action.id.desc()).limit(PAGE))
    return render_template("resident/actions.html", rows=list(rows), reasons=actions.REASONS, form=EmptyForm())


@bp.route("/actions/<int:action_id>/appeal", methods=["POST"])
@roles_required(Role.RESIDENT)
def appeal(action_id: int):
    if EmptyForm().validate_on_submit():
        try:
            actions.appeal(db.session, current_user.user, action_id, request.form.get("text", ""))
        except DomainError as error:
            flash(_(error.message), "error")
        else:
            flash(_("Your appeal has been sent for review."), "success")
    return redirect(url_for("resident.history"))


@bp.route("/ledger")
@roles_required(Role.RESIDENT)
def entries():
    account = ledger.account_for(db.session, current_user.user)
    rows = db.session.scalars(ledger.entries_query(account).order_by(LedgerEntry.id.desc()).limit(PAGE))
    expiring = expiry.expiring_soon(db.session, account, utcnow())
    return render_template("resident/ledger.html", account=account, rows=list(rows), expiring=expiring)


@bp.route("/qr")
@roles_required(Role.RESIDENT)
def member_qr():
    code = members.member_code(db.session, current_user.user)
    return render_template("resident/qr.html", code=code, svg=qr_svg(code))


@bp.route("/profile")
@signed_in
def profile():
    return render_template("resident/profile.html", form=EmptyForm(), password_form=PasswordForm())


@bp.route("/password", methods=["POST"])
@signed_in
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(db.session, current_user.user, form.current_password.data, form.new_password.data)
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
    return attachment(body, "my-carbon-account.json", "application/json")


@bp.route("/delete", methods=["POST"])
@roles_required(Role.RESIDENT)
def delete():
    if EmptyForm().validate_on_submit():
        accounts.erase(db.session, current_user.user)
        sign_out()
        flash(_("Your account has been deleted."), "success")
        return redirect(url_for("public.home"))
    return redirect(url_for("resident.profile"))
