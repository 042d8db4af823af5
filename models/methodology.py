"""The published methodology: versioned emission factors and the action types that use them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, LabelledEnum, enum_values, utcnow


class Family(LabelledEnum):
    TRAVEL = "travel"
    WASTE = "waste"
    PURCHASE = "purchase"


class EmissionFactor(Base):
    """One version of a factor; in force from `valid_from` until `valid_to` (UTC instants)."""

    __tablename__ = "emission_factors"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        CheckConstraint("grams_per_unit >= 0", name="non_negative"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_window"),
        Index("ix_emission_factors_code_from", "code", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    version: Mapped[int]
    grams_per_unit: Mapped[Decimal] = mapped_column(Numeric(14, 6))
    unit: Mapped[str] = mapped_column(String(20))
    baseline_zh: Mapped[str] = mapped_column(Text)
    baseline_en: Mapped[str] = mapped_column(Text)
    formula: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    year: Mapped[int]
    confidence: Mapped[str] = mapped_column(String(2))
    valid_from: Mapped[dt.datetime]
    valid_to: Mapped[dt.datetime | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ActionType(Base):
    __tablename__ = "action_types"
    __table_args__ = (
        CheckConstraint("min_quantity > 0 AND max_quantity >= min_quantity", name="bounds"),
        CheckConstraint("daily_cap_self >= 0 AND daily_cap_evidenced >= daily_cap_self", name="caps"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    family: Mapped[Family] = mapped_column(
        Enum(Family, name="family", native_enum=False, length=20, values_callable=enum_values)
    )
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    unit: Mapped[str] = mapped_column(String(20))
    unit_zh: Mapped[str] = mapped_column(String(20))
    unit_en: Mapped[str] = mapped_column(String(20))
    factor_code: Mapped[str] = mapped_column(String(60))
    min_quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    max_quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    step: Mapped[Decimal] = mapped_column(Numeric(12, 3), default=Decimal("0.1"))
    daily_cap_self: Mapped[int]
    daily_cap_evidenced: Mapped[int]
    needs_evidence: Mapped[bool] = mapped_column(default=False)
    green_travel: Mapped[bool | None]
    sort: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
