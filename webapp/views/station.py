"""The attendant's phone page: scan (or type) a resident's member code, weigh by category, credit."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from models import Family, Role, utcnow

from ..errors import DomainError
from ..extensions import db
from ..i18n import localized
from ..security import roles_required
from ..services import methodology, stations
from ..services.city import city_zone
from .forms_util import show_error

bp = Blueprint("station", __name__, url_prefix="/station")


class DepositForm(FlaskForm):
    member_code = StringField(_l("Resident's member code"), validators=[DataRequired(), Length(max=40)])
    category = SelectField(_l("Waste category"), validators=[DataRequired()])
    weight_kg = DecimalField(_l("Weight (kg)"), places=None, validators=[DataRequired()])


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.ATTENDANT)
def home():
    try:
        station = stations.station_of(db.session, current_user.user)
    except DomainError as error:
        return render_template("station/home.html", station=None, message=_(error.message))
    form = DepositForm()
    form.category.choices = [
        SelectChoice(t.code, localized(t, "name"))
        for t in methodology.action_types(db.session)
        if t.family == Family.WASTE
    ]
    status = 200
    if form.validate_on_submit():
        try:
            row = stations.deposit(
                db.session,
                current_user.user,
                form.member_code.data,
                form.category.data,
                form.weight_kg.data,
                daily_cap_kg=current_app.config["STATION_DAILY_CAP_KG"],
            )
        except DomainError as error:
            show_error(form, error)
            status = error.status
        else:
            credits = stations.action_of(db.session, row).credits
            flash(_("Deposit recorded: %(credits)s credits for the resident.", credits=credits), "success")
            return redirect(url_for("station.home"))
    elif form.is_submitted():
        status = 422
    today = utcnow().astimezone(city_zone(db.session)).date()
    return render_template(
        "station/home.html",
        station=station,
        form=form,
        weighed=stations.weighed_on(db.session, station, today),
        cap=current_app.config["STATION_DAILY_CAP_KG"],
        rows=stations.deposits(db.session, station.id, today),
    ), status
