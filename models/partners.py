"""Partners that send verified records machine to machine (transit operators, waste stations).

A partner signs each request with its secret; every signature is stored once per partner so that a
captured request cannot be replayed while its timestamp is still fresh. Records themselves become
actions carrying `(partner_id, external_id)`, unique per partner (models.actions).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, LabelledEnum, enum_values, utcnow


class PartnerKind(LabelledEnum):
    TRANSIT = "transit"
    WASTE = "waste"
    PROVINCE = "province"  # the provincial platform: pulls the export, sends no records


class Partner(Base):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PartnerKind] = mapped_column(
        Enum(PartnerKind, name="partner_kind", native_enum=False, length=12, values_callable=enum_values)
    )
    name: Mapped[str] = mapped_column(String(80), unique=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # public: names the partner in X-Partner-Key
    # Kept in clear because verifying an HMAC needs the shared secret itself (a hash would not do).
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PartnerSignature(Base):
    """A signature already accepted; rows older than the replay window are pruned."""

    __tablename__ = "partner_signatures"
    __table_args__ = (UniqueConstraint("partner_id", "signature"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    signature: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
