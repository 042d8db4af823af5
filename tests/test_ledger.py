"""Invariant 1: entries are append-only and balance == sum(entries) >= 0, whatever happens."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select

from models import EntryKind, LedgerEntry, Role
from webapp.errors import Conflict, Forbidden, InsufficientCredits, Invalid
from webapp.services import ledger

_causes = itertools.count(1_000_000)


def _sum(session, account) -> int:
    return session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.account_id == account.id)
    )


def test_credit_then_debit_moves_balance_and_records_running_balance(session, resident):
    account = ledger.account_for(session, resident)
    ledger.credit(session, account, EntryKind.EARN, 500, ("action", 1))
    entry = ledger.debit(session, account, EntryKind.REDEEM, 200, ("redemption", 1))
    assert account.balance == 300
    assert entry.balance_after == 300
    assert entry.amount == -200
    assert account.lifetime_earned == 500
    assert account.lifetime_redeemed == 200
    assert ledger.verify(session) == []


def test_debit_beyond_balance_is_refused_and_changes_nothing(session, resident):
    account = ledger.account_for(session, resident)
    ledger.credit(session, account, EntryKind.EARN, 100, ("action", 1))
    with pytest.raises(InsufficientCredits):
        ledger.debit(session, account, EntryKind.REDEEM, 101, ("redemption", 1))
    session.refresh(account)
    assert account.balance == 100
    assert _sum(session, account) == 100


def test_the_same_cause_is_booked_only_once(session, resident):
    account = ledger.account_for(session, resident)
    ledger.credit(session, account, EntryKind.BONUS, 50, ("challenge", 7))
    with pytest.raises(Conflict):
        ledger.credit(session, account, EntryKind.BONUS, 50, ("challenge", 7))
    session.refresh(account)
    assert account.balance == 50
    assert _sum(session, account) == 50


def test_admin_adjustment_needs_a_reason_and_is_audited(session, resident, make_user):
    admin = make_user(Role.ADMIN)
    with pytest.raises(Invalid):
        ledger.adjust(session, admin, resident, 10, "")
    entry = ledger.adjust(session, admin, resident, 25, "Bus record lost by partner")
    assert entry.kind == EntryKind.ADJUST
    assert entry.reason == "Bus record lost by partner"
    assert entry.cause_type == "adjustment"
    with pytest.raises(InsufficientCredits):
        ledger.adjust(session, admin, resident, -26, "Too much taken back")


def test_only_admins_adjust(session, resident, make_user):
    with pytest.raises(Forbidden):
        ledger.adjust(session, make_user(Role.OFFICIAL), resident, 10, "not allowed here")


def test_verify_reports_an_account_whose_cache_disagrees_with_its_entries(session, resident):
    account = ledger.account_for(session, resident)
    ledger.credit(session, account, EntryKind.EARN, 40, ("action", 1))
    account.balance = 41  # a corrupted cache, as a bug or a manual edit would leave it
    session.flush()
    problems = ledger.verify(session)
    assert [p.account_id for p in problems] == [account.id]
    assert problems[0].entries_sum == 40


class LedgerMachine(RuleBasedStateMachine):
    """Any sequence of earns, debits and refunds keeps balance == sum(entries) >= 0."""

    session = None
    make_user = None

    def __init__(self):
        super().__init__()
        # A fresh resident per example, so no example inherits another's balance.
        self.account = ledger.account_for(self.session, self.make_user())
        self.model = self.account.balance
        self.redeemed = 0

    @rule(amount=st.integers(min_value=1, max_value=10_000), kind=st.sampled_from([EntryKind.EARN, EntryKind.BONUS]))
    def earn(self, amount, kind):
        ledger.credit(self.session, self.account, kind, amount, ("action", next(_causes)))
        self.model += amount

    @rule(amount=st.integers(min_value=1, max_value=12_000))
    def redeem(self, amount):
        try:
            ledger.debit(self.session, self.account, EntryKind.REDEEM, amount, ("redemption", next(_causes)))
        except InsufficientCredits:
            assert amount > self.model
        else:
            self.model -= amount
            self.redeemed += amount

    @precondition(lambda self: self.redeemed > 0)
    @rule(amount=st.integers(min_value=1, max_value=5_000))
    def refund(self, amount):
        amount = min(amount, self.redeemed)
        self.redeemed -= amount
        ledger.credit(self.session, self.account, EntryKind.REFUND, amount, ("redemption", next(_causes)))
        self.model += amount

    @invariant()
    def balance_matches_entries(self):
        self.session.refresh(self.account)
        assert self.account.balance == self.model
        assert self.account.balance == _sum(self.session, self.account)
        assert self.account.balance >= 0


def test_ledger_state_machine(session, make_user):
    LedgerMachine.session = session
    LedgerMachine.make_user = staticmethod(make_user)
    LedgerMachine.TestCase.settings = settings(
        max_examples=15,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    LedgerMachine.TestCase().runTest()
    assert ledger.verify(session) == []
