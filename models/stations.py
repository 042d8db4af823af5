"""Waste-sorting stations and what their attendants weigh: one deposit row per verified action.

An attendant account is bound to one station (users.station_id). Each deposit names the station,
the attendant and the resident, and the action it became; the station's daily cap is summed from
these rows over the city day (`local_day`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .city import District
from .methodology import ActionType


class Station(Base):
    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="RESTRICT"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    district: Mapped[District] = relationship(lazy="joined")


class StationDeposit(Base):
    __tablename__ = "station_deposits"
    __table_args__ = (
        CheckConstraint("weight_kg > 0", name="weight_positive"),
        Index("ix_station_deposits_station_day", "station_id", "local_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="RESTRICT"))
    attendant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="RESTRICT"), unique=True)
    action_type_id: Mapped[int] = mapped_column(ForeignKey("action_types.id", ondelete="RESTRICT"))
    weight_kg: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    local_day: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    station: Mapped[Station] = relationship(lazy="joined")
    action_type: Mapped[ActionType] = relationship(lazy="joined")
