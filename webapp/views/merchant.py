"""Merchant pages: the public application form, and the staff's rewards, counter, certified green
purchases and monthly settlement. Staff act only for their own merchant (services.merchants.merchant_of)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from models import GreenPurchaseClaim, Merchant, Role, utcnow

from ..errors import DomainError, NotFound
from ..extensions import db, limiter
from ..forms import EmptyForm
from ..i18n import localized
from ..messages import N_
from ..security import public, roles_required
from ..services import city, green_purchases, merchants, redemptions, rewards, settlement
from ..services.city import city_zone
from ..services.qr import qr_svg
from ..services.rewards import RewardInput
from .forms_util import show_error
from .merchant_forms import ApplicationForm, GreenPurchaseForm, RewardForm, template_helpers

bp = Blueprint("merchant", __name__, url_prefix="/merchant")
apply_bp = Blueprint("merchant_apply", __name__, url_prefix="/merchants")
bp.app_context_processor(template_helpers)


def upload_dir() -> Path:
    """instance/uploads/rewards, unless REWARD_UPLOAD_DIR points elsewhere (tests, shared storage)."""
    configured = current_app.config.get("REWARD_UPLOAD_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads" / "rewards"


@apply_bp.route("/apply", methods=["GET", "POST"])
@public
@limiter.limit("20/hour", methods=["POST"])
def apply():
    form = ApplicationForm()
    form.district.choices = [SelectChoice("", _("Choose a district"))] + [
        SelectChoice(d.code, localized(d, "name")) for d in city.districts(db.session)
    ]
    if form.validate_on_submit():
        data = merchants.Application(
            **{
                name: form[name].data
                for name in ("name", "district", "address", "category", "contact_name", "contact_phone")
            }
        )
        try:
            merchants.apply(db.session, data)
        except DomainError as error:
            show_error(form, error)
            return render_template("merchant/apply.html", form=form), error.status
        flash(_("Thank you. An administrator will review your application and contact you."), "success")
        return redirect(url_for("public.home"))
    status = 422 if form.is_submitted() else 200
    return render_template("merchant/apply.html", form=form), status


def _merchant() -> Merchant:
    return merchants.merchant_of(db.session, current_user.user)


@bp.route("/")
@roles_required(Role.MERCHANT)
def home():
    if current_user.merchant_id is None:
        return render_template("merchant/home.html", merchant=None)
    merchant = _merchant()
    return render_template(
        "merchant/home.html",
        merchant=merchant,
        certified_today=green_purchases.issued_today(db.session, merchant, utcnow()),
    )


@bp.route("/rewards")
@roles_required(Role.MERCHANT)
def reward_list():
    return render_template(
        "merchant/rewards.html",
        merchant=_merchant(),
        rows=rewards.of_merchant(db.session, current_user.user),
        form=EmptyForm(),
    )


def _reward_input(form: RewardForm) -> RewardInput:
    starts, ends = form.moments(city_zone(db.session))
    return RewardInput(
        title=form.title.data,
        title_en=form.title_en.data or "",
        description=form.description.data or "",
        description_en=form.description_en.data or "",
        cost=form.cost.data,
        stock=form.stock.data,
        per_resident_limit=form.per_resident_limit.data,
        valid_from=starts,
        valid_until=ends,
        value_fen=form.value_fen(),
    )


def _save_image(form: RewardForm, reward_id: int) -> None:
    upload = form.image.data
    if upload and getattr(upload, "filename", ""):
        rewards.set_image(
            db.session, current_user.user, reward_id, upload.read(rewards.MAX_IMAGE_BYTES + 1), upload_dir()
        )


@bp.route("/rewards/new", methods=["GET", "POST"])
@roles_required(Role.MERCHANT)
def reward_new():
    _merchant()
    form = RewardForm()
    if form.validate_on_submit():
        try:
            reward = rewards.create(db.session, current_user.user, _reward_input(form))
            _save_image(form, reward.id)
        except DomainError as error:
            show_error(form, error)
            return render_template("merchant/reward_form.html", form=form, reward=None), error.status
        flash(_("Reward published."), "success")
        return redirect(url_for("merchant.reward_list"))
    return render_template("merchant/reward_form.html", form=form, reward=None), 422 if form.is_submitted() else 200


@bp.route("/rewards/<int:reward_id>/edit", methods=["GET", "POST"])
@roles_required(Role.MERCHANT)
def reward_edit(reward_id: int):
    reward = rewards.own(db.session, current_user.user, reward_id)
    form = RewardForm()
    if not form.is_submitted():
        zone = city_zone(db.session)
        form.process(
            data={
                "title": reward.title_zh,
                "title_en": reward.title_en,
                "description": reward.description_zh,
                "description_en": reward.description_en,
                "cost": reward.cost,
                "stock": reward.stock,
                "per_resident_limit": reward.per_resident_limit,
                "valid_from": reward.valid_from.astimezone(zone).replace(tzinfo=None),
                "valid_until": reward.valid_until.astimezone(zone).replace(tzinfo=None),
                "value_yuan": None if reward.value_fen is None else reward.value_fen / 100,
            }
        )
    elif form.validate():
        try:
            rewards.update(db.session, current_user.user, reward_id, _reward_input(form))
            _save_image(form, reward_id)
        except DomainError as error:
            show_error(form, error)
            return render_template("merchant/reward_form.html", form=form, reward=reward), error.status
        flash(_("Reward saved."), "success")
        return redirect(url_for("merchant.reward_list"))
    status = 422 if form.is_submitted() else 200
    return render_template("merchant/reward_form.html", form=form, reward=reward), status


@bp.route("/rewards/<int:reward_id>/active", methods=["POST"])
@roles_required(Role.MERCHANT)
def reward_active(reward_id: int):
    if EmptyForm().validate_on_submit():
        active = request.form.get("active") == "1"
        rewards.update(db.session, current_user.user, reward_id, RewardInput(), active=active)
        flash(_("Reward resumed.") if active else _("Reward paused: residents no longer see it."), "success")
    return redirect(url_for("merchant.reward_list"))


@bp.route("/counter")
@roles_required(Role.MERCHANT)
def counter():
    merchant = _merchant()
    code = request.args.get("code", "").strip()
    voucher, error, status = None, None, 200
    if code:
        try:
            voucher = redemptions.at_counter(db.session, current_user.user, code)
        except DomainError as exc:
            error, status = _(exc.message), exc.status
    return render_template(
        "merchant/counter.html", merchant=merchant, code=code, voucher=voucher, error=error, form=EmptyForm()
    ), status


@bp.route("/counter/fulfil", methods=["POST"])
@roles_required(Role.MERCHANT)
def fulfil():
    code = request.form.get("code", "")
    if EmptyForm().validate_on_submit():
        try:
            redemptions.fulfil(db.session, current_user.user, code)
        except DomainError as error:
            flash(_(error.message), "error")
        else:
            flash(_("Voucher fulfilled: hand over the reward."), "success")
    return redirect(url_for("merchant.counter", code=code))


@bp.route("/green-purchases", methods=["GET", "POST"])
@roles_required(Role.MERCHANT)
def green_purchase():
    merchant = _merchant()
    form = GreenPurchaseForm()
    form.category.choices = [
        SelectChoice(t.code, localized(t, "name")) for t in green_purchases.purchase_types(db.session)
    ]
    if form.validate_on_submit():
        try:
            if form.member_code.data:
                claim, action = green_purchases.certify_for_member(
                    db.session, current_user.user, form.category.data, form.quantity.data, form.member_code.data
                )
                flash(_("Credited to the resident: %(credits)s credits.", credits=action.credits), "success")
            else:
                claim = green_purchases.certify(db.session, current_user.user, form.category.data, form.quantity.data)
        except DomainError as error:
            show_error(form, error)
            return render_template("merchant/green_purchase.html", form=form, merchant=merchant), error.status
        return redirect(url_for("merchant.green_purchase_code", claim_id=claim.id))
    status = 422 if form.is_submitted() else 200
    return render_template("merchant/green_purchase.html", form=form, merchant=merchant), status


@bp.route("/green-purchases/<int:claim_id>")
@roles_required(Role.MERCHANT)
def green_purchase_code(claim_id: int):
    merchant = _merchant()
    claim = db.session.get(GreenPurchaseClaim, claim_id)
    if claim is None or claim.merchant_id != merchant.id:
        raise NotFound(N_("No such claim code."))
    code = green_purchases.display(claim)
    return render_template("merchant/claim_code.html", claim=claim, code=code, svg=qr_svg(code))


@bp.route("/settlement")
@roles_required(Role.MERCHANT)
def settlement_page():
    label = request.args.get("month") or settlement.current_month(db.session)
    try:
        st = settlement.statement(db.session, current_user.user, label)
    except DomainError as error:
        flash(_(error.message), "error")
        return redirect(url_for("merchant.settlement_page"))
    return render_template("merchant/settlement.html", st=st)
