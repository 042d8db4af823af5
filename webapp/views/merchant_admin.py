"""Administrators' merchant pages: applications and decisions, staff accounts, daily caps, and the
month's settlement of every merchant with the outstanding credit liability."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from models import Funder, MerchantStatus, Role, User

from ..api.common import attachment
from ..errors import DomainError
from ..extensions import db
from ..security import roles_required
from ..services import accounts, merchants, rewards, settlement
from ..services import liability as liability_service
from .forms_util import show_error
from .merchant_forms import (
    DECISION_LABELS,
    FUNDER_LABELS,
    MERCHANT_STATUS_LABELS,
    AttachStaffForm,
    CapForm,
    DecisionForm,
    FundingForm,
    MerchantStaffForm,
)

bp = Blueprint("merchant_admin", __name__, url_prefix="/admin/merchants")


@bp.route("/")
@roles_required(Role.ADMIN)
def merchant_list():
    raw = request.args.get("status") or None
    status = MerchantStatus(raw) if raw in {s.value for s in MerchantStatus} else None
    return render_template(
        "merchant/admin_list.html",
        rows=merchants.list_merchants(db.session, status),
        status=status,
        statuses=list(MerchantStatus),
        decisions_for=merchants.decisions_for,
        labels=DECISION_LABELS,
        form=DecisionForm(),
    )


def _detail(merchant_id: int, *, staff_form=None, cap_form=None, attach_form=None, status: int = 200):
    merchant = merchants.get(db.session, merchant_id)
    cap_form = cap_form or CapForm(daily_issuance_cap=merchant.daily_issuance_cap)
    attach_form = attach_form or AttachStaffForm()
    attach_form.user.choices = [
        SelectChoice(str(u.id), f"{u.nickname} ({u.phone or u.email})")
        for u in accounts.list_users(db.session, Role.MERCHANT)
        if u.merchant_id != merchant.id
    ]
    return render_template(
        "merchant/admin_detail.html",
        merchant=merchant,
        staff=merchants.staff_of(db.session, merchant),
        staff_form=staff_form or MerchantStaffForm(),
        cap_form=cap_form,
        attach_form=attach_form,
        decisions_for=merchants.decisions_for,
        labels=DECISION_LABELS,
        form=DecisionForm(),
        rewards=rewards.of_merchant_id(db.session, merchant.id),
        funding_form=FundingForm(),
    ), status


@bp.route("/<int:merchant_id>")
@roles_required(Role.ADMIN)
def detail(merchant_id: int):
    return _detail(merchant_id)


@bp.route("/<int:merchant_id>/<any(approve, reject, suspend, reinstate):decision>", methods=["POST"])
@roles_required(Role.ADMIN)
def decide(merchant_id: int, decision: str):
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            merchant = merchants.decide(db.session, current_user.user, merchant_id, decision, form.note.data or "")
        except DomainError as error:
            flash(_(error.message), "error")
        else:
            flash(
                _("%(name)s is now: %(status)s.", name=merchant.name, status=MERCHANT_STATUS_LABELS[merchant.status]),
                "success",
            )
    if request.form.get("back") == "list":
        return redirect(url_for("merchant_admin.merchant_list"))
    return redirect(url_for("merchant_admin.detail", merchant_id=merchant_id))


@bp.route("/<int:merchant_id>/cap", methods=["POST"])
@roles_required(Role.ADMIN)
def set_cap(merchant_id: int):
    form = CapForm()
    if form.validate_on_submit():
        try:
            merchants.set_daily_cap(db.session, current_user.user, merchant_id, form.daily_issuance_cap.data)
        except DomainError as error:
            show_error(form, error)
            return _detail(merchant_id, cap_form=form, status=error.status)
        flash(_("Daily cap saved."), "success")
        return redirect(url_for("merchant_admin.detail", merchant_id=merchant_id))
    return _detail(merchant_id, cap_form=form, status=422)


@bp.route("/<int:merchant_id>/staff", methods=["POST"])
@roles_required(Role.ADMIN)
def create_staff(merchant_id: int):
    form = MerchantStaffForm()
    if form.validate_on_submit():
        try:
            user = merchants.create_staff(
                db.session,
                current_user.user,
                merchant_id,
                login=form.login.data,
                password=form.password.data,
                nickname=form.nickname.data,
            )
        except DomainError as error:
            show_error(form, error)
            return _detail(merchant_id, staff_form=form, status=error.status)
        flash(_("Account %(name)s created.", name=user.nickname), "success")
        return redirect(url_for("merchant_admin.detail", merchant_id=merchant_id))
    return _detail(merchant_id, staff_form=form, status=422)


@bp.route("/<int:merchant_id>/attach", methods=["POST"])
@roles_required(Role.ADMIN)
def attach_staff(merchant_id: int):
    form = AttachStaffForm()
    form.user.choices = [SelectChoice(str(u.id)) for u in accounts.list_users(db.session, Role.MERCHANT)]
    if form.validate_on_submit():
        user = db.session.get(User, form.user.data)
        try:
            merchants.attach_staff(db.session, current_user.user, user, merchants.get(db.session, merchant_id))
        except DomainError as error:
            flash(_(error.message), "error")
        else:
            flash(_("%(name)s now works for this merchant.", name=user.nickname), "success")
    return redirect(url_for("merchant_admin.detail", merchant_id=merchant_id))


@bp.route("/rewards/<int:reward_id>/funding", methods=["POST"])
@roles_required(Role.ADMIN)
def set_funding(reward_id: int):
    form = FundingForm()
    reward = rewards.get(db.session, reward_id)
    if form.validate_on_submit():
        try:
            rewards.set_funder(db.session, current_user.user, reward_id, Funder(form.funded_by.data))
        except DomainError as error:
            flash(_(error.message), "error")
        else:
            flash(
                _(
                    "Saved: %(title)s is paid for by %(funder)s.",
                    title=reward.title_zh,
                    funder=FUNDER_LABELS[reward.funded_by],
                ),
                "success",
            )
    else:
        flash(_("Choose who pays for the reward."), "error")
    return redirect(url_for("merchant_admin.detail", merchant_id=reward.merchant_id))


@bp.route("/liability")
@roles_required(Role.ADMIN)
def liability():
    label = request.args.get("month") or settlement.current_month(db.session)
    try:
        report = settlement.liability(db.session, label)
    except DomainError as error:
        flash(_(error.message), "error")
        return redirect(url_for("merchant_admin.liability"))
    return render_template("merchant/admin_liability.html", report=report)


@bp.route("/liability.csv")
@roles_required(Role.ADMIN)
def liability_csv():
    return attachment(*liability_service.export(db.session, current_user.user))
