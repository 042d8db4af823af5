"""The game layer over credited actions: the projector's fold (game_fold) keeps levels, streaks,
badges, leaderboards and family totals, all from CO2e avoided (never credits) and credited actions only.

The projector folds actions after they commit (projector.ON_BATCH), so these figures trail the
action by the projector's lag (seconds).

Scheduler jobs (sweeps over state, idempotent):
- `webapp.services.badges:sweep_badges(session, now)` — time-based and family badges;
- `webapp.services.recaps:weekly_recaps(session, now)` — last week's recaps, in batches.
Campaign challenges award their badge with `webapp.services.badges:award_badge(session, user, code)`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Board, CarbonAccount, GameProfile, User, utcnow

from . import (
    accounts,
    badges,
    boards,
    families,
    game_fold,
    game_state,
    leaderboards,
    ledger,
    levels,
    methodology,
    projector,
    recaps,
)
from .city import city_zone
from .streaks import credited_days, streak

__all__ = ["credited_days", "export_for", "install", "streak", "summary"]
TREE_EQUIVALENCE = "TREE_YEAR"


def profile_of(session: Session, user: User) -> GameProfile:
    return game_state.profile_of(session, user, create=False)


def set_hidden(session: Session, user: User, hidden: bool) -> GameProfile:
    """Opt out of (or back into) the resident leaderboards; takes effect for every period at once."""
    profile, _filled = game_state.locked_profile(session, user)  # never interleaves with the projector's fold
    if profile.hidden_from_boards != hidden:
        profile.hidden_from_boards = hidden
        profile.updated_at = utcnow()
        boards.set_listed(session, Board.RESIDENT, user.id, not hidden)
        session.flush()
        accounts.audit(session, user, "game.boards_hidden" if hidden else "game.boards_shown", user)
    return profile


def forget(session: Session, user: User) -> None:
    """accounts.ON_ERASE: leave the family and every board for good."""
    families.forget(session, user)
    game_state.locked_profile(session, user)[0].hidden_from_boards = True
    session.flush()
    boards.set_listed(session, Board.RESIDENT, user.id, False)


def badge_list(session: Session, user: User, language: str | None) -> list[dict]:
    catalogue = badges.catalogue()
    return [
        {
            "code": b.badge_code,
            "name": levels.name(catalogue[b.badge_code], language) if b.badge_code in catalogue else b.badge_code,
            "awarded_at": b.awarded_at.isoformat(),
        }
        for b in badges.earned(session, user)
    ]


def summary(
    session: Session, user: User, account: CarbonAccount, now: dt.datetime | None = None, language: str | None = None
) -> dict:
    """level, streak_days and badges for GET /account (names in `language`, else the user's setting)."""
    language = language or user.language
    today = (now or utcnow()).astimezone(city_zone(session)).date()
    profile = game_state.profile_of(session, user, create=False)
    return {
        "level": levels.as_dict(levels.progress_for(account.co2e_grams), language),
        "streak_days": game_state.current_streak(profile, today),
        "best_streak_days": profile.best_streak,
        "badges": badge_list(session, user, language),
    }


def member_levels(session: Session, users: list[User]) -> dict[int, levels.Progress]:
    """Each family member's level (their tree in the family forest)."""
    grams = dict(
        session.execute(
            select(CarbonAccount.user_id, CarbonAccount.co2e_grams).where(
                CarbonAccount.user_id.in_([u.id for u in users])
            )
        ).all()
    )
    return {u.id: levels.progress_for(grams.get(u.id, 0)) for u in users}


def trees(co2e_grams: int) -> tuple[float, str] | None:
    """How many trees absorb as much CO2 in a year, and the source of that figure."""
    for item in methodology.equivalences(co2e_grams):
        if item.code == TREE_EQUIVALENCE:
            return item.amount, item.source
    return None


def panel(session: Session, user: User, now: dt.datetime | None = None) -> dict:
    """Everything the home page's game section shows (level, tree, streaks, badges, rank, recap)."""
    now = now or utcnow()
    account = ledger.account_for(session, user)
    today = now.astimezone(city_zone(session)).date()
    profile = game_state.profile_of(session, user, create=False)
    facts = game_state.facts(session, user, profile, today)
    have = badges.held(session, user)
    week_rank, week_value, listed = leaderboards.rank_of(session, Board.RESIDENT, boards.week_key(today), user.id)
    latest = recaps.recaps_of(session, user, limit=1)
    return {
        "progress": levels.progress_for(account.co2e_grams),
        "co2e_grams": account.co2e_grams,
        "streak": facts.streak,
        "best_streak": profile.best_streak,
        "earned": badges.earned(session, user),
        "catalogue": badges.catalogue(),
        "next_badge": badges.next_badge(facts, have),
        "week_rank": week_rank,
        "week_value": week_value,
        "listed": listed,
        "trees": trees(account.co2e_grams),
        "family": families.family_of(session, user),
        "recap": latest[0] if latest else None,
    }


def install() -> None:
    """Put the game into action logging and erasure (idempotent; explicit, no discovery)."""
    if game_fold.fold_batch not in projector.ON_BATCH:
        projector.ON_BATCH.append(game_fold.fold_batch)
    if forget not in accounts.ON_ERASE:
        accounts.ON_ERASE.append(forget)


def export_for(session: Session, user: User) -> dict:
    """The resident's game settings, state and weekly recaps, for personal-data export."""
    profile = session.get(GameProfile, user.id)
    return {
        "hidden_from_boards": bool(profile and profile.hidden_from_boards),
        "first_credited_day": profile.first_day.isoformat() if profile and profile.first_day else None,
        "best_streak_days": profile.best_streak if profile else 0,
        "weekly_recaps": recaps.export_for(session, user),
    }


install()
