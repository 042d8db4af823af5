"""Random activity for the statistics tests, and the figures computed directly from the raw rows.

No tests here: the helpers are imported by the tests/test_statistics_*.py modules.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from models import (
    Action,
    ActionStatus,
    ActionType,
    CarbonAccount,
    District,
    EntryKind,
    LedgerEntry,
    Role,
    StatActions,
    StatActive,
    StatLedger,
    StatMask,
    StatReach,
    StatRegistrations,
    StatReturns,
    User,
)
from webapp.errors import DomainError
from webapp.services import accounts, actions, ledger, projector
from webapp.services.actions import ActionInput

ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
TYPES = ["bus", "bike_own", "walk", "car", "taxi", "nev_car", "waste_paper", "waste_kitchen", "buy_own_bag", "buy_led"]
DISTRICTS = ["371402", "371403", "371422"]
ROLLUP_TABLES = [StatActions, StatActive, StatLedger, StatMask, StatReach, StatRegistrations, StatReturns]


def shanghai(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZONE)


def log(session, user, code: str, quantity, occurred_at: dt.datetime, now: dt.datetime):
    data = ActionInput(type=code, quantity=Decimal(str(quantity)), occurred_at=occurred_at)
    return actions.log_action(session, user, data, now=now.astimezone(dt.UTC))


@dataclass
class Activity:
    residents: list[User] = field(default_factory=list)
    admin: User | None = None
    first: dt.date | None = None
    last: dt.date | None = None


def make_activity(
    session,
    make_user,
    seed: int,
    *,
    residents: int = 14,
    actions_count: int = 120,
    start: dt.date = dt.date(2026, 3, 20),
    days: int = 45,
) -> Activity:
    """Residents in three districts who log, get reviewed, redeem and sometimes erase their account;
    folded by the projector at the end."""
    rng = random.Random(seed)
    types = {t.code: t for t in session.scalars(select(ActionType).where(ActionType.code.in_(TYPES)))}
    activity = Activity(admin=make_user(Role.ADMIN), first=start, last=start + dt.timedelta(days=days - 1))
    for n in range(residents):
        user = make_user(Role.RESIDENT, district=DISTRICTS[n % len(DISTRICTS)])
        user.created_at = shanghai(2026, 3, 1) + dt.timedelta(hours=rng.randrange(24 * (days + 15)))
        activity.residents.append(user)
    session.flush()
    for _ in range(actions_count):
        user = rng.choice(activity.residents)
        action_type = types[rng.choice(TYPES)]
        now = shanghai(start.year, start.month, start.day) + dt.timedelta(minutes=rng.randrange(days * 24 * 60))
        occurred = now - dt.timedelta(minutes=rng.randrange(6 * 24 * 60))
        step = Decimal(action_type.step)
        span = int((action_type.max_quantity - action_type.min_quantity) / step)
        quantity = action_type.min_quantity + step * rng.randrange(min(span, 40) + 1)
        try:
            log(session, user, action_type.code, quantity, occurred, now)
        except DomainError:
            continue
    pending = session.scalars(select(Action).where(Action.status == ActionStatus.PENDING)).all()
    for action in pending:
        if rng.random() < 0.5:
            actions.approve(session, activity.admin, action.id)
        else:
            actions.reject(session, activity.admin, action.id, "not plausible")
    for user in rng.sample(activity.residents, 4):
        account = ledger.account_for(session, user)
        if account.balance > 10:
            ledger.debit(session, account, EntryKind.REDEEM, account.balance // 2, ("redemption", user.id))
            if rng.random() < 0.5:
                ledger.credit(session, account, EntryKind.REFUND, account.balance // 3 or 1, ("redemption", user.id))
    ledger.adjust(session, activity.admin, activity.residents[0], 25, "correction by test")
    for user in rng.sample(activity.residents, 2):
        accounts.erase(session, user)
    projector.fold_all(session, limit=7)  # small batches: residents and entries straddle their boundaries
    return activity


def snapshot(session) -> dict[str, list[tuple]]:
    """Every roll-up row, without zero rows (which either side may or may not keep)."""
    found = {}
    for model in ROLLUP_TABLES:
        table = model.__table__
        values = [c.name for c in table.c if not c.primary_key]
        rows = session.execute(select(table)).mappings().all()
        found[table.name] = sorted(tuple(r.values()) for r in rows if any(r[c] for c in values))
    return found


# --- the same figures, straight from the raw rows -------------------------------------------------


@dataclass
class Raw:
    actions: list  # credited actions
    entries: list  # (local day, district id, user id, kind, amount, account id, entry id)
    users: list  # residents: (id, district id, joined day, left day or None)


def raw_rows(session) -> Raw:
    credited = session.execute(
        select(
            Action.user_id,
            Action.district_id,
            ActionType.code,
            ActionType.family,
            ActionType.green_travel,
            Action.local_day,
            Action.co2e_grams,
            Action.credits,
            Action.quantity,
        )
        .join(ActionType, ActionType.id == Action.action_type_id)
        .where(Action.status == ActionStatus.CREDITED)
    ).all()
    entries = [
        (created.astimezone(ZONE).date(), district, user, str(kind), amount, account, entry_id)
        for created, district, user, kind, amount, account, entry_id in session.execute(
            select(
                LedgerEntry.created_at,
                User.district_id,
                User.id,
                LedgerEntry.kind,
                LedgerEntry.amount,
                LedgerEntry.account_id,
                LedgerEntry.id,
            )
            .join(CarbonAccount, CarbonAccount.id == LedgerEntry.account_id)
            .join(User, User.id == CarbonAccount.user_id)
        )
    ]
    users = [
        (uid, district, created.astimezone(ZONE).date(), deleted.astimezone(ZONE).date() if deleted else None)
        for uid, district, created, deleted in session.execute(
            select(User.id, User.district_id, User.created_at, User.deleted_at).where(User.role == Role.RESIDENT)
        )
    ]
    return Raw(list(credited), entries, users)


def direct(raw: Raw, first: dt.date, last: dt.date, district_id: int | None) -> dict:
    """The overview's figures by plain Python over the raw rows."""

    def mine(d):
        return district_id is None or d == district_id

    inside = [a for a in raw.actions if first <= a.local_day <= last and mine(a.district_id)]
    by_type = Counter(a.code for a in inside)
    trips = [a for a in inside if a.family == "travel" and a.green_travel is not None]
    green = sum(1 for a in trips if a.green_travel)
    waste = defaultdict(Decimal)
    for a in inside:
        if a.family == "waste":
            waste[a.code] += a.quantity

    def active(days: int) -> int:
        low = last - dt.timedelta(days=days - 1)
        return len({a.user_id for a in raw.actions if low <= a.local_day <= last and mine(a.district_id)})

    entries = [e for e in raw.entries if mine(e[1])]
    window = [e for e in entries if first <= e[0] <= last]
    return {
        "residents": sum(
            1 for _, d, joined, left in raw.users if mine(d) and joined <= last and (left is None or left > last)
        ),
        "active_residents": active(30),
        "active_residents_7d": active(7),
        "participants": len({a.user_id for a in inside}),
        "actions_total": len(inside),
        "actions": dict(by_type),
        "co2e_grams": sum(a.co2e_grams for a in inside),
        "credits_issued": sum(e[4] for e in window if e[3] in ("earn", "bonus")),
        "credits_redeemed": -sum(e[4] for e in window if e[3] in ("redeem", "refund")),
        "vouchers_issued": sum(1 for e in window if e[3] == "redeem"),
        "credits_outstanding": sum(e[4] for e in entries if e[0] <= last),
        "waste_kg": {code: float(q) for code, q in waste.items()},
        "n_trips": len(trips),
        "green_trips": green,
    }


def district_ids(session) -> dict[str, int]:
    return {d.code: d.id for d in session.scalars(select(District))}
