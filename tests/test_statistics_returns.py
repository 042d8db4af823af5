"""stat_returns: distinct residents over any window of up to 366 days, across long gaps and late days."""

from __future__ import annotations

import datetime as dt
import importlib.util
import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from models import District, EmissionFactor, Role, StatReturns
from models.statistics import LONG_AGO, RETURNS_HORIZON
from webapp.services import projector, statistics
from webapp.services.statistics import Scope, Window, reach
from webapp.services.statistics.periods import ActiveDays, return_changes

from .test_statistics_data import DISTRICTS, direct, log, make_activity, raw_rows, shanghai, snapshot

FIRST = dt.date(2023, 6, 1)
SPAN = 920  # days: gaps longer than the horizon, windows on either side of it


def pairs_of(days: list[dt.date]) -> dict[tuple[dt.date, dt.date], int]:
    """Each day with the previous one (LONG_AGO when none or further back than the horizon)."""
    found, previous = {}, None
    for day in sorted(days):
        before = previous if previous and (day - previous).days <= RETURNS_HORIZON else LONG_AGO
        found[(day, before)] = 1
        previous = day
    return found


@settings(max_examples=200, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=SPAN), min_size=1, max_size=30, unique=True),
    order=st.randoms(use_true_random=False),
    first=st.integers(min_value=-10, max_value=SPAN),
    length=st.integers(min_value=1, max_value=RETURNS_HORIZON + 1),
)
def test_the_pairs_of_days_added_in_any_order_count_each_resident_once_per_window(offsets, order, first, length):
    days = [FIRST + dt.timedelta(days=n) for n in offsets]
    order.shuffle(days)
    active, pairs = ActiveDays(), {}
    for day in days:
        for on, before, n in return_changes(active, day):
            pairs[(on, before)] = pairs.get((on, before), 0) + n
        active.add(day)
    assert {k: n for k, n in pairs.items() if n} == pairs_of(days)
    a = FIRST + dt.timedelta(days=first)
    b = a + dt.timedelta(days=length - 1)
    counted = sum(n for (on, before), n in pairs.items() if a <= on <= b and before < a)
    assert counted == (1 if any(a <= day <= b for day in days) else 0)


def test_long_gaps_and_late_days_fold_as_a_rebuild_counts_them_and_equal_direct_counts(session, make_user):
    """Residents active on either side of gaps longer than a year, some days logged late; folded in
    small batches, then compared with a rebuild and with plain counts over many windows."""
    rng = random.Random(7)
    session.execute(update(EmissionFactor).values(valid_from=shanghai(2023, 1, 1)))  # factors for the years before too
    residents = [make_user(Role.RESIDENT, district=DISTRICTS[n % 2]) for n in range(5)]
    districts = session.scalars(select(District).where(District.code.in_(DISTRICTS[:2]))).all()
    for user in residents:
        user.created_at = shanghai(2023, 5, 1)
    session.flush()
    for n, user in enumerate(residents):
        days = sorted(rng.sample(range(SPAN), 12))
        if n == 0:  # gaps of exactly the horizon, one day more, and a few weeks more
            days = [5, 9, 12, 377, 378 + RETURNS_HORIZON, 408 + 2 * RETURNS_HORIZON]
        if n == 1:  # logged out of order: the last one falls inside a gap longer than the horizon
            days = [100, 500, 300, 310]
        for offset in days:
            now = shanghai(FIRST.year, FIRST.month, FIRST.day, 20) + dt.timedelta(days=offset)
            late = dt.timedelta(days=rng.choice((0, 0, 1, 3)) if n > 1 else 0)
            log(session, user, "walk", 3000, now - late, now)
    projector.fold_all(session, limit=3)
    live = snapshot(session)
    assert live["stat_returns"]
    statistics.refresh_rollups(session)
    assert snapshot(session) == live
    raw = raw_rows(session)
    windows = [Window(FIRST + dt.timedelta(days=13), FIRST + dt.timedelta(days=13 + RETURNS_HORIZON))]
    for _ in range(25):
        a = FIRST + dt.timedelta(days=rng.randrange(-5, SPAN))
        windows.append(Window(a, a + dt.timedelta(days=rng.randrange(RETURNS_HORIZON + 1))))
    for window in windows:
        for district in (None, *districts):
            key = district.id if district else 0
            cell = reach.Cell("*", key, window)
            want = direct(raw, window.first, window.last, district.id if district else None)["participants"]
            assert reach.count_exact(session, [cell])[cell] == want, (window, district)
        got = statistics.overview(session, Scope(window), threshold=1)["participants"]
        assert got == direct(raw, window.first, window.last, None)["participants"], window


def test_the_migration_fills_stat_returns_from_the_masks_already_there(session, make_user):
    make_activity(session, make_user, 8)
    folded = snapshot(session)["stat_returns"]
    assert folded
    session.execute(delete(StatReturns))
    path = next(Path(__file__).parents[1].glob("migrations/versions/*_f2c6a9d4b8e1_stat_returns.py"))
    spec = importlib.util.spec_from_file_location("stat_returns_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    migration._backfill(session.connection())
    assert snapshot(session)["stat_returns"] == folded
