"""One window's table: every subject x district from the roll-ups, with its cells suppressed.

The overview, the district table and its CSV are slices of this one table, so a figure hidden in
one of them cannot be recovered from another. Subjects: "*" (any credited action), families,
types, green and other trips, the ledger's issuers and redeemers, and four stocks whose value is
itself a count of residents ("reg" registered, "r7"/"r30" active, "hold" holding credits).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from models import ActionType, District, Family, StatActions, StatLedger, StatRegistrations
from models.statistics import CITY, NO_DISTRICT

from . import reach, subjects
from .periods import Window
from .suppression import THRESHOLD, suppress

STOCKS = ("reg", "r7", "r30", "hold")
SUM_FIELDS = ("actions", "co2e_grams", "credits", "quantity_milli")
EVER = dt.date(2000, 1, 1)


def subject_types(types: list[ActionType]) -> dict[str, list[int]]:
    """Which action types each action subject adds up."""
    found: dict[str, list[int]] = defaultdict(list)
    for t in types:
        for name in subjects.for_action(t):
            found[name].append(t.id)
    found.setdefault(subjects.ALL, [])
    return dict(found)


def segment_filter(table, window: Window):
    return or_(*[and_(table.kind == kind, table.start.between(a, b)) for kind, a, b in window.segments()])


def action_sums(session: Session, window: Window, *, group_by_day: bool = False) -> dict[tuple, list[int]]:
    """{(district, type[, day]): [actions, co2e, credits, quantity x 1000]} over the window."""
    t = StatActions
    columns = [t.district_key, t.action_type_id] + ([t.start] if group_by_day else [])
    where = (
        and_(t.kind == "d", t.start.between(window.first, window.last)) if group_by_day else segment_filter(t, window)
    )
    rows = session.execute(
        select(*columns, *[func.sum(getattr(t, f)) for f in SUM_FIELDS]).where(where).group_by(*columns)
    )
    width = len(columns)
    return {tuple(row[:width]): [int(v or 0) for v in row[width:]] for row in rows}


def ledger_sums(session: Session, window: Window) -> dict[tuple[int, str], tuple[int, int, int]]:
    """{(district, entry kind): (entries, amount, new holders)} over the window."""
    t = StatLedger
    rows = session.execute(
        select(t.district_key, t.entry_kind, func.sum(t.entries), func.sum(t.amount), func.sum(t.new_holders))
        .where(segment_filter(t, window))
        .group_by(t.district_key, t.entry_kind)
    )
    return {(k, kind): (int(n or 0), int(a or 0), int(h or 0)) for k, kind, n, a, h in rows}


def stocks(session: Session, day: dt.date) -> dict[tuple[str, int], int]:
    """Registered, active (7 and 30 days), holders and credits outstanding at the end of `day`."""
    found: dict[tuple[str, int], int] = defaultdict(int)
    r = StatRegistrations
    for key, n in session.execute(
        select(r.district_key, func.sum(r.joined - r.left)).where(r.day <= day).group_by(r.district_key)
    ):
        found[("reg", key)] = int(n or 0)
    for (key, _end), counts in reach.rolling_counts(session, {day}).items():
        found[("r7", key)], found[("r30", key)] = counts["r7"], counts["r30"]
    held = ledger_sums(session, Window(EVER, day)) if day >= EVER else {}  # nothing was held before EVER
    for (key, _kind), (_n, amount, holders) in held.items():
        found[("hold", key)] += holders
        found[("credits_outstanding", key)] += amount
    return found


@dataclass
class Grid:
    window: Window
    districts: list[District]
    types: list[ActionType]
    keys: list[int]
    values: dict[tuple[str, int], dict[str, int]] = field(default_factory=dict)
    residents: dict[tuple[str, int], int | None] = field(default_factory=dict)
    hidden: set[tuple[str, int]] = field(default_factory=set)

    def value(self, subject: str, key: int, measure: str) -> int:
        return self.values.get((subject, key), {}).get(measure, 0)

    def shown(self, subject: str, key: int) -> bool:
        return (subject, key) not in self.hidden


def relations(names: list[str], keys: list[int], types: list[ActionType]) -> list[tuple]:
    """Totals and their parts: the city and its districts, "*" and families, families and types."""
    found = [((name, CITY), [(name, k) for k in keys if k != CITY]) for name in names]
    families: dict[str, list[str]] = defaultdict(list)
    for t in types:
        trip = subjects.trip_subject(t)
        families[trip or subjects.of_family(t.family)].append(subjects.of_type(t.id))
    families[subjects.of_family(Family.TRAVEL)] += [subjects.GREEN_TRIPS, subjects.OTHER_TRIPS]
    families[subjects.ALL] = [subjects.of_family(f) for f in Family]
    for key in keys:
        found += [((total, key), [(p, key) for p in parts]) for total, parts in families.items()]
    return found


def build(
    session: Session, window: Window, districts: list[District], types: list[ActionType], *, threshold: int = THRESHOLD
) -> Grid:
    sums = action_sums(session, window)
    ledger = ledger_sums(session, window)
    stock = stocks(session, window.last)
    present = {k for k, _ in sums} | {k for k, _ in ledger} | {k for _, k in stock}
    keys = [CITY] + [d.id for d in districts] + ([NO_DISTRICT] if NO_DISTRICT in present else [])
    grid = Grid(window, districts, types, keys)
    members = subject_types(types)
    per_type: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (key, type_id), row in sums.items():
        for k in (key, CITY):
            per_type[(k, type_id)] = [a + b for a, b in zip(per_type[(k, type_id)], row, strict=True)]
    for name, type_ids in members.items():
        for key in keys:
            rows = [per_type[(key, t)] for t in type_ids if (key, t) in per_type]
            grid.values[(name, key)] = {f: sum(r[i] for r in rows) for i, f in enumerate(SUM_FIELDS)}
    for key in keys:
        parts = keys[1:] if key == CITY else [key]
        issued = sum(ledger.get((k, kind), (0, 0, 0))[1] for k in parts for kind in subjects.ISSUE_KINDS)
        entries = {kind: sum(ledger.get((k, kind), (0, 0, 0))[0] for k in parts) for kind in subjects.REDEEM_KINDS}
        redeemed = -sum(ledger.get((k, kind), (0, 0, 0))[1] for k in parts for kind in subjects.REDEEM_KINDS)
        grid.values[(subjects.ISSUED, key)] = {"credits": issued}
        grid.values[(subjects.REDEEMED, key)] = {
            "credits": redeemed,
            "vouchers": entries["redeem"],
            "returned": entries["refund"],
        }
        for name in STOCKS:
            grid.values[(name, key)] = {"count": sum(stock.get((name, k), 0) for k in parts)}
        grid.values[("hold", key)]["credits"] = sum(stock.get(("credits_outstanding", k), 0) for k in parts)
    counted = [*members, subjects.ISSUED, subjects.REDEEMED]
    cells = [reach.Cell(name, key, window) for name in counted for key in keys]
    for cell, n in reach.residents(session, cells, threshold).items():
        grid.residents[(cell.subject, cell.district_key)] = n
    for name in STOCKS:
        for key in keys:
            grid.residents[(name, key)] = grid.values[(name, key)]["count"]

    def union(hidden: list[tuple[str, int]]) -> int:
        if any(name in STOCKS for name, _ in hidden):
            return sum(grid.residents[h] or 0 for h in hidden)  # a resident counts in one district
        return reach.union_exact(session, [reach.Cell(name, key, window) for name, key in hidden])

    grid.hidden = suppress(grid.residents, relations([*counted, *STOCKS], keys, types), union, threshold=threshold)
    return grid
