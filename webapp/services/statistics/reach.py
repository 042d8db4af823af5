"""Distinct residents behind a cell (subject, district, window), exact where it matters, cheaply.

A window that is exactly one calendar period is a lookup; for "anyone active" so is any 7-, 30- or
365-day window (the rolling counts), any window from the start of a year, month or week (the sum
of residents whose first active day in it falls on each day), and any other window of up to 366
days (its active days whose previous active day is earlier, stat_returns). Otherwise the largest count of any whole
period inside the window is a lower bound: at or above the threshold the cell is safe and no more
is read. Only the cells left undecided (the small ones) are counted exactly from the day masks.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Integer, and_, distinct, func, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from models import StatActive, StatMask, StatReach, StatReturns
from models.statistics import LONG_AGO, RETURNS_HORIZON

from . import subjects
from .periods import DAY, ROLLING, ROLLING_COLUMNS, TO_DATE, Window, full_month_bits, period_start

MASKS = StatMask.__table__.c


@dataclass(frozen=True, order=True)
class Cell:
    subject: str
    district_key: int
    window: Window


@functools.lru_cache(maxsize=256)
def in_window(window: Window) -> ColumnElement:
    """Mask rows with at least one active day inside the window.

    Kept per window: suppression asks for the same window in every union it counts, and building
    the test walks each day of the window. SQL expressions are immutable, so one may serve many.
    """
    years = []
    for year, months in window.month_masks().items():
        tests = []
        for month, bits in months.items():
            column = MASKS[f"m{month}"]
            whole = bits == full_month_bits(year, month)
            tests.append(column != 0 if whole else column.op("&", return_type=Integer)(bits) != 0)
        years.append(and_(MASKS.year == year, or_(*tests)))
    return or_(*years)


def count_exact(session: Session, cells: Iterable[Cell]) -> dict[Cell, int]:
    """COUNT(DISTINCT resident) per cell: "*" over up to 366 days from stat_returns, the rest from the
    masks (one query per window)."""
    cells = list(cells)
    returning = [c for c in cells if _returns_count(c)]
    found: dict[Cell, int] = _returns(session, returning) if returning else {}
    by_window: dict[Window, list[Cell]] = defaultdict(list)
    for cell in cells:
        if cell not in found:
            by_window[cell.window].append(cell)
    for window, group in by_window.items():
        wanted = {(c.subject, c.district_key) for c in group}
        one_year = window.first.year == window.last.year  # then a resident has one row per cell
        rows = session.execute(
            select(MASKS.subject, MASKS.district_key, func.count() if one_year else func.count(distinct(MASKS.user_id)))
            .where(
                MASKS.subject.in_({s for s, _ in wanted}),
                MASKS.district_key.in_({k for _, k in wanted}),
                in_window(window),
            )
            .group_by(MASKS.subject, MASKS.district_key)
        )
        counts = {(s, k): n for s, k, n in rows}
        found.update({c: counts.get((c.subject, c.district_key), 0) for c in group})
    return found


def union_exact(session: Session, cells: Iterable[Cell]) -> int:
    """Distinct residents in any of these cells (what a difference of published totals reveals)."""
    tests = [and_(MASKS.subject == c.subject, MASKS.district_key == c.district_key, in_window(c.window)) for c in cells]
    return session.scalar(select(func.count(distinct(MASKS.user_id))).where(or_(*tests))) or 0


def _lookup(session: Session, cells: list[Cell]) -> dict[Cell, int]:
    """Cells whose window is one calendar period: the roll-up row (absent = nobody)."""
    by_period: dict[tuple, list[Cell]] = defaultdict(list)
    for cell in cells:
        kind, start = cell.window.as_period()
        by_period[(kind, start)].append(cell)
    by_kind: dict[str, set] = defaultdict(set)
    for kind, start in by_period:
        by_kind[kind].add(start)
    names = {c.subject for c in cells}
    counts = {}
    for kind, starts in by_kind.items():
        rows = session.execute(
            select(StatReach.start, StatReach.subject, StatReach.district_key, StatReach.residents).where(
                StatReach.kind == kind, StatReach.subject.in_(names), StatReach.start.between(min(starts), max(starts))
            )
        )
        counts.update({(kind, start, subject, key): n for start, subject, key, n in rows})
    return {c: counts.get((*c.window.as_period(), c.subject, c.district_key), 0) for c in cells}


def rolling_counts(session: Session, ends: set[dt.date]) -> dict[tuple[int, dt.date], dict[str, int]]:
    """Residents active in the 7, 30 and 365 days ending on each day: running sums of the changes."""
    low = min(ends).replace(day=1)
    base: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ROLLING_COLUMNS, 0))
    columns = [getattr(StatActive, c) for c in ROLLING_COLUMNS]
    for key, *sums in session.execute(
        select(StatActive.district_key, *map(func.sum, columns))
        .where(StatActive.kind == "m", StatActive.start < low)
        .group_by(StatActive.district_key)
    ):
        base[key] = dict(zip(ROLLING_COLUMNS, (int(v or 0) for v in sums), strict=True))
    days = session.execute(
        select(StatActive.start, StatActive.district_key, *columns)
        .where(StatActive.kind == "d", StatActive.start.between(low, max(ends)))
        .order_by(StatActive.start)
    ).all()
    found, index = {}, 0
    for end in sorted(ends):
        while index < len(days) and days[index][0] <= end:
            _day, key, *values = days[index]
            running = base[key]
            for column, value in zip(ROLLING_COLUMNS, values, strict=True):
                running[column] += value
            index += 1
        found.update({(key, end): dict(running) for key, running in base.items()})
    return found


def _rolling(session: Session, cells: list[Cell]) -> dict[Cell, int]:
    """ "*" over the L days ending on a day, for L in ROLLING: from the rolling counts."""
    counts = rolling_counts(session, {c.window.last for c in cells})
    empty = dict.fromkeys(ROLLING_COLUMNS, 0)
    return {c: counts.get((c.district_key, c.window.last), empty)[f"r{c.window.days}"] for c in cells}


def _to_date(session: Session, cells: list[Cell]) -> dict[Cell, int]:
    """ "*" from the start of a year, month or week: residents by their first active day in it."""
    found = {}
    for window in {c.window for c in cells}:
        rows = session.execute(
            select(StatReach.district_key, func.sum(StatReach.residents))
            .where(
                StatReach.kind == TO_DATE[window.to_date()],
                StatReach.subject == subjects.ALL,
                StatReach.start.between(window.first, window.last),
            )
            .group_by(StatReach.district_key)
        )
        counts = dict(rows.all())
        found.update({c: int(counts.get(c.district_key) or 0) for c in cells if c.window == window})
    return found


def _returns_count(cell: Cell) -> bool:
    return cell.subject == subjects.ALL and cell.window.days <= RETURNS_HORIZON + 1


def _returns(session: Session, cells: list[Cell]) -> dict[Cell, int]:
    """ "*" over a window [a, b] of up to 366 days: the active days in it whose previous active day is
    before a. Whole months of days, and of previous days, are read as month rows: a window reads about
    40 rows per month it touches and per district, whatever the number of residents. Each part names
    its days and months one by one, so that every part is a few exact seeks into the primary key
    (whose leaf pages carry `residents` on PostgreSQL: an index-only scan). Every district is counted:
    a list of them would turn each seek into one per district."""
    r = StatReturns
    found = {}
    for window in {c.window for c in cells}:
        month = period_start("m", window.first)
        before = [("m", LONG_AGO, month - DAY), ("d", month, window.first - DAY)]
        parts = [
            select(r.district_key, r.residents).where(
                r.kind == kind,
                r.start.in_(Window(low, high).starts(kind)),
                r.prev_kind == prev_kind,
                r.prev_start.between(first, last),
            )
            for kind, low, high in window.segments()
            for prev_kind, first, last in before
            if first <= last
        ]
        rows = union_all(*parts).subquery()
        counts = dict(
            session.execute(select(rows.c.district_key, func.sum(rows.c.residents)).group_by(rows.c.district_key)).all()
        )
        found.update({c: int(counts.get(c.district_key) or 0) for c in cells if c.window == window})
    return found


def _lower_bounds(session: Session, window: Window, cells: list[Cell]) -> dict[tuple[str, int], int]:
    """The largest period count inside the window, per (subject, district)."""
    ranges = []
    for kind, limit in (("y", None), ("m", None), ("w", 120), ("d", 14)):
        starts = window.whole(kind) if limit is None or window.days <= limit else []
        if starts:
            ranges.append(and_(StatReach.kind == kind, StatReach.start.between(starts[0], starts[-1])))
    if not ranges:
        return {}
    rows = session.execute(
        select(StatReach.subject, StatReach.district_key, func.max(StatReach.residents))
        .where(or_(*ranges), StatReach.subject.in_({c.subject for c in cells}))
        .group_by(StatReach.subject, StatReach.district_key)
    )
    return {(s, k): n for s, k, n in rows}


def residents(session: Session, cells: Iterable[Cell], threshold: int) -> dict[Cell, int | None]:
    """Exact count per cell, or None where it is known to be at least `threshold`."""
    cells = list(dict.fromkeys(cells))
    periodic = [c for c in cells if c.window.as_period() is not None]
    found: dict[Cell, int | None] = dict(_lookup(session, periodic)) if periodic else {}
    rolling = [c for c in cells if c not in found and c.subject == subjects.ALL and c.window.days in ROLLING]
    found.update(_rolling(session, rolling) if rolling else {})
    to_date = [c for c in cells if c not in found and c.subject == subjects.ALL and c.window.to_date()]
    found.update(_to_date(session, to_date) if to_date else {})
    returning = [c for c in cells if c not in found and _returns_count(c)]
    found.update(_returns(session, returning) if returning else {})
    by_window: dict[Window, list[Cell]] = defaultdict(list)
    for cell in cells:
        if cell not in found:
            by_window[cell.window].append(cell)
    for window, group in by_window.items():
        bounds = _lower_bounds(session, window, group)
        undecided = []
        for cell in group:
            if bounds.get((cell.subject, cell.district_key), 0) >= threshold:
                found[cell] = None
            else:
                undecided.append(cell)
        found.update(count_exact(session, undecided))
    return found
