"""Green families: a household team of up to 8 residents, joined by an invite code.

`member_count` is moved only by guarded UPDATEs (`... WHERE member_count < 8`), so parallel joins
can never make a ninth member; a resident belongs to at most one family (unique user_id).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

MAX_MEMBERS = 8


class GreenFamily(Base):
    __tablename__ = "green_families"
    __table_args__ = (
        CheckConstraint(f"member_count >= 0 AND member_count <= {MAX_MEMBERS}", name="member_count_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    founder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    invite_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    member_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    dissolved_at: Mapped[dt.datetime | None]


class FamilyMember(Base):
    __tablename__ = "family_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("green_families.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    joined_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
