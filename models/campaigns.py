"""Campaigns: a time window, districts, credit multipliers per action type, challenges with bonuses.

Multipliers and challenges apply by the action's `occurred_at` inside [starts_at, ends_at) — cut at
`cancelled_at` for a cancelled campaign — never by `status`, which only drives announcements.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, LabelledEnum, enum_values, utcnow
from .city import District
from .methodology import ActionType


class CampaignStatus(LabelledEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    ENDED = "ended"
    CANCELLED = "cancelled"


campaign_districts = Table(
    "campaign_districts",
    Base.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", ForeignKey("districts.id", ondelete="RESTRICT"), primary_key=True),
)


class Campaign(Base):
    """No district rows means every district of the city."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="window"),
        # One instance of a calendar template per year (the calendar can be instantiated twice safely).
        UniqueConstraint("template_code", "year"),
        Index("ix_campaigns_status_starts_at", "status", "starts_at"),
        Index("ix_campaigns_starts_at_ends_at", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    status: Mapped[CampaignStatus] = mapped_column(
        Enum(CampaignStatus, name="campaign_status", native_enum=False, length=12, values_callable=enum_values)
    )
    template_code: Mapped[str | None] = mapped_column(String(40))
    year: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]

    multipliers: Mapped[list[CampaignMultiplier]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CampaignMultiplier.action_type_id"
    )
    challenges: Mapped[list[Challenge]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Challenge.id"
    )
    districts: Mapped[list[District]] = relationship(
        secondary=campaign_districts, lazy="selectin", order_by=District.code
    )

    @property
    def effective_end(self) -> dt.datetime:
        """Where the campaign's window ends: its end, or its cancellation if that came first."""
        if self.cancelled_at is not None:
            return min(self.ends_at, self.cancelled_at)
        return self.ends_at


class CampaignMultiplier(Base):
    __tablename__ = "campaign_multipliers"
    __table_args__ = (CheckConstraint("factor > 0 AND factor <= 10", name="factor_range"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    action_type_id: Mapped[int] = mapped_column(
        ForeignKey("action_types.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    factor: Mapped[Decimal] = mapped_column(Numeric(6, 3))

    action_type: Mapped[ActionType] = relationship(lazy="joined")


class Challenge(Base):
    """N credited actions of a type inside the campaign -> a bonus (ledger cause ("challenge", id)) and a badge."""

    __tablename__ = "challenges"
    __table_args__ = (
        CheckConstraint("count > 0", name="count_positive"),
        CheckConstraint("bonus_credits >= 0", name="bonus_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    action_type_id: Mapped[int] = mapped_column(ForeignKey("action_types.id", ondelete="RESTRICT"), index=True)
    count: Mapped[int]
    bonus_credits: Mapped[int] = mapped_column(default=0)
    badge_code: Mapped[str | None] = mapped_column(String(40))

    action_type: Mapped[ActionType] = relationship(lazy="joined")


class ChallengeCompletion(Base):
    """Once per resident and challenge (unique), whichever of the action hook or the sweep gets there first."""

    __tablename__ = "challenge_completions"
    __table_args__ = (UniqueConstraint("challenge_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="RESTRICT"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    bonus_credits: Mapped[int] = mapped_column(default=0)
    badge_code: Mapped[str | None] = mapped_column(String(40))
    completed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    challenge: Mapped[Challenge] = relationship(lazy="joined")


class SchedulerLease(Base):
    """The scheduler's election where advisory locks are unavailable (SQLite): one row, renewed by its holder."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    acquired_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
