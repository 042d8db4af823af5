"""Figures over time (GET /stats/timeseries): one value per day, ISO week or month of a window.

Days, weeks and months of the same window are suppressed together, and agree with the window's
own table (the overview): no period can be recovered from another interval, from the window's
total, or from the city minus the other districts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Family, StatActions, StatLedger, StatRegistrations
from models.statistics import CITY

from .. import city as city_service
from . import grid, reach, subjects
from .figures import build_grid, kg
from .periods import INTERVAL_KIND, Window, days_between
from .suppression import THRESHOLD, suppress, wilson

FLOWS = {  # metric: (subject, measure)
    "actions": (subjects.ALL, "actions"),
    "co2e_grams": (subjects.ALL, "co2e_grams"),
    "waste_kg": (subjects.of_family(Family.WASTE), "kg"),
    "trips": (subjects.of_family(Family.TRAVEL), "actions"),
    "credits_issued": (subjects.ISSUED, "credits"),
    "credits_redeemed": (subjects.REDEEMED, "credits"),
}
STOCKS = {"residents": "reg", "active_residents": "r30", "active_residents_7d": "r7"}
SHARE = "green_travel_share"
PARTICIPANTS = "participants"
METRICS = (*FLOWS, *STOCKS, PARTICIPANTS, SHARE)
SHARE_PARTS = (subjects.GREEN_TRIPS, subjects.OTHER_TRIPS)


@dataclass(frozen=True)
class Series:
    metric: str
    interval: str
    window: Window
    district_key: int = CITY


def _daily(session: Session, subject: str, g: grid.Grid) -> dict[tuple[int, dt.date], int]:
    """{(district, day): value} of a flow subject; the city is the sum of the districts."""
    w = g.window
    if subject in (subjects.ISSUED, subjects.REDEEMED):
        kinds = subjects.ISSUE_KINDS if subject == subjects.ISSUED else subjects.REDEEM_KINDS
        sign = 1 if subject == subjects.ISSUED else -1
        t = StatLedger
        query = select(t.district_key, t.start, func.sum(t.amount)).where(
            t.kind == "d", t.start.between(w.first, w.last), t.entry_kind.in_(kinds)
        )
    else:
        type_ids = grid.subject_types(g.types).get(subject, [])
        t, sign = StatActions, 1
        measure = t.quantity_milli if subject == subjects.of_family(Family.WASTE) else t.actions
        query = select(t.district_key, t.start, func.sum(measure)).where(
            t.kind == "d", t.start.between(w.first, w.last), t.action_type_id.in_(type_ids)
        )
    found: dict[tuple[int, dt.date], int] = defaultdict(int)
    for key, day, value in session.execute(query.group_by(t.district_key, t.start)):
        found[(key, day)] += sign * int(value or 0)
        found[(CITY, day)] += sign * int(value or 0)
    return found


def _co2e(session: Session, g: grid.Grid) -> dict[tuple[int, dt.date], int]:
    t = StatActions
    found: dict[tuple[int, dt.date], int] = defaultdict(int)
    rows = session.execute(
        select(t.district_key, t.start, func.sum(t.co2e_grams))
        .where(t.kind == "d", t.start.between(g.window.first, g.window.last))
        .group_by(t.district_key, t.start)
    )
    for key, day, value in rows:
        found[(key, day)] += int(value or 0)
        found[(CITY, day)] += int(value or 0)
    return found


def _flow_hidden(session: Session, names: list[str], g: grid.Grid, extra: list[tuple], threshold: int) -> set[tuple]:
    """Suppress (subject, district, period) cells of every interval at once, fixed to the grid."""
    w, keys = g.window, g.keys
    levels = {kind: w.periods(kind) for kind in ("d", "w", "m")}
    windows = sorted({p for periods in levels.values() for p in periods})
    cells = {(n, k, p): reach.Cell(n, k, p) for n in names for k in keys for p in windows}
    counted = reach.residents(session, cells.values(), threshold)
    residents: dict[tuple, int | None] = {key: counted[c] for key, c in cells.items()}
    fixed = {}
    for n in names:
        for k in keys:
            residents[(n, k, w)] = g.residents.get((n, k), 0)
            fixed[(n, k, w)] = (n, k) in g.hidden
    relations = []
    for n in names:
        relations += [((n, CITY, p), [(n, k, p) for k in keys if k != CITY]) for p in windows]
        for k in keys:
            relations += [((n, k, w), [(n, k, p) for p in periods]) for periods in levels.values()]
            for coarse in levels["w"] + levels["m"]:
                relations.append(
                    ((n, k, coarse), [(n, k, Window(d, d)) for d in days_between(coarse.first, coarse.last)])
                )
    relations += extra

    def union(parts: list[tuple]) -> int:
        return reach.union_exact(session, [reach.Cell(*part) for part in parts])

    return suppress(residents, relations, union, threshold=threshold, fixed=fixed)


def _flow(session: Session, series: Series, g: grid.Grid, threshold: int) -> list[dict[str, Any]]:
    subject, measure = FLOWS[series.metric]
    daily = _co2e(session, g) if measure == "co2e_grams" else _daily(session, subject, g)
    hidden = _flow_hidden(session, [subject], g, [], threshold)
    points = []
    for period in g.window.periods(INTERVAL_KIND[series.interval]):
        value = sum(daily.get((series.district_key, d), 0) for d in days_between(period.first, period.last))
        shown = (subject, series.district_key, period) not in hidden
        points.append(_point(period, (kg(value) if measure == "kg" else value) if shown else None))
    return points


def _share(session: Session, series: Series, g: grid.Grid, threshold: int) -> list[dict[str, Any]]:
    travel = subjects.of_family(Family.TRAVEL)
    neutral = [subjects.of_type(t.id) for t in g.types if t.family == Family.TRAVEL and t.green_travel is None]
    names = [travel, *SHARE_PARTS, *neutral]
    windows = {p for kind in ("d", "w", "m") for p in g.window.periods(kind)} | {g.window}
    extra = [((travel, k, p), [(n, k, p) for n in names[1:]]) for k in g.keys for p in windows]
    hidden = _flow_hidden(session, names, g, extra, threshold)
    green, other = (_daily(session, name, g) for name in SHARE_PARTS)
    target = float(city_service.current_city(session).green_travel_target)
    points = []
    for period in g.window.periods(INTERVAL_KIND[series.interval]):
        days = list(days_between(period.first, period.last))
        yes = sum(green.get((series.district_key, d), 0) for d in days)
        trips = yes + sum(other.get((series.district_key, d), 0) for d in days)
        point = _point(period, None)
        point.update(n_trips=None, ci_low=None, ci_high=None, target=target)
        if any((n, series.district_key, period) in hidden for n in names[:3]):
            points.append(point)
            continue
        interval = wilson(yes, trips)
        point.update(
            value=yes / trips if trips else None,
            n_trips=trips,
            suppressed=False,
            ci_low=interval[0] if interval else None,
            ci_high=interval[1] if interval else None,
        )
        points.append(point)
    return points


def _counts(session: Session, series: Series, g: grid.Grid, threshold: int) -> list[dict[str, Any]]:
    """Participants per period (distinct, exact) and stocks at each period's end (registered, active)."""
    periods = g.window.periods(INTERVAL_KIND[series.interval])
    keys = g.keys
    if series.metric == PARTICIPANTS:
        cells = {(k, p): reach.Cell(subjects.ALL, k, p) for k in keys for p in periods}
        counted = reach.residents(session, cells.values(), threshold)
        missing = [c for c in cells.values() if counted[c] is None and c.district_key == series.district_key]
        counted.update(reach.count_exact(session, missing))
        values = {key: counted[c] for key, c in cells.items()}
    else:
        values = _stock_values(session, STOCKS[series.metric], keys, periods)
    relations = [((CITY, p), [(k, p) for k in keys if k != CITY]) for p in periods]

    def union(parts: list) -> int:  # a resident counts in one district
        return sum(threshold if values[p] is None else values[p] for p in parts)

    hidden = suppress(values, relations, union, threshold=threshold)
    return [
        _point(p, values[(series.district_key, p)] if (series.district_key, p) not in hidden else None) for p in periods
    ]


