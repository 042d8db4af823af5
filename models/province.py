"""Deliveries of the provincial export: who pulled which file of which period, and when."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class ProvinceDelivery(Base):
    """Append-only log; a file pulled again is logged again (the bytes are the same)."""

    __tablename__ = "province_deliveries"
    __table_args__ = (Index("ix_province_deliveries_period_created", "period", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="RESTRICT"))
    period: Mapped[str] = mapped_column(String(7))
    item: Mapped[str] = mapped_column(String(80))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
