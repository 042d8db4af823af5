"""The figures officials read: the overview, the district table and its CSV, as slices of one grid.

Statistics sum CO2e of credited actions, never credits (DESIGN invariant 2); credits appear only as
the ledger's own figures (issued, redeemed, outstanding). A hidden cell is None here, listed in
`suppressed`, and "<10" in CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ActionType, District, Family
from models.statistics import CITY

from .. import city as city_service
from . import extras, grid, reach, subjects
from .periods import Window
from .suppression import THRESHOLD, wilson

# (field, subject, measure): one number each, hidden with its cell.
HEADLINE = [
    ("residents", "reg", "count"),
    ("active_residents", "r30", "count"),
    ("active_residents_7d", "r7", "count"),
    ("actions_total", subjects.ALL, "actions"),
    ("co2e_grams", subjects.ALL, "co2e_grams"),
    ("credits_issued", subjects.ISSUED, "credits"),
    ("credits_redeemed", subjects.REDEEMED, "credits"),
    ("vouchers_issued", subjects.REDEEMED, "vouchers"),
    ("vouchers_returned", subjects.REDEEMED, "returned"),
    ("credits_outstanding", "hold", "credits"),
    ("waste_kg_total", subjects.of_family(Family.WASTE), "kg"),
]


@dataclass(frozen=True)
class Scope:
    window: Window
    district: District | None = None

    @property
    def key(self) -> int:
        return self.district.id if self.district else CITY


def catalogue(session: Session) -> tuple[list[District], list[ActionType]]:
    districts = city_service.districts(session)
    types = list(session.scalars(select(ActionType).order_by(ActionType.sort, ActionType.id)))
    return districts, types


def build_grid(session: Session, window: Window, *, threshold: int = THRESHOLD) -> grid.Grid:
    districts, types = catalogue(session)
    return grid.build(session, window, districts, types, threshold=threshold)


def kg(milli: int) -> float:
    return float(Decimal(milli) / 1000)


def _measure(g: grid.Grid, subject: str, key: int, measure: str) -> Any:
    if measure == "kg":
        return kg(g.value(subject, key, "quantity_milli"))
    return g.value(subject, key, measure)


def green_share(g: grid.Grid, key: int, target: Decimal) -> dict[str, Any]:
    """Green trips over all logged trips (car, taxi, motorbike included), with a Wilson 95 % interval."""
    green = g.value(subjects.GREEN_TRIPS, key, "actions")
    trips = green + g.value(subjects.OTHER_TRIPS, key, "actions")
    cells = (subjects.GREEN_TRIPS, subjects.OTHER_TRIPS, subjects.of_family(Family.TRAVEL))
    result: dict[str, Any] = {
        "value": None,
        "n_trips": None,
        "green_trips": None,
        "ci_low": None,
        "ci_high": None,
        "target": float(target),
        "suppressed": False,
    }
    if not all(g.shown(name, key) for name in cells):
        result["suppressed"] = True
        return result
    result.update(n_trips=trips, green_trips=green)
    interval = wilson(green, trips)
    if interval:
        result.update(value=green / trips, ci_low=interval[0], ci_high=interval[1])
    return result


def _participants(session: Session, g: grid.Grid, keys: list[int]) -> dict[int, int]:
    """Exact distinct participants in the window (read from the masks only where not already known)."""
    known = {k: g.residents.get((subjects.ALL, k)) for k in keys}
    missing = [reach.Cell(subjects.ALL, k, g.window) for k, n in known.items() if n is None]
    counted = reach.count_exact(session, missing) if missing else {}
    return {k: (n if n is not None else counted[reach.Cell(subjects.ALL, k, g.window)]) for k, n in known.items()}


def row(g: grid.Grid, key: int, target: Decimal, participants: int) -> dict[str, Any]:
    """The headline figures of one district (or of the city, key 0)."""
    out: dict[str, Any] = {}
    hidden: dict[str, bool] = {}
    for field, subject, measure in HEADLINE:
        shown = g.shown(subject, key)
        out[field] = _measure(g, subject, key, measure) if shown else None
        if not shown:
            hidden[field] = True
    everyone_shown = g.shown(subjects.ALL, key)
    out["participants"] = participants if everyone_shown else None
    if not everyone_shown:
        hidden["participants"] = True
    out["green_travel_share"] = green_share(g, key, target)
    out["suppressed"] = hidden
    return out


def _breakdown(g: grid.Grid, key: int, hidden: dict[str, bool]) -> dict[str, Any]:
    by_type, waste, by_family = {}, {}, {}
    for t in g.types:
        name = subjects.of_type(t.id)
        shown = g.shown(name, key)
        by_type[t.code] = g.value(name, key, "actions") if shown else None
        if t.family == Family.WASTE:
            waste[t.code] = kg(g.value(name, key, "quantity_milli")) if shown else None
        if not shown:
            hidden[f"actions.{t.code}"] = True
    for family in Family:
        name = subjects.of_family(family)
        shown = g.shown(name, key)
        by_family[str(family)] = g.value(name, key, "actions") if shown else None
        if not shown:
            hidden[f"actions_by_family.{family}"] = True
    return {"actions": by_type, "actions_by_family": by_family, "waste_kg": waste}


def overview(
    session: Session, scope: Scope, *, threshold: int = THRESHOLD, g: grid.Grid | None = None
) -> dict[str, Any]:
    """GET /stats/overview: the headline figures of the city or one district for a window."""
    g = g or build_grid(session, scope.window, threshold=threshold)
    target = city_service.current_city(session).green_travel_target
    out = row(g, scope.key, target, _participants(session, g, [scope.key])[scope.key])
    out.update(_breakdown(g, scope.key, out["suppressed"]))
    extra = extras.merchants_and_families(session, scope.window, scope.district, threshold=threshold)
    out["suppressed"].update(extra.pop("suppressed_extras"))
    out.update(extra)
    out.update(
        {
            "from": scope.window.first,
            "to": scope.window.last,
            "district": scope.district.code if scope.district else None,
        }
    )
    return out


def district_rows(
    session: Session, window: Window, *, threshold: int = THRESHOLD, g: grid.Grid | None = None
) -> list[dict[str, Any]]:
    """GET /stats/districts: one row a district, from the same suppressed grid as the overview."""
    g = g or build_grid(session, window, threshold=threshold)
    target = city_service.current_city(session).green_travel_target
    participants = _participants(session, g, [d.id for d in g.districts])
    return [{"district": d, **row(g, d.id, target, participants[d.id])} for d in g.districts]


def city_row(session: Session, g: grid.Grid) -> dict[str, Any]:
    target = city_service.current_city(session).green_travel_target
    return row(g, CITY, target, _participants(session, g, [CITY])[CITY])


def type_rows(g: grid.Grid, key: int) -> list[dict[str, Any]]:
    """Actions, CO2e and quantity per action type (the "by type" table and chart)."""
    rows = []
    for t in g.types:
        name = subjects.of_type(t.id)
        shown = g.shown(name, key)
        quantity = kg(g.value(name, key, "quantity_milli"))
        rows.append(
            {
                "type": t,
                "actions": g.value(name, key, "actions") if shown else None,
                "co2e_grams": g.value(name, key, "co2e_grams") if shown else None,
                "quantity": quantity if shown else None,
                "suppressed": not shown,
            }
        )
    return rows
