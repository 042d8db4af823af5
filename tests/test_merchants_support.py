"""Helpers for the merchant tests (no tests here): merchants, staff, rewards, funded residents and
an action type of our own, each made through the services or committed like real data."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlalchemy.orm import Session

from models import (
    ActionType,
    CarbonAccount,
    EmissionFactor,
    EntryKind,
    Family,
    Merchant,
    MerchantCategory,
    MerchantStatus,
    Reward,
    Role,
    User,
    utcnow,
)
from webapp.services import accounts, ledger, merchants, rewards

_n = itertools.count(1)
EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
HOME = "371402"  # Decheng, where make_user puts residents
OTHER = "371481"


def make_merchant(
    session: Session,
    *,
    district: str | None = HOME,
    status: MerchantStatus = MerchantStatus.APPROVED,
    cap: int | None = None,
    name: str | None = None,
) -> Merchant:
    n = next(_n)
    merchant = Merchant(
        name=name or f"测试商户 {n}",
        district_id=_district_id(session, district) if district else None,
        address=f"德州市测试路 {n} 号",
        category=MerchantCategory.SUPERMARKET,
        contact_name="张三",
        contact_phone="0534-1234567",
        status=status,
    )
    if cap is not None:
        merchant.daily_issuance_cap = cap
    session.add(merchant)
    session.commit()
    return merchant


def _district_id(session: Session, code: str) -> int:
    return accounts.district_by_code(session, code).id


def make_staff(session: Session, make_user, merchant: Merchant) -> User:
    user = make_user(Role.MERCHANT)
    merchants.attach_staff(session, None, user, merchant)
    session.commit()
    return user


def make_reward(
    session: Session,
    staff: User,
    *,
    cost: int = 100,
    stock: int = 10,
    limit: int = 1,
    now: dt.datetime | None = None,
    days: int = 10,
    title: str | None = None,
) -> Reward:
    now = now or utcnow()
    reward = rewards.create(
        session,
        staff,
        rewards.RewardInput(
            title=title or f"环保袋 {next(_n)}",
            cost=cost,
            stock=stock,
            per_resident_limit=limit,
            valid_from=now - dt.timedelta(days=1),
            valid_until=now + dt.timedelta(days=days),
        ),
        now=now,
    )
    session.commit()
    return reward


def fund(session: Session, user: User, amount: int) -> CarbonAccount:
    account = ledger.account_for(session, user)
    ledger.credit(session, account, EntryKind.EARN, amount, ("grant", next(_n)))
    session.commit()
    return account


def balance(session: Session, user: User) -> int:
    session.expire_all()
    return ledger.account_for(session, user).balance


def make_purchase_type(
    session: Session,
    *,
    grams: str = "1000",
    cap_evidenced: int = 100_000,
    max_q: str = "10",
    family: Family = Family.PURCHASE,
) -> ActionType:
    n = next(_n)
    factor = EmissionFactor(
        code=f"TEST_BUY_{n}",
        version=1,
        grams_per_unit=Decimal(grams),
        unit="item",
        baseline_zh="基准",
        baseline_en="baseline",
        formula="q × g",
        source="test",
        year=2026,
        confidence="V",
        valid_from=EPOCH,
    )
    action_type = ActionType(
        code=f"test_buy_{n}",
        family=family,
        name_zh=f"测试购买{n}",
        name_en=f"Test purchase {n}",
        unit="item",
        unit_zh="件",
        unit_en="item",
        factor_code=factor.code,
        min_quantity=Decimal(1),
        max_quantity=Decimal(max_q),
        step=Decimal(1),
        daily_cap_self=0,
        daily_cap_evidenced=cap_evidenced,
        needs_evidence=True,
        green_travel=True if family == Family.TRAVEL else None,
        sort=900 + n,
    )
    session.add_all([factor, action_type])
    session.commit()
    return action_type
