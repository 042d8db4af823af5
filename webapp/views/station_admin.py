"""Administrators' station pages: create stations, create their attendant accounts, list deposits."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from models import Role, Station

from ..errors import DomainError
from ..extensions import db
from ..i18n import localized
from ..security import roles_required
from ..services import accounts, city, stations
from .forms_util import show_error

bp = Blueprint("station_admin", __name__, url_prefix="/admin/stations")


class StationForm(FlaskForm):
    name = StringField(_l("Station name"), validators=[DataRequired(), Length(max=80)])
    district = SelectField(_l("District"), validators=[DataRequired()])
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=200)])


class AttendantForm(FlaskForm):
    station = SelectField(_l("Station"), coerce=int)
    login = StringField(_l("Mobile phone or e-mail"), validators=[DataRequired(), Length(max=254)])
    nickname = StringField(_l("Display name"), validators=[DataRequired(), Length(max=40)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=1024)])


class AssignForm(FlaskForm):
    user = SelectField(_l("Attendant account"), coerce=int)
    station = SelectField(_l("Station"), coerce=int)


def _page(station_form=None, attendant_form=None, assign_form=None, status: int = 200):
    station_form = station_form or StationForm()
    station_form.district.choices = [SelectChoice(d.code, localized(d, "name")) for d in city.districts(db.session)]
    rows = list(db.session.scalars(select(Station).order_by(Station.id)))
    attendant_form = attendant_form or AttendantForm()
    attendant_form.station.choices = [SelectChoice(str(s.id), s.name) for s in rows]
    names = {s.id: s.name for s in rows}
    nowhere = _("no station")
    assign_form = assign_form or AssignForm()
    assign_form.station.choices = attendant_form.station.choices
    assign_form.user.choices = [
        SelectChoice(str(u.id), f"{u.nickname} ({names.get(u.station_id, nowhere)})")
        for u in stations.attendants(db.session)
    ]
    try:
        day = dt.date.fromisoformat(request.args.get("day", "")) if request.args.get("day") else None
    except ValueError:
        day = None
    station_id = request.args.get("station", type=int)
    return render_template(
        "station/admin.html",
        stations=rows,
        station_form=station_form,
        attendant_form=attendant_form,
        assign_form=assign_form,
        deposits=stations.deposits(db.session, station_id, day),
        day=day,
        station_id=station_id,
    ), status


@bp.route("/")
@roles_required(Role.ADMIN)
def index():
    return _page()


@bp.route("/", methods=["POST"])
@roles_required(Role.ADMIN)
def create():
    form = StationForm()
    form.district.choices = [SelectChoice(d.code) for d in city.districts(db.session)]
    if not form.validate_on_submit():
        return _page(station_form=form, status=422)
    try:
        stations.create_station(db.session, current_user.user, form.name.data, form.district.data, form.address.data)
    except DomainError as error:
        show_error(form, error)
        return _page(station_form=form, status=error.status)
    flash(_("Station created."), "success")
    return redirect(url_for("station_admin.index"))


@bp.route("/attendants", methods=["POST"])
@roles_required(Role.ADMIN)
def create_attendant():
    form = AttendantForm()
    form.station.choices = [SelectChoice(str(s.id)) for s in db.session.scalars(select(Station))]
    if not form.validate_on_submit():
        return _page(attendant_form=form, status=422)
    try:
        station = stations.get(db.session, form.station.data)
        user = accounts.create_user(
            db.session,
            current_user.user,
            role=Role.ATTENDANT,
            login=form.login.data,
            password=form.password.data,
            nickname=form.nickname.data,
        )
        stations.assign_attendant(db.session, current_user.user, user, station)
    except DomainError as error:
        show_error(form, error)
        return _page(attendant_form=form, status=error.status)
    flash(_("Account %(name)s created.", name=user.nickname), "success")
    return redirect(url_for("station_admin.index"))


@bp.route("/assign", methods=["POST"])
@roles_required(Role.ADMIN)
def assign():
    form = AssignForm()
    form.station.choices = [SelectChoice(str(s.id)) for s in db.session.scalars(select(Station))]
    form.user.choices = [SelectChoice(str(u.id)) for u in stations.attendants(db.session)]
    if not form.validate_on_submit():
        return _page(assign_form=form, status=422)
    try:
        user = stations.assign_existing(db.session, current_user.user, form.user.data, form.station.data)
    except DomainError as error:
        show_error(form, error)
        return _page(assign_form=form, status=error.status)
    flash(_("%(name)s now works at this station.", name=user.nickname), "success")
    return redirect(url_for("station_admin.index"))
