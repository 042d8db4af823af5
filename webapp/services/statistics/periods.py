"""The city calendar of the statistics: days, ISO weeks (Monday first), months, years, windows.

A window is a closed range of city days. Sums over a window read whole months from the monthly
roll-up rows and the remaining days from the daily rows; distinct counts read day masks.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from models.statistics import LONG_AGO, RETURNS_HORIZON

DAY = dt.timedelta(days=1)
KINDS = ("d", "w", "m", "y")  # day, ISO week, month, year
TO_DATE = {"w": "fw", "m": "fm", "y": "fy"}  # residents whose first active day in the period is `start`
INTERVALS = ("day", "week", "month")
INTERVAL_KIND = {"day": "d", "week": "w", "month": "m"}


def local_day(instant: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
    return instant.astimezone(zone).date()


def period_start(kind: str, day: dt.date) -> dt.date:
    if kind == "d":
        return day
    if kind == "w":
        return day - dt.timedelta(days=day.weekday())
    if kind == "m":
        return day.replace(day=1)
    return dt.date(day.year, 1, 1)


def period_end(kind: str, start: dt.date) -> dt.date:
    """The last day of the period that begins on `start`."""
    if kind == "d":
        return start
    if kind == "w":
        return start + dt.timedelta(days=6)
    if kind == "m":
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return dt.date(start.year, 12, 31)


def next_start(kind: str, start: dt.date) -> dt.date:
    return period_end(kind, start) + DAY


def days_between(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += DAY


@dataclass(frozen=True, order=True)
class Window:
    """City days `first` to `last`, both included."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("a window ends on or after its first day")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def clip(self, other: Window) -> Window | None:
        first, last = max(self.first, other.first), min(self.last, other.last)
        return Window(first, last) if first <= last else None

    def periods(self, kind: str) -> list[Window]:
        """The calendar periods of `kind` that meet this window, each clipped to it."""
        found, start = [], period_start(kind, self.first)
        while start <= self.last:
            found.append(Window(max(start, self.first), min(period_end(kind, start), self.last)))
            start = next_start(kind, start)
        return found

    def starts(self, kind: str) -> list[dt.date]:
        """Starts of the periods of `kind` that begin inside this window."""
        return [w.first for w in self.periods(kind) if w.first == period_start(kind, w.first)]

    def whole(self, kind: str) -> list[dt.date]:
        """Starts of the periods of `kind` lying entirely inside this window."""
        return [
            w.first
            for w in self.periods(kind)
            if w.first == period_start(kind, w.first) and w.last == period_end(kind, w.first)
        ]

    def to_date(self) -> str | None:
        """The kind of period ("y", "m", "w") that this window runs from the start of, if any."""
        for kind in ("y", "m", "w"):
            if period_start(kind, self.first) == self.first and self.last <= period_end(kind, self.first):
                return kind
        return None

    def as_period(self) -> tuple[str, dt.date] | None:
        """(kind, start) when the window is exactly one calendar period (the largest such)."""
        return _as_period(self.first, self.last)

    def segments(self) -> list[tuple[str, dt.date, dt.date]]:
        """(kind, first start, last start) ranges of roll-up rows that sum to exactly this window."""
        months = self.whole("m")
        if not months:
            return [("d", self.first, self.last)]
        parts = [("m", months[0], months[-1])]
        if self.first < months[0]:
            parts.append(("d", self.first, months[0] - DAY))
        tail = period_end("m", months[-1])
        if tail < self.last:
            parts.append(("d", tail + DAY, self.last))
        return parts

    def month_masks(self) -> dict[int, dict[int, int]]:
        """{year: {month: bits of the days inside}}: the day-mask test of this window."""
        masks: dict[int, dict[int, int]] = {}
        for part in self.periods("m"):
            bits = 0
            for day in days_between(part.first, part.last):
                bits |= 1 << (day.day - 1)
            masks.setdefault(part.first.year, {})[part.first.month] = bits
        return masks

    def label(self) -> str:
        return f"{self.first.isoformat()}/{self.last.isoformat()}"


@functools.lru_cache(maxsize=4096)
def _as_period(first: dt.date, last: dt.date) -> tuple[str, dt.date] | None:
    if first == last:
        return "d", first
    for kind in ("y", "m", "w"):
        if period_start(kind, first) == first and period_end(kind, first) == last:
            return kind, first
    return None


def bit_of(day: dt.date) -> int:
    return 1 << (day.day - 1)


def full_month_bits(year: int, month: int) -> int:
    return (1 << calendar.monthrange(year, month)[1]) - 1


