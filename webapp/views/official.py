"""Officials' dashboard: aggregate figures, the 70 % green-travel gauge, charts and CSV exports.

Read-only: every route is a GET; each export writes one audit event.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from models import Role

from ..api.common import attachment
from ..errors import DomainError
from ..extensions import db
from ..i18n import localized
from ..schemas.statistics import TimeseriesQueryIn
from ..security import roles_required
from ..services import city as city_service
from ..services import liability, statistics
from ..services.statistics import charts_svg, exports, filters
from ..validation_messages import translate_errors

bp = Blueprint("official", __name__, url_prefix="/official")
OFFICIALS = (Role.OFFICIAL, Role.ADMIN)

METRIC_LABELS = {
    "co2e_grams": _l("CO2e avoided (g)"),
    "actions": _l("Green actions"),
    "participants": _l("Participants"),
    "active_residents": _l("Active residents (30 days)"),
    "active_residents_7d": _l("Active residents (7 days)"),
    "residents": _l("Registered residents"),
    "trips": _l("Logged trips"),
    "green_travel_share": _l("Green-travel share"),
    "waste_kg": _l("Waste sorted (kg)"),
    "credits_issued": _l("Credits issued"),
    "credits_redeemed": _l("Credits redeemed"),
}
INTERVAL_LABELS = {"day": _l("by day"), "week": _l("by week"), "month": _l("by month")}
TABLES = ("districts", "types", "timeseries", "campaigns")


def _filters() -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The GET filters, checked like the API's; errors come back per field."""
    raw = {k: v for k, v in request.args.items() if k in ("from", "to", "district", "metric", "interval") and v}
    try:
        args = TimeseriesQueryIn().load(raw)
        series = filters.series(db.reads, args)
        scope = filters.scope(db.reads, args)
    except ValidationError as error:
        return _default(), translate_errors(error.messages)
    except DomainError as error:
        return _default(), translate_errors(error.errors or {"_schema": [error.message]})
    if "interval" not in raw and series.window.days > 92:
        series = statistics.Series(series.metric, "week", series.window, series.district_key)
    return {"scope": scope, "series": series, "raw": raw}, {}


def _default() -> dict[str, Any]:
    args = {"metric": "co2e_grams", "interval": "day"}
    return {"scope": filters.scope(db.reads, args), "series": filters.series(db.reads, args), "raw": {}}


def _charts(overview: dict, rows: list[dict], types: list[dict], points: list[dict], metric: str) -> dict:
    share = overview["green_travel_share"]
    return {
        "gauge": charts_svg.gauge(
            share["value"], share["ci_low"], share["ci_high"], share["target"], _("Green-travel share"), _("Target")
        ),
        "series": charts_svg.line([(p["period"].isoformat(), p["value"]) for p in points], str(METRIC_LABELS[metric])),
        "districts": charts_svg.bars(
            [
                (localized(r["district"], "name"), None if r["co2e_grams"] is None else r["co2e_grams"] / 1000)
                for r in rows
            ],
            _("CO2e avoided by district (kg)"),
        ),
        "types": charts_svg.bars(
            [(localized(t["type"], "name"), t["actions"]) for t in types if t["actions"] != 0],
            _("Green actions by type"),
        ),
    }


@bp.route("/")
@roles_required(*OFFICIALS)
def dashboard():
    chosen, errors = _filters()
    scope, series = chosen["scope"], chosen["series"]
    session = db.reads
    grid = statistics.build_grid(session, scope.window)
    overview = statistics.overview(session, scope, g=grid)
    rows = statistics.district_rows(session, scope.window, g=grid)
    types = statistics.type_rows(grid, scope.key)
    points = statistics.timeseries(session, series, g=grid)
    campaigns = statistics.campaign_impact(session, filters.today(session))
    return render_template(
        "official/dashboard.html",
        overview=overview,
        rows=rows,
        types=types,
        points=points,
        scope=scope,
        series=series,
        campaigns=campaigns,
        errors=errors,
        raw=chosen["raw"],
        districts=city_service.districts(session),
        metrics=METRIC_LABELS,
        intervals=INTERVAL_LABELS,
        charts=_charts(overview, rows, types, points, series.metric),
    ), (422 if errors else 200)


@bp.route("/liability")
@roles_required(*OFFICIALS)
def liability_page():
    """What the city owes residents, now and at the last month ends, with its expected money value."""
    points = liability.trend(db.reads)
    return render_template("official/liability.html", position=points[-1], trend=points)


@bp.route("/liability.csv")
@roles_required(*OFFICIALS)
def liability_csv():
    return attachment(*liability.export(db.session, current_user.user))


@bp.route("/export/<any(districts, types, timeseries, campaigns):table>.csv")
@roles_required(*OFFICIALS)
def export(table: str):
    chosen, errors = _filters()
    if errors:
        return render_template("error.html", code=422, message=_("Some fields are not valid.")), 422
    scope, series = chosen["scope"], chosen["series"]
    header, lines = _table(table, scope, series)
    filters.audit_export(
        db.session,
        current_user.user,
        table,
        scope.window,
        district=scope.district.code if scope.district else None,
        metric=series.metric if table == "timeseries" else None,
    )
    name = f"{table}-{scope.window.first}-{scope.window.last}.csv"
    return attachment(exports.to_csv(header, lines), name)


def _table(table: str, scope, series) -> tuple[list[str], list[list[Any]]]:
    session = db.reads
    if table == "districts":
        return exports.district_table(session, scope.window, lambda d: localized(d, "name"), _("All districts"))
    if table == "types":
        return exports.type_table(session, scope.window, scope.district, lambda t: localized(t, "name"))
    if table == "timeseries":
        return exports.series_table(statistics.timeseries(session, series))
    return exports.campaign_table(
        statistics.campaign_impact(session, filters.today(session)),
        lambda obj: localized(obj, "name"),
        _("All districts"),
    )
