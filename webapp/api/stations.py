"""Waste-sorting stations: attendants record deposits; administrators list them by station and day."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user
from flask_smorest import Blueprint

from models import Role

from ..extensions import db
from ..schemas.stations import AttendantOut, StationDepositArgs, StationDepositIn, StationDepositOut
from ..security import roles_required
from ..services import stations
from .common import IDEMPOTENCY_DOC, idempotent

blp = Blueprint("api_stations", __name__, description="Waste-sorting stations (attendants, administrators)")


@blp.route("/station/deposits", methods=["POST"])
@roles_required(Role.ATTENDANT)
@blp.doc(parameters=[IDEMPOTENCY_DOC])
@idempotent
@blp.arguments(StationDepositIn)
@blp.response(201, StationDepositOut)
@blp.alt_response(409, description="The station has reached today's cap, or is not set up.")
def deposit(data):
    """Weigh a resident's sorted waste: a verified action for the resident named by `member_code`."""
    return stations.deposit(
        db.session,
        current_user.user,
        data["member_code"],
        data["category"],
        data["weight_kg"],
        daily_cap_kg=current_app.config["STATION_DAILY_CAP_KG"],
    )


@blp.route("/admin/station-deposits", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.arguments(StationDepositArgs, location="query")
@blp.response(200, StationDepositOut(many=True))
def deposit_list(args):
    """Deposits, newest first, of one station and/or one city day (at most 500)."""
    return stations.deposits(db.session, args["station_id"], args["day"])


@blp.route("/admin/stations/<int:station_id>/attendants/<int:user_id>", methods=["PUT"])
@roles_required(Role.ADMIN)
@blp.response(200, AttendantOut)
def assign(station_id: int, user_id: int):
    """Move an existing attendant account to this station (audited); other roles are a 422 on `user`."""
    return stations.assign_existing(db.session, current_user.user, user_id, station_id)
