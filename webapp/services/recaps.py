"""The weekly recap: last city week's actions, CO2e, rank change and the next badge, once per resident.

`weekly_recaps(session, now)` is the scheduler's sweep: it writes the recaps still missing for the
week that ended before `now` (Monday start, the city's time zone), at most `batch` per run, so
running it again (or in two schedulers) changes nothing. The text is rendered in the reader's
language from the stored data when shown.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from models import Action, ActionStatus, ActionType, Board, BoardScore, User, WeeklyRecap, utcnow

from . import badges, leaderboards
from .boards import week_key
from .city import city_zone
from .statistics.sql import dialect_insert

WEEK = dt.timedelta(days=7)


def last_week_start(session: Session, now: dt.datetime) -> dt.date:
    today = now.astimezone(city_zone(session)).date()
    return today - dt.timedelta(days=today.weekday()) - WEEK


def recap_data(session: Session, user: User, week_start: dt.date, now: dt.datetime) -> dict:
    """What the resident did in the week starting `week_start`, as plain JSON data."""
    per_type = session.execute(
        select(ActionType.code, func.count(), func.coalesce(func.sum(Action.co2e_grams), 0))
        .select_from(Action)
        .join(ActionType, ActionType.id == Action.action_type_id)
        .where(
            Action.user_id == user.id,
            Action.status == ActionStatus.CREDITED,
            Action.local_day >= week_start,
            Action.local_day < week_start + WEEK,
        )
        .group_by(ActionType.code)
        .order_by(ActionType.code)
    ).all()
    rank, value, listed = leaderboards.rank_of(session, Board.RESIDENT, week_key(week_start), user.id)
    before, _value, _listed = leaderboards.rank_of(session, Board.RESIDENT, week_key(week_start - WEEK), user.id)
    facts = badges.facts_for(session, user, now.astimezone(city_zone(session)).date())
    upcoming = badges.next_badge(facts, badges.held(session, user))
    return {
        "week_start": week_start.isoformat(),
        "actions": [{"type": code, "count": n, "co2e_grams": int(g)} for code, n, g in per_type],
        "co2e_grams": value,
        "rank": rank,
        "previous_rank": before,
        "rank_change": (before - rank) if rank and before else None,  # positive: moved up
        "listed": listed,
        "streak_days": facts.streak,
        "next_badge": {"code": upcoming[0].code, "progress": round(upcoming[1], 4)} if upcoming else None,
    }


def weekly_recaps(session: Session, now: dt.datetime | None = None, batch: int = 2000) -> int:
    """Write the missing recaps of last week for residents who had a credited action in it."""
    now = now or utcnow()
    week_start = last_week_start(session, now)
    users = session.scalars(
        select(User)
        .join(BoardScore, BoardScore.subject_id == User.id)
        .where(
            BoardScore.board == Board.RESIDENT.value,
            BoardScore.period == week_key(week_start),
            User.deleted_at.is_(None),
            ~exists().where(WeeklyRecap.user_id == User.id, WeeklyRecap.week_start == week_start),
        )
        .order_by(User.id)
        .limit(batch)
    ).all()
    written = 0
    for user in users:
        stmt = dialect_insert(session)(WeeklyRecap).values(
            user_id=user.id, week_start=week_start, data=recap_data(session, user, week_start, now), created_at=now
        )
        stmt = stmt.on_conflict_do_nothing(index_elements=[WeeklyRecap.user_id, WeeklyRecap.week_start])
        written += session.execute(stmt.returning(WeeklyRecap.id)).scalar() is not None
    return written


def recaps_of(session: Session, user: User, limit: int = 12) -> list[WeeklyRecap]:
    return list(
        session.scalars(
            select(WeeklyRecap)
            .where(WeeklyRecap.user_id == user.id)
            .order_by(WeeklyRecap.week_start.desc())
            .limit(limit)
        )
    )


def export_for(session: Session, user: User) -> list[dict]:
    return [
        {"week_start": r.week_start.isoformat(), "data": r.data, "created_at": r.created_at.isoformat()}
        for r in recaps_of(session, user, limit=10_000)
    ]
