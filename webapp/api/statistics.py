"""Official statistics API: aggregates only, for officials and admins (API.md "Statistics")."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint

from models import Role

from ..extensions import db
from ..i18n import localized
from ..schemas.merchants import LiabilityTrendOut
from ..schemas.statistics import (
    DistrictRowOut,
    OverviewOut,
    PointOut,
    StatsQueryIn,
    TimeseriesQueryIn,
    WindowQueryIn,
)
from ..security import roles_required
from ..services import liability, statistics
from ..services.statistics import exports, filters
from .common import attachment

blp = Blueprint(
    "api_stats",
    __name__,
    url_prefix="/stats",
    description="Official statistics: aggregates only; cells of fewer than 10 residents are hidden",
)

OFFICIALS = (Role.OFFICIAL, Role.ADMIN)


@blp.route("/overview", methods=["GET"])
@roles_required(*OFFICIALS)
@blp.arguments(StatsQueryIn, location="query")
@blp.response(200, OverviewOut)
def overview(args):
    """Headline figures of the city, or of one district, for a window of city days."""
    return statistics.overview(db.reads, filters.scope(db.reads, args))


@blp.route("/districts", methods=["GET"])
@roles_required(*OFFICIALS)
@blp.arguments(WindowQueryIn, location="query")
@blp.response(200, DistrictRowOut(many=True))
def districts(args):
    """One row a district, hidden cells null."""
    return statistics.district_rows(db.reads, filters.window(db.reads, args.get("first"), args.get("last")))


@blp.route("/timeseries", methods=["GET"])
@roles_required(*OFFICIALS)
@blp.arguments(TimeseriesQueryIn, location="query")
@blp.response(200, PointOut(many=True))
def timeseries(args):
    """One value per day, ISO week or month of the window (`metric`: see the enum)."""
    return statistics.timeseries(db.reads, filters.series(db.reads, args))


@blp.route("/export.csv", methods=["GET"])
@roles_required(*OFFICIALS)
@blp.arguments(WindowQueryIn, location="query")
@blp.response(200, description="The district table as CSV; hidden cells are <10.", content_type="text/csv")
def export_csv(args):
    """The district table as CSV (every export is audit-logged)."""
    window = filters.window(db.reads, args.get("first"), args.get("last"))
    header, lines = exports.district_table(db.reads, window, lambda d: localized(d, "name"), _("All districts"))
    filters.audit_export(db.session, current_user.user, "districts", window)
    return attachment(exports.to_csv(header, lines), f"districts-{window.first}-{window.last}.csv")


@blp.route("/liability", methods=["GET"])
@roles_required(*OFFICIALS)
@blp.response(200, LiabilityTrendOut)
def liability_trend():
    """What the city owes residents now and at each of the last 11 month ends: credits, and their
    expected money value split into merchant-funded and city-funded rewards."""
    points = liability.trend(db.reads)
    return {"position": points[-1], "trend": points}


@blp.route("/liability.csv", methods=["GET"])
@roles_required(*OFFICIALS)
@blp.response(200, description="The liability trend as CSV, one line per month.", content_type="text/csv")
def liability_csv():
    """The liability trend as CSV (audit-logged)."""
    return attachment(*liability.export(db.session, current_user.user))
