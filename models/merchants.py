"""Merchants, their rewards, the vouchers residents redeem, and certified green purchases.

Stock never goes below zero and a voucher leaves `issued` at most once: both are moved only by
guarded UPDATE statements in webapp.services, and the CHECKs here are the last line of defence.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, LabelledEnum, enum_values, utcnow
from .city import District
from .methodology import ActionType

DEFAULT_DAILY_ISSUANCE_CAP = 100_000  # base credits (grams CO2e) a merchant may certify per city day


class MerchantStatus(LabelledEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SUSPENDED = "suspended"
    REJECTED = "rejected"


class MerchantCategory(LabelledEnum):
    SUPERMARKET = "supermarket"
    RESTAURANT = "restaurant"
    CAFE = "cafe"
    RETAIL = "retail"
    APPLIANCES = "appliances"
    SERVICES = "services"
    OTHER = "other"


class Funder(LabelledEnum):
    """Who pays for a reward when it is redeemed: the merchant itself, or the city (which settles it)."""

    MERCHANT = "merchant"
    CITY = "city"


class RedemptionStatus(LabelledEnum):
    ISSUED = "issued"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Merchant(Base):
    __tablename__ = "merchants"
    __table_args__ = (CheckConstraint("daily_issuance_cap >= 0", name="cap_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="RESTRICT"), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[MerchantCategory] = mapped_column(
        Enum(MerchantCategory, name="merchant_category", native_enum=False, length=20, values_callable=enum_values)
    )
    contact_name: Mapped[str] = mapped_column(String(40), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[MerchantStatus] = mapped_column(
        Enum(MerchantStatus, name="merchant_status", native_enum=False, length=12, values_callable=enum_values),
        index=True,
    )
    daily_issuance_cap: Mapped[int] = mapped_column(default=DEFAULT_DAILY_ISSUANCE_CAP)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]  # who decided is in the audit trail (no users <-> merchants cycle)

    district: Mapped[District | None] = relationship(lazy="joined")


class Reward(Base):
    """What a merchant offers for credits; `stock` is what is left to redeem."""

    __tablename__ = "rewards"
    __table_args__ = (
        CheckConstraint("cost > 0", name="cost_positive"),
        CheckConstraint("stock >= 0", name="stock_non_negative"),
        CheckConstraint("per_resident_limit >= 1", name="limit_positive"),
        CheckConstraint("valid_until > valid_from", name="valid_window"),
        CheckConstraint("value_fen >= 0", name="value_non_negative"),
        Index("ix_rewards_catalogue", "active", "valid_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="RESTRICT"), index=True)
    title_zh: Mapped[str] = mapped_column(String(80))
    title_en: Mapped[str | None] = mapped_column(String(80))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    cost: Mapped[int]
    stock: Mapped[int]
    per_resident_limit: Mapped[int] = mapped_column(default=1)
    valid_from: Mapped[dt.datetime]
    valid_until: Mapped[dt.datetime]
    image_name: Mapped[str | None] = mapped_column(String(60))
    # The money one reward is worth, in fen, as the merchant declares it (None: not declared), and who
    # pays for it; an administrator sets the funder. Both are copied onto each voucher when issued.
    value_fen: Mapped[int | None]
    funded_by: Mapped[Funder] = mapped_column(
        Enum(Funder, name="funder", native_enum=False, length=10, values_callable=enum_values),
        default=Funder.MERCHANT,
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    merchant: Mapped[Merchant] = relationship(lazy="joined")


class Redemption(Base):
    """A voucher: credits paid for one reward, fulfilled once at the counter of its own merchant."""

    __tablename__ = "redemptions"
    __table_args__ = (
        CheckConstraint("cost > 0", name="cost_positive"),
        Index("ix_redemptions_user_reward", "user_id", "reward_id"),
        Index("ix_redemptions_user_id_id", "user_id", "id"),
        Index("ix_redemptions_status_expires", "status", "expires_at"),
        Index("ix_redemptions_merchant_fulfilled", "merchant_id", "fulfilled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id", ondelete="RESTRICT"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="RESTRICT"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    cost: Mapped[int]
    value_fen: Mapped[int | None]  # the reward's value and funder when the voucher was issued
    funded_by: Mapped[Funder] = mapped_column(
        Enum(Funder, name="funder", native_enum=False, length=10, values_callable=enum_values),
        default=Funder.MERCHANT,
    )
    status: Mapped[RedemptionStatus] = mapped_column(
        Enum(RedemptionStatus, name="redemption_status", native_enum=False, length=12, values_callable=enum_values)
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    fulfilled_at: Mapped[dt.datetime | None]
    fulfilled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[dt.datetime | None]  # cancelled or expired

    reward: Mapped[Reward] = relationship(lazy="joined")


class GreenPurchaseClaim(Base):
    """A purchase certified by merchant staff; the resident claims its code once for a verified action."""

    __tablename__ = "green_purchase_claims"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("co2e_grams >= 0", name="co2e_non_negative"),
        Index("ix_green_purchase_claims_merchant_created", "merchant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="RESTRICT"))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action_type_id: Mapped[int] = mapped_column(ForeignKey("action_types.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    co2e_grams: Mapped[int]  # the estimate counted against the merchant's daily cap
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    claimed_at: Mapped[dt.datetime | None]
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id", ondelete="SET NULL"))

    action_type: Mapped[ActionType] = relationship(lazy="joined")
