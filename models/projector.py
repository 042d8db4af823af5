"""The projector's outbox: committed actions and ledger entries whose derived figures are not folded yet."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class Outbox(Base):
    """One row per credited action and per ledger entry, written by the same transaction; deleted by the
    transaction that folds it. No foreign keys: actions and entries are never deleted, and the hot path
    should not pay for the check."""

    __tablename__ = "projector_outbox"
    __table_args__ = (Index("ix_projector_outbox_action_id", "action_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int | None]
    entry_id: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
