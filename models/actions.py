"""Green actions as logged: quantity, the factor version used, CO2e and credits kept apart."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, Enum, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, LabelledEnum, enum_values, utcnow
from .methodology import ActionType, EmissionFactor


class ActionStatus(LabelledEnum):
    CREDITED = "credited"
    PENDING = "pending"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


class Evidence(LabelledEnum):
    SELF = "self"
    TRANSIT = "transit"
    WASTE_STATION = "waste_station"
    MERCHANT = "merchant"


class Action(Base):
    __tablename__ = "actions"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("co2e_grams >= 0 AND credits >= 0", name="non_negative"),
        Index("ix_actions_user_type_day", "user_id", "action_type_id", "local_day"),
        Index("ix_actions_user_id_id", "user_id", "id"),
        Index("ix_actions_status_id", "status", "id"),
        Index("ix_actions_user_occurred", "user_id", "occurred_at"),
        Index("ix_actions_partner_external", "partner_id", "external_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    action_type_id: Mapped[int] = mapped_column(ForeignKey("action_types.id", ondelete="RESTRICT"))
    factor_id: Mapped[int] = mapped_column(ForeignKey("emission_factors.id", ondelete="RESTRICT"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    occurred_at: Mapped[dt.datetime]
    local_day: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[ActionStatus] = mapped_column(
        Enum(ActionStatus, name="action_status", native_enum=False, length=12, values_callable=enum_values)
    )
    evidence: Mapped[Evidence] = mapped_column(
        Enum(Evidence, name="evidence", native_enum=False, length=16, values_callable=enum_values)
    )
    evidence_ref: Mapped[str | None] = mapped_column(String(120))
    co2e_grams: Mapped[int]
    credits: Mapped[int] = mapped_column(default=0)
    capped: Mapped[bool] = mapped_column(default=False)
    multiplier: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal(1))
    campaign_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(40))
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[dt.datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    appeal_text: Mapped[str | None] = mapped_column(Text)
    appealed_at: Mapped[dt.datetime | None]
    # A partner's record: unique per partner, so that a re-sent record never counts twice.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="RESTRICT"))
    external_id: Mapped[str | None] = mapped_column(String(100))

    action_type: Mapped[ActionType] = relationship(lazy="joined")
    factor: Mapped[EmissionFactor] = relationship(lazy="joined")
