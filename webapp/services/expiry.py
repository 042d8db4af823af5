"""Credit expiry: credits earned in month M expire at the start of month M + N + 1 (city time), FIFO.

Spending takes the oldest credits first, so what is left of an account is held by its newest
earnings: the part of the earnings up to month M still unspent is max(0, balance - earned after M).
One `expire` entry per (account, month), cause ("expiry", YYYYMM): the ledger's unique cause makes a
re-run, or a second scheduler, unable to post it twice. A notice warns the resident 30 days before,
once per (resident, month). Off unless the city profile sets `credit_expiry.months`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import deque
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import CarbonAccount, EntryKind, LedgerEntry, Notice, NoticeKind

from ..errors import Conflict
from . import ledger
from .city import city_zone, current_city

WARN_BEFORE = dt.timedelta(days=30)
CAUSE = "expiry"


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def month_start(year: int, month: int, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """Midnight of the first of the month in the city, in UTC."""
    return dt.datetime(year, month, 1, tzinfo=zone).astimezone(dt.UTC)


def expires_at(period: tuple[int, int], months: int, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """When the credits earned in `period` expire: the start of month period + months + 1."""
    return month_start(*_shift(*period, months + 1), zone)


def period_of(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> tuple[int, int]:
    local = moment.astimezone(zone)
    return local.year, local.month


def _earned_since(since: dt.datetime):
    """Per account: credits booked (positive entries) at or after `since`."""
    return (
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .where(LedgerEntry.account_id == CarbonAccount.id, LedgerEntry.amount > 0, LedgerEntry.created_at >= since)
        .scalar_subquery()
    )


def _holding_older(since: dt.datetime):
    """Accounts still holding credits earned before `since` (FIFO: balance exceeds what came after)."""
    return select(CarbonAccount).where(CarbonAccount.balance > _earned_since(since)).order_by(CarbonAccount.id)


def _earned_after(session: Session, account: CarbonAccount, since: dt.datetime) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.account_id == account.id, LedgerEntry.amount > 0, LedgerEntry.created_at >= since
            )
        )
    )


def _first_earning(session: Session, account: CarbonAccount) -> dt.datetime | None:
    return session.scalar(
        select(func.min(LedgerEntry.created_at)).where(LedgerEntry.account_id == account.id, LedgerEntry.amount > 0)
    )


def expire_due(session: Session, now: dt.datetime) -> int:
    """Post the expiry of every month now due, oldest first, under the account's lock; returns entries."""
    months = current_city(session).credit_expiry_months
    if months is None:
        return 0
    zone = city_zone(session)
    last = _shift(*period_of(now, zone), -(months + 1))  # the newest month whose credits are due
    cutoff = month_start(*_shift(*last, 1), zone)
    posted = 0
    for account in session.scalars(_holding_older(cutoff)).all():
        ledger.lock_account(session, account)  # serialises with redemptions of the same account
        first = _first_earning(session, account)
        if first is None:
            continue
        period = period_of(first, zone)
        while period <= last:
            amount = account.balance - _earned_after(session, account, month_start(*_shift(*period, 1), zone))
            if amount > 0:
                cause = (CAUSE, period[0] * 100 + period[1])
                try:
                    ledger.debit(session, account, EntryKind.EXPIRE, amount, cause)
                    posted += 1
                except Conflict:  # already posted by another run; its balance was read under the lock
                    pass
            period = _shift(*period, 1)
    return posted


def _warn_period(now: dt.datetime, months: int, zone: zoneinfo.ZoneInfo) -> tuple[int, int] | None:
    """The month whose expiry falls within the next 30 days, if any (at most one: months are longer)."""
    candidate = _shift(*period_of(now + WARN_BEFORE, zone), -(months + 1))
    when = expires_at(candidate, months, zone)
    return candidate if now < when <= now + WARN_BEFORE else None


def _ref(period: tuple[int, int]) -> str:
    return f"{period[0]:04d}-{period[1]:02d}"


def warn_due(session: Session, now: dt.datetime) -> int:
    """Write the 30-day notice of a coming expiry, once per resident and month (the unique ref decides)."""
    months = current_city(session).credit_expiry_months
    if months is None:
        return 0
    zone = city_zone(session)
    period = _warn_period(now, months, zone)
    if period is None:
        return 0
    ref, when = _ref(period), expires_at(period, months, zone)
    already = exists().where(
        and_(Notice.user_id == CarbonAccount.user_id, Notice.kind == NoticeKind.CREDITS_EXPIRING, Notice.ref == ref)
    )
    after = month_start(*_shift(*period, 1), zone)
    rows = session.execute(
        select(CarbonAccount.user_id, CarbonAccount.balance - _earned_since(after)).where(
            CarbonAccount.balance > _earned_since(after), ~already
        )
    ).all()
    written = 0
    for user_id, credits in rows:
        data = {"credits": int(credits), "expires_on": when.astimezone(zone).date().isoformat()}
        try:
            with session.begin_nested():
                session.add(Notice(kind=NoticeKind.CREDITS_EXPIRING, user_id=user_id, ref=ref, data=data))
            written += 1
        except IntegrityError:  # a concurrent run wrote it first
            pass
    return written


@dataclass(frozen=True)
class Expiring:
    credits: int
    on: dt.date


def expiring_soon(session: Session, account: CarbonAccount, now: dt.datetime) -> Expiring | None:
    """The credits of this account that expire within 30 days if not spent first, and when."""
    months = current_city(session).credit_expiry_months
    if months is None:
        return None
    zone = city_zone(session)
    period = _warn_period(now, months, zone)
    if period is None:
        return None
    credits = account.balance - _earned_after(session, account, month_start(*_shift(*period, 1), zone))
    if credits <= 0:
        return None
    return Expiring(credits, expires_at(period, months, zone).astimezone(zone).date())


def verify(session: Session) -> list[str]:
    """Every expire entry equals what FIFO left unspent of the earnings up to its month, replayed."""
    zone = city_zone(session)
    with_expiry = select(LedgerEntry.account_id).where(LedgerEntry.kind == EntryKind.EXPIRE).distinct()
    problems = []
    for account_id in session.scalars(with_expiry).all():
        lots: deque[list] = deque()  # [period, unspent], oldest first
        entries = session.scalars(
            select(LedgerEntry).where(LedgerEntry.account_id == account_id).order_by(LedgerEntry.id)
        )
        for entry in entries:
            if entry.amount > 0:
                lots.append([period_of(entry.created_at, zone), entry.amount])
                continue
            if entry.kind == EntryKind.EXPIRE:
                period = divmod(entry.cause_id, 100)
                expected = sum(unspent for lot_period, unspent in lots if lot_period <= period)
                if entry.cause_type != CAUSE or -entry.amount != expected:
                    problems.append(
                        f"account {account_id}: expire entry {entry.id} of {-entry.amount}, FIFO leaves {expected}"
                    )
            _consume(lots, -entry.amount)
    return problems


def _consume(lots: deque[list], amount: int) -> None:
    while amount > 0 and lots:
        take = min(amount, lots[0][1])
        lots[0][1] -= take
        amount -= take
        if lots[0][1] == 0:
            lots.popleft()
