"""Credit-issuance budgets: the city's, one per city month (the unique month forbids overlap), and
optionally one per campaign over its run; the campaign boost roll-up they are measured with."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, Date, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, LabelledEnum, enum_values, utcnow
from .campaigns import Campaign


class BudgetPolicy(LabelledEnum):
    """What happens at 100%: base credits are never blocked by either."""

    NOTIFY = "notify"  # only notify admins
    DAMP = "damp"  # campaign multipliers lowered (never below 1) while the forecast exceeds the budget


class BudgetTerms:
    """What every budget holds: the figure, what happens at 100%, and when it was damped."""

    __table_args__ = (CheckConstraint("credits > 0", name="credits_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credits: Mapped[int]
    policy: Mapped[BudgetPolicy] = mapped_column(
        Enum(BudgetPolicy, name="budget_policy", native_enum=False, length=10, values_callable=enum_values),
        default=BudgetPolicy.NOTIFY,
    )
    # Set once by the alert sweep when a `damp` budget's forecast exceeds it; cleared when an admin
    # changes the budget.
    damped_at: Mapped[dt.datetime | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CreditBudget(BudgetTerms, Base):
    """The city's budget for one month. Once damped, campaigns multiply by 1 for the rest of the month
    (base credits and CO2e untouched)."""

    __tablename__ = "credit_budgets"

    # The city month, "2026-12"; unique, so two budgets never cover the same days.
    month: Mapped[str] = mapped_column(String(7), unique=True)


class CampaignBudget(BudgetTerms, Base):
    """A cap on what one campaign adds over its whole run: multiplier boosts plus challenge bonuses.
    One per campaign (the unique campaign_id forbids overlap). Once damped, the campaign's multipliers
    are left out of scoring (the next highest applies, never below x1)."""

    __tablename__ = "campaign_budgets"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), unique=True)

    campaign: Mapped[Campaign] = relationship(lazy="joined")


class CampaignIssuance(Base):
    """Roll-up folded by the projector: what a campaign added per city day. `boost` is the credits its
    multiplier added, by the action's day (credits above the action's CO2e; a boost two campaigns give
    alike counts for both); `bonus` its challenge bonuses, by the day they were paid."""

    __tablename__ = "stat_campaigns"

    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    actions: Mapped[int] = mapped_column(BigInteger, default=0)
    boost: Mapped[int] = mapped_column(BigInteger, default=0)
    bonus: Mapped[int] = mapped_column(BigInteger, default=0)  # challenge bonuses paid that city day
