"""The city profile: one city row and its districts, loaded from seeds/profiles."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class City(Base):
    __tablename__ = "cities"
    __table_args__ = (
        CheckConstraint("green_travel_target > 0 AND green_travel_target <= 1", name="target_range"),
        CheckConstraint("credit_expiry_months IS NULL OR credit_expiry_months BETWEEN 1 AND 120", name="expiry_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64))
    green_travel_target: Mapped[Decimal] = mapped_column(Numeric(4, 3))
    # Credits earned in month M expire at the start of month M + N + 1 (city time); None: never.
    credit_expiry_months: Mapped[int | None]


class District(Base):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
