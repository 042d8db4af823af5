"""Scoring and fair play (API.md "Personal carbon account"), at the service level and over HTTP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import func, select

from models import Action, ActionStatus, EmissionFactor, Evidence, Family, LedgerEntry, Role
from webapp.errors import Conflict, Forbidden, Invalid
from webapp.services import actions, ledger, methodology
from webapp.services.actions import ActionInput, Verified

from .carbon import make_type

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 6, 14, 9, 0, tzinfo=SHANGHAI)


def log(session, user, action_type, quantity, occurred_at=NOW, now=NOW, **kwargs):
    data = ActionInput(type=action_type.code, quantity=Decimal(str(quantity)), occurred_at=occurred_at)
    return actions.log_action(session, user, data, now=now.astimezone(dt.UTC), **kwargs)


def count_actions(session) -> int:
    return session.scalar(select(func.count()).select_from(Action))


def test_co2e_is_quantity_times_factor_rounded_half_up(session, resident):
    action_type = make_type(session, grams="201")
    action, account = log(session, resident, action_type, "0.5")  # 100.5 g
    assert action.co2e_grams == 101
    assert action.credits == 101
    assert action.status == ActionStatus.CREDITED
    assert account.balance == 101
    assert account.co2e_grams == 101


def test_rounding_half_up_not_bankers(session, resident):
    action_type = make_type(session, grams="5", min_q="0.1")
    action, _ = log(session, resident, action_type, "0.5")  # 2.5 g -> 3, where banker's rounding gives 2
    assert action.co2e_grams == 3


def test_every_credit_names_its_action_and_factor(session, resident):
    action_type = make_type(session, grams="100")
    action, account = log(session, resident, action_type, "2")
    entry = session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == account.id)).one()
    assert (entry.cause_type, entry.cause_id, entry.amount) == ("action", action.id, 200)
    assert action.factor.code == action_type.factor_code
    assert action.factor.version == 1


def test_a_booking_undone_by_its_savepoint_leaves_the_session_clean(session, resident):
    """An action that earns is booked without the unit of work (one statement on PostgreSQL). When a
    savepoint around it rolls back, SQLite gives its id to the next action; the session must then hold
    the new action under that id, not the one that was undone."""
    action_type = make_type(session, grams="100")
    savepoint = session.begin_nested()
    undone, _ = log(session, resident, action_type, "1")  # held: the identity map keeps it too
    savepoint.rollback()
    kept, account = log(session, resident, action_type, "2", occurred_at=NOW + dt.timedelta(minutes=1))
    session.flush()
    assert session.get(Action, kept.id) is kept and undone not in session
    stored = session.execute(select(Action.id, Action.quantity, Action.co2e_grams, Action.credits)).all()
    assert stored == [(kept.id, Decimal("2.000"), 200, kept.credits)]
    assert kept.credits > 0
    entries = session.execute(select(LedgerEntry.cause_id, LedgerEntry.amount, LedgerEntry.balance_after)).all()
    assert entries == [(kept.id, kept.credits, kept.credits)]
    assert account.balance == kept.credits and ledger.verify(session) == []


def test_a_new_factor_version_never_rewrites_old_actions(session, resident, make_user):
    action_type = make_type(session, grams="100")
    old, _ = log(session, resident, action_type, "2")
    admin = make_user(Role.ADMIN)
    with time_machine.travel(NOW, tick=False):
        new_factor = methodology.publish_version(
            session,
            admin,
            action_type.factor_code,
            grams_per_unit="150",
            effective_from=NOW.date(),
            source="updated source",
            formula="q × 150",
            year=2026,
            confidence="S",
        )
    later = NOW + dt.timedelta(hours=1)
    fresh, _ = log(session, resident, action_type, "2", occurred_at=later, now=later)
    session.refresh(old)
    assert old.co2e_grams == 200
    assert old.factor.version == 1
    assert fresh.co2e_grams == 300
    assert fresh.factor_id == new_factor.id
    previous = session.scalar(
        select(EmissionFactor).where(EmissionFactor.code == action_type.factor_code, EmissionFactor.version == 1)
    )
    assert previous.valid_to == new_factor.valid_from


def test_a_factor_version_cannot_start_in_the_past(session, make_user):
    action_type = make_type(session)
    with time_machine.travel(NOW, tick=False), pytest.raises(Invalid) as error:
        methodology.publish_version(
            session,
            make_user(Role.ADMIN),
            action_type.factor_code,
            grams_per_unit="1",
            effective_from=NOW.date() - dt.timedelta(days=1),
            source="s",
            formula="f",
            year=2026,
            confidence="V",
        )
    assert "effective_from" in error.value.errors


def test_daily_cap_applies_per_city_day_across_midnight(session, resident):
    action_type = make_type(session, grams="100", cap_self=300)
    before_midnight = dt.datetime(2026, 6, 14, 23, 59, tzinfo=SHANGHAI)
    after_midnight = dt.datetime(2026, 6, 15, 0, 1, tzinfo=SHANGHAI)
    first, _ = log(session, resident, action_type, "2.5", occurred_at=before_midnight, now=after_midnight)
    capped, _ = log(session, resident, action_type, "1", occurred_at=before_midnight, now=after_midnight)
    next_day, _ = log(session, resident, action_type, "1", occurred_at=after_midnight, now=after_midnight)
    assert (first.credits, first.capped) == (250, False)
    assert (capped.credits, capped.capped) == (50, True)
    assert capped.co2e_grams == 100  # CO2e is what happened; only credits are capped
    assert (next_day.credits, next_day.capped) == (100, False)
    assert first.local_day == dt.date(2026, 6, 14)
    assert next_day.local_day == dt.date(2026, 6, 15)


def test_evidenced_actions_have_the_higher_cap(session, resident):
    action_type = make_type(session, grams="100", cap_self=100, cap_evidenced=500)
    self_reported, _ = log(session, resident, action_type, "3")
    evidenced, _ = log(
        session,
        resident,
        action_type,
        "3",
        occurred_at=NOW - dt.timedelta(hours=2),
        evidence=Verified(Evidence.TRANSIT, "card-1"),
    )
    assert (self_reported.credits, self_reported.capped) == (100, True)
    assert (evidenced.credits, evidenced.capped) == (300, False)


@pytest.mark.parametrize(
    ("occurred_at", "ok"),
    [
        (NOW - dt.timedelta(days=7) + dt.timedelta(minutes=1), True),
        (NOW - dt.timedelta(days=7, minutes=1), False),
        (NOW + dt.timedelta(minutes=4), True),
        (NOW + dt.timedelta(minutes=6), False),
    ],
)
def test_back_dating_window_and_future_limit(session, resident, occurred_at, ok):
    action_type = make_type(session)
    if ok:
        action, _ = log(session, resident, action_type, "1", occurred_at=occurred_at)
        assert action.id is not None
    else:
        with pytest.raises(Invalid) as error:
            log(session, resident, action_type, "1", occurred_at=occurred_at)
        assert "occurred_at" in error.value.errors
        assert count_actions(session) == 0


def test_quantity_outside_plausible_range_is_refused(session, resident):
    action_type = make_type(session, min_q="0.5", max_q="50")
    for quantity in ("0.4", "50.1"):
        with pytest.raises(Invalid) as error:
            log(session, resident, action_type, quantity)
        assert "quantity" in error.value.errors
    assert count_actions(session) == 0


def test_type_needing_evidence_waits_for_review_then_is_credited(session, resident, make_user):
    action_type = make_type(
        session,
        family=Family.PURCHASE,
        unit="item",
        min_q="1",
        max_q="5",
        needs_evidence=True,
        grams="1000",
        cap_self=1000,
        cap_evidenced=5000,
    )
    action, account = log(session, resident, action_type, "1")
    assert (action.status, action.credits, action.reason) == (ActionStatus.PENDING, 0, "evidence_required")
    assert account.balance == 0
    approved = actions.approve(session, make_user(Role.ADMIN), action.id)
    assert (approved.status, approved.credits) == (ActionStatus.CREDITED, 1000)
    assert ledger.account_for(session, resident).balance == 1000
    with pytest.raises(Conflict):
        actions.approve(session, make_user(Role.ADMIN), action.id)


def test_rejection_shows_a_reason_and_can_be_appealed_once(session, resident, make_user):
    action_type = make_type(session, needs_evidence=True)
    action, _ = log(session, resident, action_type, "1")
    admin = make_user(Role.ADMIN)
    with pytest.raises(Invalid):
        actions.reject(session, admin, action.id, "")
    actions.reject(session, admin, action.id, "No receipt")
    assert action.review_note == "No receipt"
    assert action.credits == 0
    actions.appeal(session, resident, action.id, "The shop forgot to scan it")
    assert action.status == ActionStatus.PENDING
    actions.reject(session, admin, action.id, "Still no receipt")
    with pytest.raises(Conflict):
        actions.appeal(session, resident, action.id, "Please look again")


def test_self_reported_trip_overlapping_a_verified_trip_earns_nothing(session, resident):
    bus = make_type(session, grams="100")
    verified, _ = log(
        session,
        resident,
        bus,
        "5",
        occurred_at=NOW - dt.timedelta(minutes=30),
        evidence=Verified(Evidence.TRANSIT, "trip-9"),
    )
    duplicate, account = log(session, resident, bus, "5", occurred_at=NOW - dt.timedelta(minutes=20))
    assert verified.credits == 500
    assert (duplicate.status, duplicate.credits, duplicate.reason) == (
        ActionStatus.DUPLICATE,
        0,
        "overlaps_verified_trip",
    )
    assert account.balance == 500
    far, _ = log(session, resident, bus, "5", occurred_at=NOW - dt.timedelta(hours=3))
    assert far.status == ActionStatus.CREDITED


def test_a_burst_of_self_reports_is_held_for_review(session, resident):
    walk = make_type(session, grams="1", unit="steps", min_q="1", max_q="50000", cap_self=100000, cap_evidenced=100000)
    statuses = [
        log(session, resident, walk, "100", now=NOW + dt.timedelta(seconds=i))[0].status
        for i in range(actions.VELOCITY_LIMIT + 1)
    ]
    assert statuses[: actions.VELOCITY_LIMIT] == [ActionStatus.CREDITED] * actions.VELOCITY_LIMIT
    assert statuses[-1] == ActionStatus.PENDING


def test_only_residents_log_actions(session, make_user):
    action_type = make_type(session)
    with pytest.raises(Forbidden):
        log(session, make_user(Role.MERCHANT), action_type, "1")
