"""Credit expiry: off by default, FIFO by earning month, posted once, warned once, verified."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import pytest
import time_machine
from sqlalchemy import select

from models import EntryKind, LedgerEntry, Notice, NoticeKind, Role
from webapp.services import expiry, ledger
from webapp.services.city import current_city

ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
_n = itertools.count(1)


def at(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=ZONE).astimezone(dt.UTC)


@pytest.fixture
def policy(session):
    """Two months: credits earned in January expire on 1 April (city time)."""
    current_city(session).credit_expiry_months = 2
    session.flush()


def book(session, account, amount: int, when: dt.datetime) -> None:
    with time_machine.travel(when, tick=False):
        if amount > 0:
            ledger.credit(session, account, EntryKind.EARN, amount, ("test", next(_n)))
        else:
            ledger.debit(session, account, EntryKind.REDEEM, -amount, ("test", next(_n)))


def expiries(session, account) -> list[tuple[int, int]]:
    rows = session.execute(
        select(LedgerEntry.cause_id, LedgerEntry.amount)
        .where(LedgerEntry.account_id == account.id, LedgerEntry.kind == EntryKind.EXPIRE)
        .order_by(LedgerEntry.id)
    )
    return [tuple(row) for row in rows]


def test_expiry_is_off_unless_the_profile_sets_it(session, resident):
    account = ledger.account_for(session, resident)
    book(session, account, 100, at(2025, 1, 10))
    assert current_city(session).credit_expiry_months is None
    assert expiry.expire_due(session, at(2026, 6, 1)) == 0
    assert expiry.warn_due(session, at(2026, 6, 1)) == 0
    assert expiry.expiring_soon(session, account, at(2026, 6, 1)) is None
    assert account.balance == 100


def test_only_the_unspent_part_of_an_old_earning_expires_and_only_once(session, resident, policy):
    account = ledger.account_for(session, resident)
    book(session, account, 100, at(2026, 1, 10))
    book(session, account, 50, at(2026, 2, 10))
    book(session, account, -30, at(2026, 2, 15))  # spent from January's earnings first
    assert expiry.expire_due(session, at(2026, 3, 31)) == 0  # not due yet
    assert expiry.expire_due(session, at(2026, 4, 2)) == 1
    assert expiry.expire_due(session, at(2026, 4, 3)) == 0
    assert expiries(session, account) == [(202601, -70)]
    assert account.balance == 50
    assert expiry.expire_due(session, at(2026, 5, 2)) == 1
    assert expiries(session, account) == [(202601, -70), (202602, -50)]
    assert account.balance == 0
    assert ledger.verify(session) == []
    assert expiry.verify(session) == []


def test_credits_spent_beyond_the_old_earnings_leave_nothing_of_them_to_expire(session, resident, policy):
    account = ledger.account_for(session, resident)
    book(session, account, 100, at(2026, 1, 10))
    book(session, account, 100, at(2026, 3, 1))
    book(session, account, -150, at(2026, 3, 2))
    assert expiry.expire_due(session, at(2026, 4, 2)) == 0
    assert expiry.expire_due(session, at(2026, 6, 2)) == 1
    assert expiries(session, account) == [(202603, -50)]
    assert account.balance == 0
    assert expiry.verify(session) == []


def test_a_scheduler_that_was_down_expires_every_due_month_oldest_first(session, resident, policy):
    account = ledger.account_for(session, resident)
    book(session, account, 10, at(2026, 1, 10))
    book(session, account, 20, at(2026, 2, 10))
    book(session, account, 40, at(2026, 6, 10))
    assert expiry.expire_due(session, at(2026, 7, 1)) == 2
    assert expiries(session, account) == [(202601, -10), (202602, -20)]
    assert account.balance == 40
    assert expiry.verify(session) == []


def test_the_resident_is_warned_once_thirty_days_before(session, resident, policy):
    account = ledger.account_for(session, resident)
    book(session, account, 100, at(2026, 1, 10))
    book(session, account, -30, at(2026, 1, 20))
    assert expiry.warn_due(session, at(2026, 2, 20)) == 0  # more than 30 days before 1 April
    assert expiry.expiring_soon(session, account, at(2026, 2, 20)) is None
    assert expiry.warn_due(session, at(2026, 3, 5)) == 1
    assert expiry.warn_due(session, at(2026, 3, 6)) == 0
    notices = session.scalars(select(Notice).where(Notice.user_id == resident.id)).all()
    assert [(n.kind, n.ref, n.data) for n in notices] == [
        (NoticeKind.CREDITS_EXPIRING, "2026-01", {"credits": 70, "expires_on": "2026-04-01"})
    ]
    assert expiry.expiring_soon(session, account, at(2026, 3, 5)) == expiry.Expiring(70, dt.date(2026, 4, 1))


def test_verify_finds_an_expiry_that_disagrees_with_fifo(session, resident, policy):
    account = ledger.account_for(session, resident)
    book(session, account, 100, at(2026, 1, 10))
    ledger.debit(session, account, EntryKind.EXPIRE, 40, ("expiry", 202601))
    problems = expiry.verify(session)
    assert len(problems) == 1 and "FIFO leaves 100" in problems[0]


def test_account_api_shows_credits_expiring_soon_and_keeps_its_fields(session, api, make_user, policy):
    user = make_user(Role.RESIDENT)
    account = ledger.account_for(session, user)
    book(session, account, 80, at(2026, 1, 10))
    with time_machine.travel(at(2026, 3, 5), tick=False):
        body = api(user).get("/api/v1/account").get_json()
    assert {"balance", "lifetime_earned", "co2e_grams", "co2e_grams_week", "badges"} <= set(body)
    assert body["balance"] == 80
    assert body["credits_expiring_soon"] == {"credits": 80, "on": "2026-04-01"}
