"""The residents' phone pages for rewards: the catalogue, redeeming, my vouchers (code, QR, expiry),
cancelling, and claiming a green purchase a merchant certified; and the reward images."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from models import Redemption, Role

from ..errors import DomainError
from ..extensions import db
from ..forms import EmptyForm
from ..i18n import localized
from ..security import public, roles_required
from ..services import city, green_purchases, ledger, redemptions, rewards, voucher_codes
from ..services.qr import qr_svg
from .forms_util import show_error
from .merchant import upload_dir

bp = Blueprint("rewards", __name__, url_prefix="/rewards")
PAGE = 50


class ClaimForm(FlaskForm):
    claim_code = StringField(_l("Claim code from the merchant"), validators=[DataRequired(), Length(max=40)])


@bp.route("/")
@public
def catalogue():
    district = request.args.get("district") or None
    home = current_user.district_id if current_user.is_authenticated else None
    stmt = rewards.catalogue_query(db.session, district=district, home_district_id=home)
    balance = None
    if current_user.is_authenticated and current_user.role == Role.RESIDENT:
        balance = ledger.account_for(db.session, current_user.user).balance
    return render_template(
        "rewards/catalogue.html",
        rows=list(db.session.scalars(stmt.limit(PAGE))),
        districts=[(d.code, localized(d, "name")) for d in city.districts(db.session)],
        district=district,
        balance=balance,
        form=EmptyForm(),
    )


@bp.route("/<int:reward_id>/redeem", methods=["POST"])
@roles_required(Role.RESIDENT)
def redeem(reward_id: int):
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("rewards.catalogue"))
    try:
        redemption, _account = redemptions.redeem(db.session, current_user.user, reward_id)
    except DomainError as error:
        flash(_(error.message), "error")
        return redirect(url_for("rewards.catalogue"))
    flash(_("Redeemed. Show this voucher at the counter."), "success")
    return redirect(url_for("rewards.voucher", redemption_id=redemption.id))


@bp.route("/vouchers")
@roles_required(Role.RESIDENT)
def vouchers():
    redemptions.expire_due_vouchers(db.session, user_id=current_user.id)
    rows = db.session.scalars(redemptions.of_resident(current_user.user).order_by(Redemption.id.desc()).limit(PAGE))
    return render_template("rewards/vouchers.html", rows=list(rows))


@bp.route("/vouchers/<int:redemption_id>")
@roles_required(Role.RESIDENT)
def voucher(redemption_id: int):
    redemption = redemptions.own(db.session, current_user.user, redemption_id)
    code = voucher_codes.display(redemption.code)
    return render_template("rewards/voucher.html", r=redemption, code=code, svg=qr_svg(code), form=EmptyForm())


@bp.route("/vouchers/<int:redemption_id>/cancel", methods=["POST"])
@roles_required(Role.RESIDENT)
def cancel(redemption_id: int):
    if EmptyForm().validate_on_submit():
        try:
            redemptions.cancel(db.session, current_user.user, redemption_id)
        except DomainError as error:
            flash(_(error.message), "error")
        else:
            flash(_("Voucher cancelled; your credits are back."), "success")
    return redirect(url_for("rewards.voucher", redemption_id=redemption_id))


@bp.route("/claim", methods=["GET", "POST"])
@roles_required(Role.RESIDENT)
def claim():
    form = ClaimForm()
    if form.validate_on_submit():
        try:
            action, account = green_purchases.claim(db.session, current_user.user, form.claim_code.data)
        except DomainError as error:
            show_error(form, error)
            return render_template("rewards/claim.html", form=form), error.status
        flash(
            _(
                "Green purchase credited: %(credits)s credits. Balance %(balance)s.",
                credits=action.credits,
                balance=account.balance,
            ),
            "success",
        )
        return redirect(url_for("resident.home"))
    return render_template("rewards/claim.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/images/<name>")
@public
def image(name: str):
    found = rewards.image_file(upload_dir(), name)
    if found is None:
        abort(404)
    path, mimetype = found
    return send_file(path, mimetype=mimetype, max_age=86400)
