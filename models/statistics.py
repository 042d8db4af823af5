"""Roll-ups for the officials' statistics: sums and distinct-resident counts kept beside the raw rows.

Every table here is derived: webapp.services.statistics maintains it in the transaction that writes
the raw row (a credited action, a ledger entry, a registration) and can rebuild it from the raw rows
at any time, so that a dashboard reads only these small tables and still equals a direct aggregate.

Keys: `kind` is the period ("d" a city day, "w" an ISO week from its Monday, "m" a month, "y" a
year) and `start` its first day; `district_key` is the district id, 0 for the whole city (distinct
counts are not additive), -1 for an action without a district.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Index, Integer, PrimaryKeyConstraint, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from .actions import Action
from .base import Base
from .ledger import LedgerEntry

CITY = 0
NO_DISTRICT = -1
MONTHS = range(1, 13)
LONG_AGO = dt.date(1970, 1, 1)  # StatReturns: no previous active day within RETURNS_HORIZON
RETURNS_HORIZON = 365


class StatActions(Base):
    """Credited actions by period ("d" and "m"), district and type: counts, CO2e, credits, quantity."""

    __tablename__ = "stat_actions"

    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    district_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_type_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actions: Mapped[int] = mapped_column(BigInteger, default=0)
    co2e_grams: Mapped[int] = mapped_column(BigInteger, default=0)
    credits: Mapped[int] = mapped_column(BigInteger, default=0)
    quantity_milli: Mapped[int] = mapped_column(BigInteger, default=0)  # quantity x 1000, kept exact


class StatLedger(Base):
    """Ledger entries by period ("d" and "m") of their city day, the owner's district and kind."""

    __tablename__ = "stat_ledger"

    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    district_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    entries: Mapped[int] = mapped_column(BigInteger, default=0)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    new_holders: Mapped[int] = mapped_column(BigInteger, default=0)  # accounts whose first entry this is


class StatReach(Base):
    """Distinct residents per period, district (0 = city) and subject (see services.statistics.subjects).

    Kinds "fw", "fm", "fy" count, for subject "*", residents whose first active day in their week,
    month or year is `start`: summed from the period's first day they give "to date" counts.
    """

    __tablename__ = "stat_reach"

    kind: Mapped[str] = mapped_column(String(2), primary_key=True)
    subject: Mapped[str] = mapped_column(String(24), primary_key=True)  # before start: one range per subject
    start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    district_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    residents: Mapped[int] = mapped_column(Integer, default=0)


class StatActive(Base):
    """Rolling active residents as changes: the residents active in the L city days ending on day e
    (L = 7, 30, 365) are the sum of `rL` over all rows up to e ("d" rows; "m" rows sum a month).

    Each active day adds 1 on that day and takes it away L days later or on the resident's next
    active day, whichever comes first, so that a resident counts once per window.
    """

    __tablename__ = "stat_active"

    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    district_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    r7: Mapped[int] = mapped_column(Integer, default=0)
    r30: Mapped[int] = mapped_column(Integer, default=0)
    r365: Mapped[int] = mapped_column(Integer, default=0)


class StatReturns(Base):
    """Each active day of a resident ("*") beside their previous active day, counted by the period
    ("d" or "m") of each: `kind`/`start` for the day, `prev_kind`/`prev_start` for the previous one.

    The residents active at all in a window of up to 366 days are its active days whose previous
    active day is earlier than the window (one per resident: their first day in it). A first day,
    or one more than 365 days after the previous, has LONG_AGO as its previous day.
    """

    __tablename__ = "stat_returns"
    __table_args__ = (  # the window count reads the key's leaf pages only (an index-only scan)
        PrimaryKeyConstraint(
            "kind", "start", "prev_kind", "prev_start", "district_key", postgresql_include=["residents"]
        ),
    )

    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    prev_kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    prev_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    district_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    residents: Mapped[int] = mapped_column(Integer, default=0)


class StatMask(Base):
    """One resident's active days in one year for one subject: bit d-1 of `mN` is day d of month N.

    This is what makes distinct counts over any window exact without reading the actions.
    """

    __tablename__ = "stat_masks"

    subject: Mapped[str] = mapped_column(String(24), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    district_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    m1: Mapped[int] = mapped_column(Integer, default=0)
    m2: Mapped[int] = mapped_column(Integer, default=0)
    m3: Mapped[int] = mapped_column(Integer, default=0)
    m4: Mapped[int] = mapped_column(Integer, default=0)
    m5: Mapped[int] = mapped_column(Integer, default=0)
    m6: Mapped[int] = mapped_column(Integer, default=0)
    m7: Mapped[int] = mapped_column(Integer, default=0)
    m8: Mapped[int] = mapped_column(Integer, default=0)
    m9: Mapped[int] = mapped_column(Integer, default=0)
    m10: Mapped[int] = mapped_column(Integer, default=0)
    m11: Mapped[int] = mapped_column(Integer, default=0)
    m12: Mapped[int] = mapped_column(Integer, default=0)


class StatRegistrations(Base):
    """Residents who registered (`joined`) and whose accounts were erased (`left`) on a city day."""

    __tablename__ = "stat_registrations"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    district_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    joined: Mapped[int] = mapped_column(Integer, default=0)
    left: Mapped[int] = mapped_column(Integer, default=0)


# The sweep (refresh_rollups since a day) reads the raw rows by day; these make it a range scan.
Index("ix_actions_local_day", Action.local_day)
Index("ix_ledger_entries_created_at", LedgerEntry.created_at)
