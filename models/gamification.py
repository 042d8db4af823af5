"""The game layer: awarded badges, per-resident game state, leaderboard aggregates and weekly recaps.

Leaderboards never scan actions: `board_scores` holds one row per (board, period, subject) kept up to
date by the AFTER_CREDIT hook, and `board_buckets` counts the listed rows per value bucket so that a
rank is a sum over a few thousand bucket rows plus a count inside one narrow bucket.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, LabelledEnum, utcnow


class Board(LabelledEnum):
    RESIDENT = "resident"
    TEAM = "team"
    DISTRICT = "district"


class UserBadge(Base):
    """A badge is awarded once per resident (unique), whichever path gets there first."""

    __tablename__ = "user_badges"
    __table_args__ = (UniqueConstraint("user_id", "badge_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    badge_code: Mapped[str] = mapped_column(String(40))
    awarded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class GameProfile(Base):
    """A resident's game settings and running state, kept by the credit hook so that neither the hook
    nor GET /account scans the resident's actions: the streak ending on `last_day`, the best streak,
    the first credited day, and credited action counts {"types": {code: n}, "families": {family: n}}."""

    __tablename__ = "game_profiles"
    __table_args__ = (CheckConstraint("streak >= 0 AND best_streak >= streak", name="streaks"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    hidden_from_boards: Mapped[bool] = mapped_column(default=False)
    first_day: Mapped[dt.date | None] = mapped_column(Date, index=True)
    last_day: Mapped[dt.date | None] = mapped_column(Date)
    streak: Mapped[int] = mapped_column(default=0)
    best_streak: Mapped[int] = mapped_column(default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BoardScore(Base):
    """CO2e grams of one subject (resident, family or district) in one period ("all", "m2026-11",
    "w2026-11-23"). `reached_at` breaks ties: whoever reached the value first ranks first."""

    __tablename__ = "board_scores"
    __table_args__ = (CheckConstraint("value >= 0 AND members >= 0", name="non_negative"),)

    board: Mapped[str] = mapped_column(String(10), primary_key=True)
    period: Mapped[str] = mapped_column(String(12), primary_key=True)
    subject_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    members: Mapped[int] = mapped_column(default=0)
    listed: Mapped[bool] = mapped_column(default=True)
    reached_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# The rank order: value descending, then the earliest to reach it, then the lowest id.
Index(
    "ix_board_scores_rank",
    BoardScore.board,
    BoardScore.period,
    BoardScore.listed,
    BoardScore.value.desc(),
    BoardScore.reached_at,
    BoardScore.subject_id,
)


class BoardBucket(Base):
    """How many listed subjects of a board and period have a value in [bucket, next bucket).

    No CHECK (n >= 0): one upsert moves counts both ways, and a CHECK would be tested against the
    proposed insert row (a negative delta) before the conflict turns it into an update."""

    __tablename__ = "board_buckets"

    board: Mapped[str] = mapped_column(String(10), primary_key=True)
    period: Mapped[str] = mapped_column(String(12), primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(default=0)


class WeeklyRecap(Base):
    """One recap per resident and city week (Monday), written by the weekly sweep."""

    __tablename__ = "weekly_recaps"
    __table_args__ = (UniqueConstraint("user_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    week_start: Mapped[dt.date] = mapped_column(Date)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None]
