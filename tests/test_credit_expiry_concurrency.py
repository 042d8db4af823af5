"""Expiry sweeps racing redemptions of the same account: never a negative balance, never two expiries."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select

from models import EntryKind, LedgerEntry, Role, User, utcnow
from webapp.extensions import db
from webapp.services import expiry, ledger, redemptions
from webapp.services.city import current_city

from .conftest import PASSWORD
from .helpers import make_user_factory, race_sessions
from .test_merchants_support import fund, make_merchant, make_reward, make_staff

SWEEPS, REDEMPTIONS = 2, 6


@pytest.fixture(autouse=True)
def _engine_bound_sessions(app):
    """As in test_merchants_concurrency: start db.new_session() from SQLAlchemy's default."""
    db.factory.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")


@pytest.fixture
def one_month_policy(committed):
    current_city(committed).credit_expiry_months = 1
    committed.commit()
    yield
    current_city(committed).credit_expiry_months = None
    committed.commit()


@pytest.mark.parametrize("round_", range(3))
def test_expiry_racing_redemptions_never_goes_negative_nor_expires_twice(app, committed, one_month_policy, round_):
    make_user = make_user_factory(committed, PASSWORD)
    staff = make_staff(committed, make_user, make_merchant(committed))
    reward = make_reward(committed, staff, cost=30, stock=50, limit=50)
    resident = make_user(Role.RESIDENT)
    with time_machine.travel(utcnow() - dt.timedelta(days=75), tick=False):
        fund(committed, resident, 100)  # due: earned at least two calendar months ago
    fund(committed, resident, 40)

    def work(session, i: int) -> None:
        if i < SWEEPS:
            expiry.expire_due(session, utcnow())
        else:
            redemptions.redeem(session, session.get(User, resident.id), reward.id)

    outcomes = race_sessions(app, SWEEPS + REDEMPTIONS, work)
    committed.expire_all()
    account = ledger.account_for(committed, resident)
    expired = committed.scalars(
        select(LedgerEntry.amount).where(LedgerEntry.account_id == account.id, LedgerEntry.kind == EntryKind.EXPIRE)
    ).all()
    redeemed = outcomes[SWEEPS:].count("ok")
    print(f"\nround {round_}: {redeemed} redemptions, expired {expired}, balance {account.balance}")
    assert outcomes[:SWEEPS] == ["ok"] * SWEEPS
    assert len(expired) <= 1
    assert account.balance >= 0
    assert account.balance == 140 - 30 * redeemed + sum(expired)
    assert ledger.verify(committed) == []
    assert expiry.verify(committed) == []
    assert committed.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.amount == 0)) == 0
