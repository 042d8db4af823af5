"""Issuance budgets: one per city month, never in the past; issuance is the month's earn and bonus
entries; the forecast is the linear pace per elapsed city day with an interval from the day-to-day
variance (docs/budget.md); each alert (80%, 100%, forecast over) is posted once per admin and month.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics as stats
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import BudgetPolicy, CreditBudget, EntryKind, Notice, NoticeKind, Role, StatLedger, User

from ..errors import Invalid
from ..messages import N_
from .accounts import audit
from .city import city_zone
from .settlement import current_month, month

ISSUED_KINDS = (EntryKind.EARN, EntryKind.BONUS)
Z95 = 1.96
LEVELS = ("80", "100", "forecast")


def set_budget(
    session: Session, actor: User, raw_month: str, credits: int, policy: BudgetPolicy, now: dt.datetime
) -> CreditBudget:
    """Create the month's budget: not a past month, positive, and no second budget for the same month."""
    key = month(session, raw_month).label
    if key < current_month(session, now):
        raise Invalid.field("month", N_("A budget cannot start in a past month."))
    if credits <= 0:
        raise Invalid.field("credits", N_("The budget must be a positive number of credits."))
    taken = N_("This month already has a budget.")
    if session.scalar(select(CreditBudget.id).where(CreditBudget.month == key)) is not None:
        raise Invalid.field("month", taken)
    budget = CreditBudget(month=key, credits=credits, policy=policy, actor_id=actor.id)
    try:
        with session.begin_nested():  # a concurrent admin may have set it since the check
            session.add(budget)
    except IntegrityError:
        raise Invalid.field("month", taken) from None
    audit(session, actor, "budget.set", budget, after={"month": key, "credits": credits, "policy": str(policy)})
    return budget


def budgets(session: Session) -> list[CreditBudget]:
    return list(session.scalars(select(CreditBudget).order_by(CreditBudget.month.desc())))


def budget_for(session: Session, now: dt.datetime) -> CreditBudget | None:
    key = current_month(session, now)
    return session.scalar(select(CreditBudget).where(CreditBudget.month == key))


@dataclass(frozen=True)
class Status:
    month: str
    budget: int
    policy: BudgetPolicy
    issued: int
    share: float  # issued / budget
    days_elapsed: float
    days_in_month: int
    forecast: int
    forecast_low: int
    forecast_high: int
    over_forecast: bool
    reached: tuple[str, ...]  # the alert levels reached: "80", "100", "forecast"
    damped_at: dt.datetime | None = None


def daily_issuance(session: Session, first: dt.date, last: dt.date) -> dict[dt.date, int]:
    """Credits issued (earn and bonus entries) per city day from `first` to `last`, read from the daily
    ledger roll-up: a few hundred rows a month however many entries (it trails the ledger by the
    projector's lag, seconds)."""
    t = StatLedger
    rows = session.execute(
        select(t.start, func.sum(t.amount))
        .where(
            t.kind == "d",
            t.entry_kind.in_([str(kind) for kind in ISSUED_KINDS]),
            t.start >= first,
            t.start <= last,
        )
        .group_by(t.start)
    )
    return {day: int(amount or 0) for day, amount in rows}


def forecast(issued: int, daily: list[int], elapsed: float, total: int) -> tuple[int, int, int]:
    """Month-end issuance at the pace so far, with a 95% interval (see docs/budget.md)."""
    remaining = max(0.0, total - elapsed)
    if elapsed <= 0:
        return issued, issued, issued
    point = issued + issued / elapsed * remaining
    spread = stats.stdev(daily) if len(daily) >= 2 else 0.0
    # Remaining days vary day to day (remaining * s^2) and the pace itself is estimated (remaining^2 s^2 / n).
    n = max(len(daily), 1)
    half = Z95 * spread * math.sqrt(remaining + remaining * remaining / n)
    return round(point), max(issued, round(point - half)), round(point + half)


def status(session: Session, now: dt.datetime) -> Status | None:
    """The current month's budget against issuance so far and the forecast, or None without a budget."""
    budget = budget_for(session, now)
    if budget is None:
        return None
    zone = city_zone(session)
    window = month(session, budget.month)
    start, end = window.starts_at, window.ends_at
    days = daily_issuance(
        session, start.astimezone(zone).date(), (min(now, end) - dt.timedelta(microseconds=1)).astimezone(zone).date()
    )
    issued = sum(days.values())
    total = (end.astimezone(zone).date() - start.astimezone(zone).date()).days
    elapsed = min(total, (min(now, end) - start).total_seconds() / 86400)
    today = now.astimezone(zone).date()
    first = start.astimezone(zone).date()
    complete = [days.get(first + dt.timedelta(d), 0) for d in range(int(elapsed)) if first + dt.timedelta(d) < today]
    point, low, high = forecast(issued, complete, elapsed, total)
    share = issued / budget.credits
    over = point > budget.credits
    reached = tuple(level for level, hit in zip(LEVELS, (share >= 0.8, share >= 1.0, over), strict=True) if hit)
    return Status(
        budget.month,
        budget.credits,
        budget.policy,
        issued,
        share,
        elapsed,
        total,
        point,
        low,
        high,
        over,
        reached,
        budget.damped_at,
    )


def _damp(session: Session, current: Status, now: dt.datetime) -> None:
    """A `damp` budget whose forecast exceeds it is damped once (guarded UPDATE), audited."""
    if current.policy != BudgetPolicy.DAMP or not current.over_forecast:
        return
    moved = session.execute(
        update(CreditBudget)
        .where(CreditBudget.month == current.month, CreditBudget.damped_at.is_(None))
        .values(damped_at=now)
    ).rowcount
    if moved:
        budget = session.scalar(select(CreditBudget).where(CreditBudget.month == current.month))
        audit(session, None, "budget.damp", budget, forecast=current.forecast, budget=current.budget)


def damped(session: Session, moment: dt.datetime) -> bool:
    """Whether campaign multipliers are at x1 for an action at `moment` (its month's budget is damped)."""
    key = current_month(session, moment)
    return (
        session.scalar(
            select(CreditBudget.id).where(
                CreditBudget.month == key, CreditBudget.damped_at.is_not(None), CreditBudget.damped_at <= moment
            )
        )
        is not None
    )


def damped_since(session: Session, now: dt.datetime) -> dt.datetime | None:
    """When this month's campaigns went to x1, or None (what the campaign page tells residents)."""
    budget = budget_for(session, now)
    return budget.damped_at if budget is not None and budget.damped_at and budget.damped_at <= now else None


def alert_due(session: Session, now: dt.datetime) -> int:
    """Post each reached alert level once per admin and month; the unique (user, kind, ref) decides.
    Also damps a `damp` budget whose forecast exceeds it."""
    current = status(session, now)
    if current is None or not current.reached:
        return 0
    _damp(session, current, now)
    admins = list(session.scalars(select(User.id).where(User.role == Role.ADMIN, User.deleted_at.is_(None))))
    written = 0
    for level in current.reached:
        ref = f"{current.month}:{level}"
        have = set(
            session.scalars(select(Notice.user_id).where(Notice.kind == NoticeKind.BUDGET_ALERT, Notice.ref == ref))
        )
        data = {
            "level": level,
            "month": current.month,
            "issued": current.issued,
            "budget": current.budget,
            "forecast": current.forecast,
        }
        for user_id in admins:
            if user_id in have:
                continue
            try:
                with session.begin_nested():
                    session.add(Notice(kind=NoticeKind.BUDGET_ALERT, user_id=user_id, ref=ref, data=data))
                written += 1
            except IntegrityError:  # a concurrent run wrote it first
                pass
    return written
