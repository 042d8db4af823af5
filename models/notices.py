"""In-app notices: campaign announcements to everyone it covers, and personal messages.

Each is written exactly once: a broadcast is unique per (campaign, kind), a personal notice per
(user, challenge). The text is rendered in the reader's language from `kind` and `data`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, LabelledEnum, enum_values, utcnow


class NoticeKind(LabelledEnum):
    CAMPAIGN_STARTED = "campaign_started"
    CAMPAIGN_ENDING = "campaign_ending"
    CAMPAIGN_ENDED = "campaign_ended"
    CAMPAIGN_CANCELLED = "campaign_cancelled"
    CHALLENGE_COMPLETED = "challenge_completed"
    CREDITS_EXPIRING = "credits_expiring"
    BUDGET_ALERT = "budget_alert"


class Notice(Base):
    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("campaign_id", "kind"),
        UniqueConstraint("user_id", "challenge_id"),
        UniqueConstraint("user_id", "kind", "ref"),
        CheckConstraint(
            "(campaign_id IS NOT NULL AND user_id IS NULL) OR (campaign_id IS NULL AND user_id IS NOT NULL)",
            name="broadcast_or_personal",
        ),
        Index("ix_notices_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(
        Enum(NoticeKind, name="notice_kind", native_enum=False, length=24, values_callable=enum_values)
    )
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    challenge_id: Mapped[int | None] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    # What a personal notice is about when no challenge is (the expiring month, "2025-11").
    ref: Mapped[str | None] = mapped_column(String(20))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
