"""Streaks: consecutive city days (the city's time zone) with at least one credited action."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Action, ActionStatus, User

ONE_DAY = dt.timedelta(days=1)


def credited_days(session: Session, user: User, since: dt.date | None = None) -> list[dt.date]:
    """The distinct city days with a credited action, newest first."""
    stmt = (
        select(Action.local_day)
        .where(Action.user_id == user.id, Action.status == ActionStatus.CREDITED)
        .distinct()
        .order_by(Action.local_day.desc())
    )
    if since is not None:
        stmt = stmt.where(Action.local_day >= since)
    return list(session.scalars(stmt))


def streak(days_desc: list[dt.date], today: dt.date) -> int:
    """Consecutive days ending today (or yesterday, while today is still open)."""
    if not days_desc or days_desc[0] < today - ONE_DAY:
        return 0
    count, expected = 0, days_desc[0]
    for day in days_desc:
        if day != expected:
            break
        count += 1
        expected = day - ONE_DAY
    return count


def best_streak(days_desc: list[dt.date]) -> int:
    """The longest run of consecutive days ever."""
    best = run = 0
    previous: dt.date | None = None
    for day in days_desc:
        run = run + 1 if previous is not None and previous - day == ONE_DAY else 1
        best = max(best, run)
        previous = day
    return best
