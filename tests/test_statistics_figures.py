"""Every measure, read from the roll-ups, equals a direct computation over the raw rows."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import select

from models import District, StatActions
from webapp.services import projector, statistics
from webapp.services.statistics import Scope, Series, Window

from .test_statistics_data import direct, log, make_activity, raw_rows, shanghai

NO_SUPPRESSION = 1  # a threshold of 1 hides nothing: here we check the arithmetic


def random_windows(activity, rng, n=6):
    span = (activity.last - activity.first).days + 10
    found = [
        Window(activity.first - dt.timedelta(days=5), activity.last + dt.timedelta(days=3)),
        Window(dt.date(2026, 4, 1), dt.date(2026, 4, 30)),  # a calendar month: looked up
        Window(dt.date(2026, 4, 6), dt.date(2026, 4, 12)),  # an ISO week
        *[Window(activity.last - dt.timedelta(days=n - 1), activity.last) for n in (7, 30, 365)],  # rolling
        Window(dt.date(2026, 1, 1), activity.last - dt.timedelta(days=3)),  # year to date
        Window(dt.date(2026, 4, 1), dt.date(2026, 4, 17)),  # month to date
        Window(dt.date(2026, 4, 13), dt.date(2026, 4, 15)),
    ]  # week to date
    for _ in range(n):
        first = activity.first - dt.timedelta(days=5) + dt.timedelta(days=rng.randrange(span))
        found.append(Window(first, first + dt.timedelta(days=rng.randrange(1, 40))))
    return found


@pytest.mark.parametrize("seed", [11, 12])
def test_overview_and_district_rows_equal_direct_aggregates(session, make_user, seed):
    activity = make_activity(session, make_user, seed)
    raw = raw_rows(session)
    rng = random.Random(seed)
    districts = list(session.scalars(select(District).order_by(District.code)))
    for window in random_windows(activity, rng):
        for district in (None, *rng.sample(districts[:3], 2)):
            got = statistics.overview(session, Scope(window, district), threshold=NO_SUPPRESSION)
            want = direct(raw, window.first, window.last, district.id if district else None)
            assert got["suppressed"] == {}, (window, district)
            for field in (
                "residents",
                "active_residents",
                "active_residents_7d",
                "participants",
                "actions_total",
                "co2e_grams",
                "credits_issued",
                "credits_redeemed",
                "vouchers_issued",
                "credits_outstanding",
            ):
                assert got[field] == want[field], (field, window, district)
            assert {k: v for k, v in got["actions"].items() if v} == want["actions"], (window, district)
            assert {k: v for k, v in got["waste_kg"].items() if v} == want["waste_kg"]
            share = got["green_travel_share"]
            assert share["n_trips"] == want["n_trips"] and share["green_trips"] == want["green_trips"]
        rows = statistics.district_rows(session, window, threshold=NO_SUPPRESSION)
        for row in rows[:3]:
            want = direct(raw, window.first, window.last, row["district"].id)
            assert (row["participants"], row["co2e_grams"], row["residents"]) == (
                want["participants"],
                want["co2e_grams"],
                want["residents"],
            )


@pytest.mark.parametrize("interval", ["day", "week", "month"])
def test_timeseries_equal_direct_aggregates_per_period(session, make_user, interval):
    activity = make_activity(session, make_user, 21)
    raw = raw_rows(session)
    window = Window(activity.first + dt.timedelta(days=3), activity.last)
    district = session.scalar(select(District).where(District.code == "371403"))
    for metric, field in (
        ("co2e_grams", "co2e_grams"),
        ("participants", "participants"),
        ("actions", "actions_total"),
        ("credits_issued", "credits_issued"),
        ("active_residents", "active_residents"),
        ("residents", "residents"),
    ):
        for scope in (None, district):
            points = statistics.timeseries(
                session, Series(metric, interval, window, scope.id if scope else 0), threshold=NO_SUPPRESSION
            )
            assert points[0]["period"] == window.first and points[-1]["period_end"] == window.last
            for point in points:
                want = direct(raw, point["period"], point["period_end"], scope.id if scope else None)
                assert point["value"] == want[field], (metric, interval, point)


def test_green_share_per_week_equals_direct_counts(session, make_user):
    activity = make_activity(session, make_user, 31)
    raw = raw_rows(session)
    window = Window(activity.first, activity.last)
    for point in statistics.timeseries(session, Series("green_travel_share", "week", window), threshold=NO_SUPPRESSION):
        want = direct(raw, point["period"], point["period_end"], None)
        assert point["n_trips"] == want["n_trips"]
        if want["n_trips"]:
            assert point["value"] == pytest.approx(want["green_trips"] / want["n_trips"])


def test_a_minute_before_and_after_midnight_in_dezhou_are_different_days(session, make_user):
    resident = make_user()
    now = shanghai(2026, 6, 15, 1, 0)
    log(session, resident, "bus", 5, shanghai(2026, 6, 14, 23, 59), now)
    log(session, resident, "bus", 7, shanghai(2026, 6, 15, 0, 1), now)
    projector.fold_all(session)
    days = dict(
        session.execute(
            select(StatActions.start, StatActions.actions).where(
                StatActions.kind == "d", StatActions.start >= dt.date(2026, 6, 14)
            )
        ).all()
    )
    assert days == {dt.date(2026, 6, 14): 1, dt.date(2026, 6, 15): 1}
    points = statistics.timeseries(
        session, Series("actions", "day", Window(dt.date(2026, 6, 14), dt.date(2026, 6, 15))), threshold=NO_SUPPRESSION
    )
    assert [(p["period"], p["value"]) for p in points] == [(dt.date(2026, 6, 14), 1), (dt.date(2026, 6, 15), 1)]
    # 15:59 UTC is already the 15th in Dezhou: the UTC date would have put both on the 14th.
    assert shanghai(2026, 6, 15, 0, 1).astimezone(dt.UTC).date() == dt.date(2026, 6, 14)


def test_statistics_sum_co2e_not_credits(session, make_user):
    """A capped action still counts all of its CO2e; its credits stop at the cap."""
    resident = make_user()
    now = shanghai(2026, 6, 20, 18, 0)
    for hour in range(8, 14):  # bus: 310 credits a day for self-reports
        log(session, resident, "bus", 20, shanghai(2026, 6, 20, hour, 0), now)
    projector.fold_all(session)
    got = statistics.overview(
        session, Scope(Window(dt.date(2026, 6, 20), dt.date(2026, 6, 20))), threshold=NO_SUPPRESSION
    )
    rows = raw_rows(session).actions
    assert sum(a.credits for a in rows) == 310  # the ledger books them on the day they are earned
    assert got["co2e_grams"] == sum(a.co2e_grams for a in rows) > 310
