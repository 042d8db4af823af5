"""Roll-ups kept as actions are credited, reviewed, redeemed and accounts erased, equal a rebuild."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from models import ActionStatus, ActionType, Role, StatActions, StatMask, StatReach
from webapp.services import accounts, actions, projector
from webapp.services.statistics import refresh_rollups
from webapp.services.statistics.periods import ActiveDays, days_between

from .test_statistics_data import log, make_activity, shanghai, snapshot


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_live_rollups_equal_a_rebuild_from_the_raw_rows(session, make_user, seed):
    make_activity(session, make_user, seed)
    live = snapshot(session)
    assert live["stat_actions"] and live["stat_masks"] and live["stat_ledger"] and live["stat_registrations"]
    refresh_rollups(session)
    assert snapshot(session) == live


def test_a_partial_sweep_changes_nothing_when_nothing_drifted(session, make_user):
    activity = make_activity(session, make_user, 4)
    live = snapshot(session)
    for since in (activity.first + dt.timedelta(days=17), activity.first.replace(day=1), activity.last):
        refresh_rollups(session, since)
        assert snapshot(session) == live, since


def test_the_sweep_repairs_roll_ups_that_drifted(session, make_user):
    activity = make_activity(session, make_user, 5)
    live = snapshot(session)
    session.execute(delete(StatReach).where(StatReach.kind == "d"))
    session.execute(update(StatActions).values(co2e_grams=StatActions.co2e_grams + 1))
    session.execute(delete(StatMask).where(StatMask.subject == "*"))
    refresh_rollups(session, activity.first - dt.timedelta(days=40))
    assert snapshot(session) == live


def nev_car_rows(session) -> int:
    rows = (
        session.execute(
            select(StatActions.actions)
            .join(ActionType, ActionType.id == StatActions.action_type_id)
            .where(ActionType.code == "nev_car", StatActions.kind == "d")
        )
        .scalars()
        .all()
    )
    return sum(rows)


def test_review_outcomes_and_erasure_reach_the_roll_ups(session, make_user):
    resident, admin = make_user(Role.RESIDENT), make_user(Role.ADMIN)
    now = shanghai(2026, 5, 10, 12, 0)
    first, _ = log(session, resident, "nev_car", 10, now, now)  # needs evidence: waits for review
    second, _ = log(session, resident, "nev_car", 12, now, now)
    assert (first.status, second.status) == (ActionStatus.PENDING, ActionStatus.PENDING)
    assert nev_car_rows(session) == 0
    actions.approve(session, admin, first.id)
    projector.fold_all(session)
    assert nev_car_rows(session) == 1
    actions.reject(session, admin, second.id, "no evidence")
    projector.fold_all(session)
    assert nev_car_rows(session) == 1
    actions.appeal(session, resident, second.id, "here is my charging receipt")
    actions.approve(session, admin, second.id)
    projector.fold_all(session)
    assert nev_car_rows(session) == 2
    live = snapshot(session)
    accounts.erase(session, resident)
    projector.fold_all(session)
    after = snapshot(session)
    assert after["stat_actions"] == live["stat_actions"] and after["stat_masks"] == live["stat_masks"]
    assert after["stat_registrations"] != live["stat_registrations"]  # one resident fewer from today
    refresh_rollups(session)
    assert snapshot(session) == after


@settings(max_examples=300, deadline=None)
@given(
    bits=st.lists(st.integers(min_value=0, max_value=2**31 - 1), min_size=24, max_size=24),
    first=st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2026, 12, 31)),
    length=st.integers(min_value=0, max_value=40),
)
def test_any_in_agrees_with_testing_each_day(bits, first, length):
    days = ActiveDays({2025: bits[:12], 2026: bits[12:]})
    last = first + dt.timedelta(days=length)
    assert days.any_in(first, last) == any(days.has(d) for d in days_between(first, last))
