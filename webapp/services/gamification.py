"""The game layer over credited actions: streaks (consecutive city days), levels and badges."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Action, ActionStatus, CarbonAccount, User, utcnow

from .city import city_zone


def credited_days(session: Session, user: User, since: dt.date | None = None) -> list[dt.date]:
    stmt = select(Action.local_day).where(
        Action.user_id == user.id, Action.status == ActionStatus.CREDITED
    ).distinct().order_by(Action.local_day.desc())
    if since is not None:
        stmt = stmt.where(Action.local_day >= since)
    return list(session.scalars(stmt))


def streak(days_desc: list[dt.date], today: dt.date) -> int:
    """Consecutive days ending today (or yesterday, while today is still open)."""
    if not days_desc or days_desc[0] < today - dt.timedelta(days=1):
        return 0
    count, expected = 0, days_desc[0]
    for day in days_desc:
        if day != expected:
            break
        count += 1
        expected = day - dt.timedelta(days=1)
    return count


def summary(session: Session, user: User, account: CarbonAccount, now: dt.datetime | None = None) -> dict:
    today = (now or utcnow()).astimezone(city_zone(session)).date()
    days = credited_days(session, user, since=today - dt.timedelta(days=400))
    return {"level": None, "streak_days": streak(days, today), "badges": []}
