"""Monthly credit-issuance budgets of the city: one per city month (the unique month forbids overlap)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, LabelledEnum, enum_values, utcnow


class BudgetPolicy(LabelledEnum):
    """What happens at 100%: base credits are never blocked by either."""

    NOTIFY = "notify"  # only notify admins
    DAMP = "damp"  # campaign multipliers lowered (never below 1) while the forecast exceeds the budget


class CreditBudget(Base):
    __tablename__ = "credit_budgets"
    __table_args__ = (CheckConstraint("credits > 0", name="credits_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The city month, "2026-12"; unique, so two budgets never cover the same days.
    month: Mapped[str] = mapped_column(String(7), unique=True)
    credits: Mapped[int]
    policy: Mapped[BudgetPolicy] = mapped_column(
        Enum(BudgetPolicy, name="budget_policy", native_enum=False, length=10, values_callable=enum_values),
        default=BudgetPolicy.NOTIFY,
    )
    # Set once by the alert sweep when a `damp` budget's forecast exceeds it: from then on, for the rest
    # of the month, campaigns multiply by 1 (base credits and CO2e untouched).
    damped_at: Mapped[dt.datetime | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
