"""Badges: a registry of small rules keyed by badge code, each awarded once per resident.

A rule reads plain facts and returns the progress towards its badge (1.0 = earned), so the same
function awards the badge and tells the resident how close the next one is. The catalogue (names,
descriptions) is seeds/gamification/badges.csv; icons are static/img/badges/<code>.svg.
Awarding is `INSERT ... ON CONFLICT DO NOTHING` on unique (user, badge): the credit hook, the sweep,
a family member's action and the campaigns' challenge code can all race and still award once.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from models import (
    Board,
    BoardScore,
    FamilyMember,
    GameProfile,
    GreenFamily,
    User,
    UserBadge,
    utcnow,
)
from seeds import SEEDS_DIR

from . import game_state
from .boards import ALL
from .city import city_zone
from .game_state import Facts
from .statistics.sql import dialect_insert

log = logging.getLogger(__name__)
DEFAULT_DIR = SEEDS_DIR / "gamification"
FAMILY_BADGE_GRAMS = 50_000
ONE_YEAR = dt.timedelta(days=365)
CAMPAIGN_CHALLENGE = "campaign_challenge"


@dataclass(frozen=True)
class Badge:
    code: str
    sort: int
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str

    @property
    def icon(self) -> str:
        """The path under /static."""
        return f"img/badges/{self.code}.svg"


@functools.cache
def catalogue(directory: Path = DEFAULT_DIR) -> dict[str, Badge]:
    with (directory / "badges.csv").open(encoding="utf-8") as fh:
        rows = [
            Badge(r["code"], int(r["sort"]), r["name_zh"], r["name_en"], r["description_zh"], r["description_en"])
            for r in csv.DictReader(fh)
        ]
    return {b.code: b for b in sorted(rows, key=lambda b: b.sort)}


def badge_codes() -> list[str]:
    """Every code the catalogue knows (for campaign challenges that name a badge)."""
    return list(catalogue())


def _ratio(have: float, need: float) -> float:
    return max(0.0, min(1.0, have / need))


Rule = Callable[[Facts], float]

RULES: dict[str, Rule] = {
    "first_action": lambda f: _ratio(sum(f.type_counts.values()), 1),
    "first_bus": lambda f: _ratio(f.type_counts.get("bus", 0), 1),
    "cyclist": lambda f: _ratio(f.type_counts.get("bike_own", 0) + f.type_counts.get("bike_shared", 0), 10),
    "streak_7": lambda f: _ratio(f.best_streak, 7),
    "streak_30": lambda f: _ratio(f.best_streak, 30),
    "waste_master": lambda f: min(_ratio(f.family_counts.get("waste", 0), 20), _ratio(f.kinds("waste_"), 3)),
    "green_purchase": lambda f: _ratio(f.family_counts.get("purchase", 0), 1),
    "green_family": lambda f: 0.0 if f.family_size < 2 else _ratio(f.family_grams, FAMILY_BADGE_GRAMS),
    "one_year": lambda f: 0.0 if f.first_day is None else _ratio((f.today - f.first_day).days, ONE_YEAR.days),
}
# Badges that no rule here awards: campaigns.award(...) calls award_badge with the challenge's badge code.
AWARDED_ELSEWHERE = frozenset({CAMPAIGN_CHALLENGE})


def facts_for(session: Session, user: User, today: dt.date) -> Facts:
    """The rules' facts from the resident's game state (no scan of the actions)."""
    return game_state.facts(session, user, game_state.profile_of(session, user, create=False), today)


def award_badge(
    session: Session, user: User | int, code: str, *, now: dt.datetime | None = None, data: dict | None = None
) -> bool:
    """Award a badge once; True when this call awarded it. Unknown codes are logged and ignored, so a
    catalogue change never fails a resident's action (campaign challenges pass their badge code here)."""
    if code not in catalogue():
        log.warning("award_badge: unknown badge code %r ignored", code)
        return False
    user_id = user if isinstance(user, int) else user.id
    stmt = dialect_insert(session)(UserBadge).values(
        user_id=user_id, badge_code=code, awarded_at=now or utcnow(), data=data or {}
    )
    stmt = stmt.on_conflict_do_nothing(index_elements=[UserBadge.user_id, UserBadge.badge_code])
    return session.execute(stmt.returning(UserBadge.id)).scalar() is not None


def held(session: Session, user: User) -> set[str]:
    return set(session.scalars(select(UserBadge.badge_code).where(UserBadge.user_id == user.id)))


def evaluate(session: Session, user: User, facts: Facts, *, now: dt.datetime | None = None) -> list[str]:
    """Award every badge whose rule is met and which the resident does not hold yet."""
    have = held(session, user)
    awarded = []
    for code, rule in RULES.items():
        if code not in have and rule(facts) >= 1 and award_badge(session, user, code, now=now):
            awarded.append(code)
    return awarded


def award_family(session: Session, family_id: int, *, now: dt.datetime | None = None) -> int:
    """The family badge to every current member (in id order, so parallel awards never deadlock)."""
    members = session.scalars(
        select(FamilyMember.user_id).where(FamilyMember.family_id == family_id).order_by(FamilyMember.user_id)
    )
    return sum(award_badge(session, uid, "green_family", now=now) for uid in list(members))


def earned(session: Session, user: User) -> list[UserBadge]:
    return list(
        session.scalars(
            select(UserBadge).where(UserBadge.user_id == user.id).order_by(UserBadge.awarded_at, UserBadge.id)
        )
    )


def next_badge(facts: Facts, have: set[str]) -> tuple[Badge, float] | None:
    """The not-yet-earned badge the resident is closest to (ties: catalogue order)."""
    options = [
        (rule(facts), catalogue()[code]) for code, rule in RULES.items() if code not in have and code in catalogue()
    ]
    options = [(p, b) for p, b in options if p < 1]
    if not options:
        return None
    progress, badge = max(options, key=lambda o: (o[0], -o[1].sort))
    return badge, progress


def sweep_badges(session: Session, now: dt.datetime | None = None, batch: int = 5000) -> int:
    """The scheduler's job for badges that time alone can earn, and for family badges a member earned
    by joining (not by acting). Idempotent; returns the number awarded in this run."""
    now = now or utcnow()
    today = now.astimezone(city_zone(session)).date()
    due = session.scalars(
        select(GameProfile.user_id)
        .where(
            GameProfile.first_day <= today - ONE_YEAR,
            ~exists().where(UserBadge.user_id == GameProfile.user_id, UserBadge.badge_code == "one_year"),
        )
        .order_by(GameProfile.user_id)
        .limit(batch)
    ).all()
    awarded = sum(award_badge(session, uid, "one_year", now=now) for uid in due)
    families = session.scalars(
        select(GreenFamily.id)
        .join(
            BoardScore,
            and_(
                BoardScore.board == Board.TEAM.value, BoardScore.period == ALL, BoardScore.subject_id == GreenFamily.id
            ),
        )
        .where(
            GreenFamily.member_count >= 2,
            BoardScore.value >= FAMILY_BADGE_GRAMS,
            exists().where(
                FamilyMember.family_id == GreenFamily.id,
                ~exists().where(UserBadge.user_id == FamilyMember.user_id, UserBadge.badge_code == "green_family"),
            ),
        )
        .order_by(GreenFamily.id)
        .limit(batch)
    ).all()
    awarded += sum(award_family(session, fid, now=now) for fid in families)
    return awarded


def export_for(session: Session, user: User) -> list[dict]:
    return [
        {"code": b.badge_code, "awarded_at": b.awarded_at.isoformat(), "data": b.data} for b in earned(session, user)
    ]
