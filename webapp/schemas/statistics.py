"""Official statistics: query filters and the aggregate-only answers (API.md "Statistics")."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..i18n import localized
from ..messages import N_
from ..services.statistics import INTERVALS, METRICS

MAX_DAYS = 3 * 366  # a longer window says nothing a year does not, and costs more to read
MAX_POINTS = 400


class StatsQueryIn(Schema):
    """A window of city days (both included) and, optionally, one district code."""

    first = fields.Date(data_key="from", load_default=None, metadata={"description": "first city day, YYYY-MM-DD"})
    last = fields.Date(data_key="to", load_default=None, metadata={"description": "last city day, YYYY-MM-DD"})
    district = fields.String(load_default=None, validate=validate.Length(min=1, max=20))

    @validates_schema
    def window_in_order(self, data, **_kwargs):
        first, last = data.get("first"), data.get("last")
        if first and last and last < first:
            raise ValidationError(N_("Must be on or after the first day."), "to")
        if first and last and (last - first).days + 1 > MAX_DAYS:
            raise ValidationError(N_("The window can be at most three years long."), "from")


class WindowQueryIn(StatsQueryIn):
    """The district table covers every district."""

    class Meta:
        exclude = ("district",)


class TimeseriesQueryIn(StatsQueryIn):
    metric = fields.String(load_default="co2e_grams", validate=validate.OneOf(METRICS))
    interval = fields.String(load_default="day", validate=validate.OneOf(INTERVALS))

    @validates_schema
    def not_too_many_points(self, data, **_kwargs):
        first, last = data.get("first"), data.get("last")
        if data.get("interval") == "day" and first and last and (last - first).days + 1 > MAX_POINTS:
            raise ValidationError(N_("At most 400 days a day at a time: choose week or month."), "interval")


class ShareOut(Schema):
    value = fields.Float(allow_none=True, metadata={"description": "green trips / all logged trips"})
    n_trips = fields.Integer(allow_none=True)
    green_trips = fields.Integer(allow_none=True)
    ci_low = fields.Float(allow_none=True, metadata={"description": "Wilson 95 % interval"})
    ci_high = fields.Float(allow_none=True)
    target = fields.Float()
    suppressed = fields.Boolean()


class DistrictRef(Schema):
    code = fields.String()
    name = fields.Function(lambda d: localized(d, "name"))


HIDDEN_DOC = {"description": "fields hidden because fewer than 10 residents are behind them (value null)"}


class FiguresOut(Schema):
    residents = fields.Integer(allow_none=True, metadata={"description": "registered at the end of the window"})
    active_residents = fields.Integer(allow_none=True, metadata={"description": "active in the last 30 days"})
    active_residents_7d = fields.Integer(allow_none=True)
    participants = fields.Integer(allow_none=True, metadata={"description": "active in the window"})
    actions_total = fields.Integer(allow_none=True)
    co2e_grams = fields.Integer(allow_none=True, metadata={"description": "CO2e avoided by credited actions"})
    credits_issued = fields.Integer(allow_none=True)
    credits_redeemed = fields.Integer(allow_none=True)
    credits_outstanding = fields.Integer(allow_none=True)
    vouchers_issued = fields.Integer(allow_none=True)
    vouchers_returned = fields.Integer(allow_none=True)
    waste_kg_total = fields.Float(allow_none=True)
    green_travel_share = fields.Nested(ShareOut)
    suppressed = fields.Dict(keys=fields.String(), values=fields.Boolean(), metadata=HIDDEN_DOC)


class OverviewOut(FiguresOut):
    first = fields.Date(data_key="from", attribute="from")
    last = fields.Date(data_key="to", attribute="to")
    district = fields.String(allow_none=True)
    actions = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(allow_none=True),
        metadata={"description": "credited actions by type code"},
    )
    actions_by_family = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True))
    waste_kg = fields.Dict(
        keys=fields.String(),
        values=fields.Float(allow_none=True),
        metadata={"description": "waste sorted, kg by material"},
    )
    green_families = fields.Integer(allow_none=True)
    merchants = fields.Integer()
    vouchers_fulfilled = fields.Integer(allow_none=True)


class DistrictRowOut(FiguresOut):
    district = fields.Nested(DistrictRef)


class PointOut(Schema):
    period = fields.Date()
    period_end = fields.Date()
    value = fields.Raw(allow_none=True, metadata={"type": "number"})
    suppressed = fields.Boolean()
    n_trips = fields.Integer(allow_none=True)
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)
    target = fields.Float()
