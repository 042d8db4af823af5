"""The credit ledger: one account per resident, append-only entries, balance = sum(entries) >= 0."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, LabelledEnum, enum_values, utcnow


class EntryKind(LabelledEnum):
    EARN = "earn"
    BONUS = "bonus"
    REDEEM = "redeem"
    REFUND = "refund"
    EXPIRE = "expire"
    ADJUST = "adjust"


class CarbonAccount(Base):
    """Balance fields are a cache of the entries, changed only by guarded UPDATE statements."""

    __tablename__ = "carbon_accounts"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_non_negative"),
        CheckConstraint("lifetime_earned >= 0 AND lifetime_redeemed >= 0", name="lifetimes_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), unique=True)
    balance: Mapped[int] = mapped_column(default=0)
    lifetime_earned: Mapped[int] = mapped_column(default=0)
    lifetime_redeemed: Mapped[int] = mapped_column(default=0)
    co2e_grams: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LedgerEntry(Base):
    """Never updated or deleted; a correction is a new entry. (account, kind, cause) is unique."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_non_zero"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
        Index("uq_ledger_entries_cause", "account_id", "kind", "cause_type", "cause_id", unique=True),
        Index("ix_ledger_entries_account_id_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("carbon_accounts.id", ondelete="RESTRICT"))
    kind: Mapped[EntryKind] = mapped_column(
        Enum(EntryKind, name="entry_kind", native_enum=False, length=10, values_callable=enum_values)
    )
    amount: Mapped[int]
    balance_after: Mapped[int]
    cause_type: Mapped[str] = mapped_column(String(20))
    cause_id: Mapped[int]
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Adjustment(Base):
    """An administrator's correction, with the reason the ledger entry points to."""

    __tablename__ = "adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("carbon_accounts.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
