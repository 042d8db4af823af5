"""Invariants 1 and 4 through the real services, in any order: logging actions, redeeming, cancelling,
fulfilling and adjusting keep balance == sum(entries) >= 0, stock never below zero and equal to what
the vouchers held leave, and each voucher fulfilled at most once, by its own merchant."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select

from models import LedgerEntry, Redemption, RedemptionStatus, Role
from webapp.errors import Conflict, InsufficientCredits, Invalid, NotFound
from webapp.services import actions, ledger, redemptions
from webapp.services.actions import ActionInput

from .carbon import make_type
from .test_merchants_support import make_merchant, make_reward, make_staff

NOW = dt.datetime(2026, 6, 14, 1, 0, tzinfo=dt.UTC)
STOCK = 4
HELD = (RedemptionStatus.ISSUED, RedemptionStatus.FULFILLED)


class ServicesLedger(RuleBasedStateMachine):
    """A resident, a merchant with two rewards, another merchant's staff and an admin, per example."""

    session = None
    make_user = None

    def __init__(self):
        super().__init__()
        s = self.session
        self.resident = self.make_user(Role.RESIDENT)
        self.admin = self.make_user(Role.ADMIN)
        self.staff = make_staff(s, self.make_user, make_merchant(s))
        self.stranger = make_staff(s, self.make_user, make_merchant(s))
        self.rewards = [
            make_reward(s, self.staff, cost=cost, stock=STOCK, limit=3, now=NOW, days=30) for cost in (150, 700)
        ]
        self.action_type = make_type(s, grams="100", cap_self=3_000, cap_evidenced=6_000)
        self.minute = 0
        self.model = 0  # the balance the services should leave
        self.vouchers: dict[int, RedemptionStatus] = {}

    def _now(self) -> dt.datetime:
        self.minute += 1
        return NOW + dt.timedelta(minutes=self.minute)

    @rule(quantity=st.integers(min_value=1, max_value=50))
    def earn(self, quantity):
        now = self._now()
        data = ActionInput(type=self.action_type.code, quantity=Decimal(quantity), occurred_at=now)
        action, _account = actions.log_action(self.session, self.resident, data, now=now)
        self.model += action.credits if action.status == "credited" else 0

    @rule(which=st.integers(min_value=0, max_value=1))
    def redeem(self, which):
        reward = self.rewards[which]
        try:
            redemption, _account = redemptions.redeem(self.session, self.resident, reward.id, now=self._now())
        except InsufficientCredits:
            assert self.model < reward.cost
        except Conflict:
            held = [r for r in self._redemptions(reward.id) if r.status in HELD]
            assert len(held) >= 3 or reward.stock == 0  # the per-resident limit or no stock
        else:
            self.model -= reward.cost
            self.vouchers[redemption.id] = RedemptionStatus.ISSUED

    @precondition(lambda self: self.vouchers)
    @rule(data=st.data())
    def cancel(self, data):
        voucher_id = data.draw(st.sampled_from(sorted(self.vouchers)))
        try:
            redemption = redemptions.cancel(self.session, self.resident, voucher_id, now=self._now())
        except Conflict:
            assert self.vouchers[voucher_id] != RedemptionStatus.ISSUED
        else:
            assert self.vouchers[voucher_id] == RedemptionStatus.ISSUED
            self.vouchers[voucher_id] = RedemptionStatus.CANCELLED
            self.model += redemption.cost

    @precondition(lambda self: self.vouchers)
    @rule(data=st.data(), own_merchant=st.booleans())
    def fulfil(self, data, own_merchant):
        voucher_id = data.draw(st.sampled_from(sorted(self.vouchers)))
        code = self.session.get(Redemption, voucher_id).code
        staff = self.staff if own_merchant else self.stranger
        try:
            redemptions.fulfil(self.session, staff, code, now=self._now())
        except NotFound:
            assert not own_merchant  # another merchant's voucher is not theirs to see
        except Conflict:
            assert self.vouchers[voucher_id] != RedemptionStatus.ISSUED
        else:
            assert own_merchant and self.vouchers[voucher_id] == RedemptionStatus.ISSUED
            self.vouchers[voucher_id] = RedemptionStatus.FULFILLED

    @rule(amount=st.integers(min_value=-2_000, max_value=2_000))
    def adjust(self, amount):
        try:
            ledger.adjust(self.session, self.admin, self.resident, amount, "correction by the machine")
        except (Invalid, InsufficientCredits):
            assert amount == 0 or self.model + amount < 0
        else:
            self.model += amount

    def _redemptions(self, reward_id: int) -> list[Redemption]:
        return list(
            self.session.scalars(
                select(Redemption).where(Redemption.reward_id == reward_id, Redemption.user_id == self.resident.id)
            )
        )

    @invariant()
    def balance_is_the_sum_of_entries_and_never_negative(self):
        account = ledger.account_for(self.session, self.resident)
        self.session.refresh(account)
        total = self.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.account_id == account.id)
        )
        assert account.balance == total == self.model
        assert account.balance >= 0

    @invariant()
    def stock_is_what_held_vouchers_leave(self):
        for reward in self.rewards:
            self.session.refresh(reward)
            held = sum(1 for r in self._redemptions(reward.id) if r.status in HELD)
            assert reward.stock == STOCK - held >= 0

    @invariant()
    def vouchers_are_in_the_state_the_model_says(self):
        for voucher_id, status in self.vouchers.items():
            assert self.session.get(Redemption, voucher_id).status == status


def test_ledger_through_the_services(session, make_user):
    ServicesLedger.session = session
    ServicesLedger.make_user = staticmethod(make_user)
    ServicesLedger.TestCase.settings = settings(
        max_examples=10,
        stateful_step_count=20,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    ServicesLedger.TestCase().runTest()
    assert ledger.verify(session) == []