class ActiveDays:
    """A resident's active days for one subject, read from their mask rows ({year: [m1..m12]})."""

    def __init__(self, years: dict[int, list[int]] | None = None) -> None:
        self.years = years or {}
        self._sorted: list[dt.date] | None = None  # the active days in order, built on first search

    def ordered(self) -> list[dt.date]:
        if self._sorted is None:
            self._sorted = [
                dt.date(year, month, n + 1)
                for year in sorted(self.years)
                for month, bits in enumerate(self.years[year], start=1)
                for n in range(bits.bit_length())
                if bits >> n & 1
            ]
        return self._sorted

    def has(self, day: dt.date) -> bool:
        months = self.years.get(day.year)
        return bool(months and months[day.month - 1] & bit_of(day))

    def any_in(self, first: dt.date, last: dt.date) -> bool:
        """Whether a day from `first` to `last` is active: one mask test per month the span touches."""
        while first <= last:
            end = min(last, period_end("m", first))
            months = self.years.get(first.year)
            span = ((1 << (end.day - first.day + 1)) - 1) << (first.day - 1)
            if months and months[first.month - 1] & span:
                return True
            first = end + DAY
        return False

    def any_in_period(self, kind: str, day: dt.date) -> bool:
        months = self.years.get(day.year) or [0] * 12
        if kind == "y":
            return any(months)
        if kind == "m":
            return bool(months[day.month - 1])
        start = period_start(kind, day)
        return self.any_in(start, period_end(kind, start))

    def first_in(self, kind: str, day: dt.date) -> dt.date | None:
        """The earliest active day of the period of `kind` that contains `day`."""
        start = period_start(kind, day)
        days = self.ordered()
        i = bisect.bisect_left(days, start)
        return days[i] if i < len(days) and days[i] <= period_end(kind, start) else None

    def nearest(self, day: dt.date, step: int, limit: int) -> dt.date | None:
        """The closest active day before (step -1) or after (step +1) `day`, within `limit` days."""
        days = self.ordered()
        if step > 0:
            i = bisect.bisect_right(days, day)
            found = days[i] if i < len(days) else None
        else:
            i = bisect.bisect_left(days, day)
            found = days[i - 1] if i > 0 else None
        return found if found is not None and abs((found - day).days) <= limit else None

    def add(self, day: dt.date) -> None:
        months = self.years.setdefault(day.year, [0] * 12)
        if months[day.month - 1] & bit_of(day):
            return
        months[day.month - 1] |= bit_of(day)
        if self._sorted is not None:  # keep the order instead of rebuilding it on the next search
            bisect.insort(self._sorted, day)


ROLLING = (7, 30, 365)
ROLLING_COLUMNS = [f"r{length}" for length in ROLLING]


def rolling_changes(days: ActiveDays, day: dt.date) -> dict[dt.date, dict[str, int]]:
    """How the rolling counts' changes move when `day` becomes active (it was not).

    An active day d counts from d until min(d + L, next active day) - 1. The new day starts its own
    span, and cuts short the span of the previous active day p if that one reached past it.
    """
    changes: dict[dt.date, dict[str, int]] = {}

    def add(on: dt.date, column: str, n: int) -> None:
        changes.setdefault(on, dict.fromkeys(ROLLING_COLUMNS, 0))[column] += n

    closest_before, closest_after = days.nearest(day, -1, max(ROLLING)), days.nearest(day, +1, max(ROLLING))
    for length, column in zip(ROLLING, ROLLING_COLUMNS, strict=True):
        span = dt.timedelta(days=length)
        before = closest_before if closest_before and (day - closest_before).days <= length else None
        after = closest_after if closest_after and (closest_after - day).days <= length else None
        end = day + span if after is None else min(day + span, after)
        add(day, column, 1)
        add(end, column, -1)
        if before is not None:  # its span ended at min(before + L, after); now it ends at `day`
            add(before + span if after is None else min(before + span, after), column, 1)
            add(day, column, -1)
    return {on: change for on, change in changes.items() if any(change.values())}


def return_changes(days: ActiveDays, day: dt.date) -> list[tuple[dt.date, dt.date, int]]:
    """How the (active day, previous active day) pairs move when `day` becomes active (it was not).

    `day` pairs with the closest active day before it, and the closest one after it pairs with `day`
    instead of that one. A previous day more than RETURNS_HORIZON days back is LONG_AGO, so that only
    the masks of a year either side are ever needed (as for the rolling counts).
    """
    before = days.nearest(day, -1, RETURNS_HORIZON) or LONG_AGO
    changes = [(day, before, 1)]
    after = days.nearest(day, +1, RETURNS_HORIZON)
    if after is not None:
        was = before if (after - before).days <= RETURNS_HORIZON else LONG_AGO
        changes += [(after, was, -1), (after, day, 1)]
    return changes
