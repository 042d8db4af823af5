"""The raw rows the sweep reads, staged once in temporary tables: ledger entries with their city day
and owner's district, and the distinct (subject, district, resident, day) facts of actions and entries.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    exists,
    func,
    select,
)
from sqlalchemy.orm import Session, aliased

from models import Action, ActionType, CarbonAccount, Family, LedgerEntry, User
from models.statistics import NO_DISTRICT

from . import subjects
from .periods import period_start
from .rollups import city_zone
from .sql import const, local_date

_scratch = MetaData()
FACTS = Table(
    "stat_tmp_facts",
    _scratch,
    Column("subject", String(24)),
    Column("district_key", Integer),
    Column("user_id", Integer),
    Column("day", Date),
    prefixes=["TEMPORARY"],
)
ENTRIES = Table(
    "stat_tmp_entries",
    _scratch,
    Column("day", Date),
    Column("district_key", Integer),
    Column("user_id", Integer),
    Column("entry_kind", String(10)),
    Column("amount", BigInteger),
    Column("first", Integer),
    prefixes=["TEMPORARY"],
)
NEXT = Table(
    "stat_tmp_next",
    _scratch,
    Column("district_key", Integer),
    Column("day", Date),
    Column("next_day", Date),
    Column("prev_day", Date),
    prefixes=["TEMPORARY"],
)


def stage_entries(session: Session, first: dt.date, dialect: str) -> None:
    """Ledger entries from the first day of `first`'s month: city day, owner's district, first-ever flag."""
    zone = city_zone(session)
    low = min(first.replace(day=1), period_start("w", first))
    since = dt.datetime.combine(low, dt.time(), zone).astimezone(dt.UTC)
    earlier = aliased(LedgerEntry)
    is_first = case(
        (exists().where(earlier.account_id == LedgerEntry.account_id, earlier.id < LedgerEntry.id), const(0, Integer)),
        else_=const(1, Integer),
    )
    dk = func.coalesce(User.district_id, const(NO_DISTRICT, Integer))

    def source(day):
        return (
            select(day, dk, User.id, LedgerEntry.kind, LedgerEntry.amount, is_first)
            .select_from(LedgerEntry)
            .join(CarbonAccount, CarbonAccount.id == LedgerEntry.account_id)
            .join(User, User.id == CarbonAccount.user_id)
            .where(LedgerEntry.created_at >= since)
        )

    columns = ["day", "district_key", "user_id", "entry_kind", "amount", "first"]
    if dialect == "postgresql":
        session.execute(ENTRIES.insert().from_select(columns, source(local_date(LedgerEntry.created_at, zone.key))))
        return
    batch = []
    for created_at, *rest in session.execute(source(LedgerEntry.created_at)).yield_per(5000):
        batch.append(dict(zip(columns, [created_at.astimezone(zone).date(), *rest], strict=True)))
        if len(batch) >= 5000:
            session.execute(ENTRIES.insert(), batch)
            batch = []
    if batch:
        session.execute(ENTRIES.insert(), batch)


def stage_facts(session: Session, low_all: dt.date, low: dt.date) -> None:
    """Distinct (subject, district, resident, day) from credited actions and ledger entries: from `low`,
    and from `low_all` for "*" (whose rolling windows reach back a year)."""
    dk = func.coalesce(Action.district_id, const(NO_DISTRICT, Integer))
    travel = and_(ActionType.family == Family.TRAVEL.value, ActionType.green_travel.is_not(None))
    by_subject = [  # (subject, which actions, since)
        (const(subjects.ALL, String), None, low_all),
        (const("t:", String) + cast(Action.action_type_id, String), None, low),
        (const("f:", String) + cast(ActionType.family, String), None, low),
        (
            case(
                (ActionType.green_travel.is_(True), const(subjects.GREEN_TRIPS, String)),
                else_=const(subjects.OTHER_TRIPS, String),
            ),
            travel,
            low,
        ),
    ]
    columns = ["subject", "district_key", "user_id", "day"]
    for subject, extra, since in by_subject:
        query = (
            select(subject, dk, Action.user_id, Action.local_day)
            .distinct()
            .join(ActionType, ActionType.id == Action.action_type_id)
            .where(Action.status == "credited", Action.local_day >= since)
        )
        if extra is not None:
            query = query.where(extra)
        session.execute(FACTS.insert().from_select(columns, query))
    ledger_subject = case(
        (ENTRIES.c.entry_kind.in_(subjects.ISSUE_KINDS), const(subjects.ISSUED, String)),
        else_=const(subjects.REDEEMED, String),
    )
    query = (
        select(ledger_subject, ENTRIES.c.district_key, ENTRIES.c.user_id, ENTRIES.c.day)
        .distinct()
        .where(ENTRIES.c.day >= low, ENTRIES.c.entry_kind.in_(subjects.ISSUE_KINDS + subjects.REDEEM_KINDS))
    )
    session.execute(FACTS.insert().from_select(columns, query))
