"""A resident's running game state (GameProfile): streaks, first day and credited counts.

Kept in O(1) per credited action by the credit hook, under the resident's account lock; recomputed
from the actions only when it is first created (residents with history) or when a day arrives out of
order (a back-dated action, a late approval), so neither the hook nor GET /account scans actions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import and_, event, func, select
from sqlalchemy.orm import Session

from models import (
    Action,
    ActionStatus,
    ActionType,
    Board,
    BoardScore,
    FamilyMember,
    GameProfile,
    GreenFamily,
    User,
    utcnow,
)

from ..db import among
from . import projector
from .boards import ALL
from .statistics.sql import dialect_insert
from .streaks import ONE_DAY, best_streak, streak


@dataclass(frozen=True)
class Facts:
    """What the badge rules may read about one resident, as plain data."""

    today: dt.date
    type_counts: Mapping[str, int] = field(default_factory=dict)
    family_counts: Mapping[str, int] = field(default_factory=dict)
    streak: int = 0
    best_streak: int = 0
    first_day: dt.date | None = None
    family_grams: int = 0
    family_size: int = 0

    def kinds(self, prefix: str) -> int:
        return sum(1 for code, n in self.type_counts.items() if code.startswith(prefix) and n)


def tally(session: Session, user: User) -> tuple[list[dt.date], dict[str, int], dict[str, int]]:
    """Credited days (newest first) and counts by type and family, in one pass over the folded actions
    (an action still in the outbox is counted when the projector folds it)."""
    rows = session.execute(
        select(Action.local_day, ActionType.code, ActionType.family, func.count())
        .select_from(Action)
        .join(ActionType, ActionType.id == Action.action_type_id)
        .where(Action.user_id == user.id, Action.status == ActionStatus.CREDITED, projector.folded(session, Action.id))
        .group_by(Action.local_day, ActionType.code, ActionType.family)
    ).all()
    types: dict[str, int] = {}
    families: dict[str, int] = {}
    for _day, code, family, n in rows:
        types[code] = types.get(code, 0) + n
        families[str(family)] = families.get(str(family), 0) + n
    return sorted({r[0] for r in rows}, reverse=True), types, families


def tallies(session: Session, user_ids: list[int]) -> dict[int, tuple[list[dt.date], dict[str, int], dict[str, int]]]:
    """`tally` for many residents in one statement."""
    out: dict[int, tuple[list[dt.date], dict[str, int], dict[str, int]]] = {u: ([], {}, {}) for u in user_ids}
    if not user_ids:
        return out
    rows = session.execute(
        select(Action.user_id, Action.local_day, ActionType.code, ActionType.family, func.count())
        .select_from(Action)
        .join(ActionType, ActionType.id == Action.action_type_id)
        .where(
            among(session, Action.user_id, user_ids),
            Action.status == ActionStatus.CREDITED,
            projector.folded(session, Action.id),
        )
        .group_by(Action.user_id, Action.local_day, ActionType.code, ActionType.family)
    ).all()
    days: dict[int, set[dt.date]] = {u: set() for u in user_ids}
    for user_id, day, code, family, n in rows:
        _days, types, families = out[user_id]
        days[user_id].add(day)
        types[code] = types.get(code, 0) + n
        families[str(family)] = families.get(str(family), 0) + n
    return {u: (sorted(days[u], reverse=True), t, f) for u, (_d, t, f) in out.items()}


def recompute(session: Session, profile: GameProfile, user: User) -> None:
    days, types, families = tally(session, user)
    profile.first_day = days[-1] if days else None
    profile.last_day = days[0] if days else None
    profile.streak = streak(days, days[0]) if days else 0
    profile.best_streak = best_streak(days)
    profile.counts = {"types": types, "families": families}


def profile_of(session: Session, user: User, *, create: bool = True) -> GameProfile:
    """The resident's profile; created (and filled from past actions) on first use. With create=False a
    missing profile is computed without being stored (read paths never write)."""
    profile = session.get(GameProfile, user.id)
    if profile is not None:
        return profile
    if not create:
        transient = GameProfile(user_id=user.id, hidden_from_boards=False, streak=0, best_streak=0)
        recompute(session, transient, user)
        return transient
    created = session.execute(
        dialect_insert(session)(GameProfile)
        .values(user_id=user.id, hidden_from_boards=False, streak=0, best_streak=0, counts={}, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=[GameProfile.user_id])
        .returning(GameProfile.user_id)
    ).scalar()
    profile = session.get(GameProfile, user.id)
    if created is not None:
        recompute(session, profile, user)
        session.flush()
    return profile


LOCKED = "game_profiles_locked"  # session.info: profiles this transaction holds locked, by user id


@event.listens_for(Session, "after_transaction_end")
def _forget_locks(session: Session, transaction) -> None:
    if transaction.parent is None or transaction.nested:  # a savepoint that rolls back may undo a creation
        session.info.pop(LOCKED, None)


def locked_profile(session: Session, user: User) -> tuple[GameProfile, bool]:
    """The resident's profile, row-locked (the projector's fold and the resident's settings take turns);
    True when it was created and filled just now. Locked once per transaction (held in session.info)."""
    held = session.info.setdefault(LOCKED, {})
    if user.id in held:
        return held[user.id], False
    profile = session.get(GameProfile, user.id, with_for_update=True, populate_existing=True)
    if profile is not None:
        held[user.id] = profile
        return profile, False
    created = session.execute(
        dialect_insert(session)(GameProfile)
        .values(user_id=user.id, hidden_from_boards=False, streak=0, best_streak=0, counts={}, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=[GameProfile.user_id])
        .returning(GameProfile.user_id)
    ).scalar()
    profile = session.get(GameProfile, user.id, with_for_update=True, populate_existing=True)
    if created is not None:
        recompute(session, profile, user)
        session.flush()
    held[user.id] = profile
    return profile, created is not None


def note_credit(session: Session, profile: GameProfile, user: User, action: Action) -> None:
    """Count one newly credited action into the profile (the action is already flushed)."""
    day = action.local_day
    if profile.last_day is not None and day < profile.last_day:
        recompute(session, profile, user)  # out of order: the day may fill a gap in the past
    else:
        if profile.last_day is None or day > profile.last_day + ONE_DAY:
            profile.streak = 1
        elif day == profile.last_day + ONE_DAY:
            profile.streak += 1
        profile.last_day = day
        profile.first_day = profile.first_day or day
        profile.best_streak = max(profile.best_streak, profile.streak)
        counts = profile.counts or {}
        types, families = dict(counts.get("types", {})), dict(counts.get("families", {}))
        code, family = action.action_type.code, str(action.action_type.family)
        types[code] = types.get(code, 0) + 1
        families[family] = families.get(family, 0) + 1
        profile.counts = {"types": types, "families": families}  # a new dict: JSON changes are seen
    profile.updated_at = utcnow()
    session.flush()


def current_streak(profile: GameProfile, today: dt.date) -> int:
    """The streak still alive today: it ended today or yesterday (today is still open)."""
    if profile.last_day is None or profile.last_day < today - ONE_DAY:
        return 0
    return profile.streak


def facts(
    session: Session, user: User, profile: GameProfile, today: dt.date, family: tuple[int, int] | None = None
) -> Facts:
    """The rules' facts; `family` (members, all-time grams) when the caller knows it already."""
    if family is None:
        row = session.execute(
            select(GreenFamily.member_count, BoardScore.value)
            .join(FamilyMember, FamilyMember.family_id == GreenFamily.id)
            .outerjoin(
                BoardScore,
                and_(
                    BoardScore.board == Board.TEAM.value,
                    BoardScore.period == ALL,
                    BoardScore.subject_id == GreenFamily.id,
                ),
            )
            .where(FamilyMember.user_id == user.id)
        ).one_or_none()
        family = (row.member_count, int(row.value or 0)) if row else (0, 0)
    counts = profile.counts or {}
    return Facts(
        today=today,
        type_counts=counts.get("types", {}),
        family_counts=counts.get("families", {}),
        streak=current_streak(profile, today),
        best_streak=profile.best_streak,
        first_day=profile.first_day,
        family_size=family[0],
        family_grams=family[1],
    )


def verify_profiles(session: Session) -> list[str]:
    """Profiles whose running state differs from a recomputation from the folded actions."""
    problems = []
    for profile in session.scalars(select(GameProfile).order_by(GameProfile.user_id)):
        fresh = GameProfile(user_id=profile.user_id)
        recompute(session, fresh, session.get(User, profile.user_id))
        fields = ("streak", "best_streak", "first_day", "last_day", "counts")
        kept, expected = ([getattr(p, f) or None for f in fields] for p in (profile, fresh))
        if kept != expected:
            problems.append(f"profile {profile.user_id}: stored {kept}, expected {expected}")
    return problems