def _stock_values(session: Session, name: str, keys: list[int], periods: list[Window]) -> dict:
    ends = [p.last for p in periods]
    if name == "reg":
        r = StatRegistrations
        change: dict[tuple[int, dt.date], int] = defaultdict(int)
        for key, day, n in session.execute(select(r.district_key, r.day, r.joined - r.left).where(r.day <= ends[-1])):
            change[(key, day)] += n
            change[(CITY, day)] += n
        values = {}
        for k in keys:
            mine = sorted((day, n) for (key, day), n in change.items() if key == k)
            total, index = 0, 0
            for p in periods:
                while index < len(mine) and mine[index][0] <= p.last:
                    total += mine[index][1]
                    index += 1
                values[(k, p)] = total
        return values
    counts = reach.rolling_counts(session, set(ends))
    return {(k, p): counts.get((k, p.last), {}).get(name, 0) for k in keys for p in periods}


def _point(period: Window, value: Any) -> dict[str, Any]:
    return {"period": period.first, "period_end": period.last, "value": value, "suppressed": value is None}


def timeseries(
    session: Session, series: Series, *, threshold: int = THRESHOLD, g: grid.Grid | None = None
) -> list[dict[str, Any]]:
    """One point per period; `g`, the window's own table when the caller has built it already."""
    if g is None or g.window != series.window:
        g = build_grid(session, series.window, threshold=threshold)
    if series.metric in FLOWS:
        return _flow(session, series, g, threshold)
    if series.metric == SHARE:
        return _share(session, series, g, threshold)
    return _counts(session, series, g, threshold)


__all__ = ["METRICS", "Series", "timeseries"]
