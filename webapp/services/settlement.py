"""Settlement: what each merchant fulfilled in a city month, and the city's outstanding credit liability.

A month is a calendar month in the city's time zone; a voucher counts in the month it was fulfilled.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Merchant, Redemption, RedemptionStatus, User, utcnow

from ..errors import Invalid
from ..messages import N_
from . import liability as liability_service
from . import merchants, methodology, voucher_codes
from .city import city_zone

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$", re.ASCII)


@dataclass(frozen=True)
class Month:
    label: str
    starts_at: dt.datetime
    ends_at: dt.datetime


def month(session: Session, raw: str) -> Month:
    """`YYYY-MM` as the UTC instants where that city month starts and ends."""
    match = MONTH_RE.match(raw or "")
    if not match:
        raise Invalid.field("month", N_("Give the month as YYYY-MM."))
    year, number = int(match.group(1)), int(match.group(2))
    zone = city_zone(session)
    try:
        first = dt.date(year, number, 1)
        following = dt.date(year + number // 12, number % 12 + 1, 1)
        return Month(raw, methodology.day_start(first, zone), methodology.day_start(following, zone))
    except (ValueError, OverflowError):  # year 0, or past year 9999
        raise Invalid.field("month", N_("Give the month as YYYY-MM.")) from None


def current_month(session: Session, now: dt.datetime | None = None) -> str:
    return (now or utcnow()).astimezone(city_zone(session)).strftime("%Y-%m")


def _fulfilled(m: Month):
    return (
        Redemption.status == RedemptionStatus.FULFILLED,
        Redemption.fulfilled_at >= m.starts_at,
        Redemption.fulfilled_at < m.ends_at,
    )


@dataclass(frozen=True)
class Statement:
    merchant: Merchant
    month: Month
    rows: list[Redemption]
    by_reward: list[dict]
    count: int
    credits: int


def statement(session: Session, staff: User, raw_month: str) -> Statement:
    """The staff member's merchant's fulfilled vouchers of one city month, one row each."""
    merchant = merchants.merchant_of(session, staff)
    return statement_for(session, merchant, month(session, raw_month))


def statement_for(session: Session, merchant: Merchant, m: Month) -> Statement:
    rows = list(
        session.scalars(
            select(Redemption)
            .where(Redemption.merchant_id == merchant.id, *_fulfilled(m))
            .order_by(Redemption.fulfilled_at, Redemption.id)
        )
    )
    by_reward: dict[int, dict] = {}
    for r in rows:
        line = by_reward.setdefault(
            r.reward_id,
            {
                "reward_id": r.reward_id,
                "title": r.reward.title_zh,
                "title_en": r.reward.title_en,
                "count": 0,
                "credits": 0,
            },
        )
        line["count"] += 1
        line["credits"] += r.cost
    return Statement(merchant, m, rows, list(by_reward.values()), len(rows), sum(r.cost for r in rows))


def statement_csv(session: Session, st: Statement) -> str:
    """One line per fulfilled voucher (city time); no resident data."""
    zone = city_zone(session)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["merchant", "month", "redemption_id", "voucher_code", "reward_id", "reward", "credits", "fulfilled_at"]
    )
    for r in st.rows:
        writer.writerow(
            [
                _safe(st.merchant.name),
                st.month.label,
                r.id,
                voucher_codes.display(r.code),
                r.reward_id,
                _safe(r.reward.title_zh),
                r.cost,
                r.fulfilled_at.astimezone(zone).isoformat(),
            ]
        )
    writer.writerow([_safe(st.merchant.name), st.month.label, "", "", "", "TOTAL", st.credits, ""])
    return out.getvalue()


def _safe(text: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; quote them as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass(frozen=True)
class MerchantTotals:
    merchant: Merchant
    fulfilled_count: int
    fulfilled_credits: int
    outstanding_count: int
    outstanding_credits: int


@dataclass(frozen=True)
class Liability:
    month: Month
    merchants: list[MerchantTotals]
    position: liability_service.Position  # now, with its money value by funder
    trend: list[liability_service.Position]

    @property
    def resident_credits(self) -> int:
        return self.position.resident_credits

    @property
    def outstanding_count(self) -> int:
        return self.position.voucher_count

    @property
    def outstanding_credits(self) -> int:
        return self.position.voucher_credits

    @property
    def total(self) -> int:
        return self.position.credits


def liability(session: Session, raw_month: str) -> Liability:
    """Every merchant's month, and what the city still owes: balances plus unfulfilled vouchers."""
    m = month(session, raw_month)
    per_merchant = select(Redemption.merchant_id, func.count(), func.coalesce(func.sum(Redemption.cost), 0))
    fulfilled = _by_merchant(session, per_merchant.where(*_fulfilled(m)))
    outstanding = _by_merchant(session, per_merchant.where(Redemption.status == RedemptionStatus.ISSUED))
    totals = [
        MerchantTotals(merchant, *fulfilled.get(merchant.id, (0, 0)), *outstanding.get(merchant.id, (0, 0)))
        for merchant in merchants.list_merchants(session)
    ]
    now = utcnow()
    points = liability_service.trend(session, now)
    return Liability(m, totals, points[-1], points)


def _by_merchant(session: Session, stmt) -> dict[int, tuple[int, int]]:
    return {mid: (int(n), int(c)) for mid, n, c in session.execute(stmt.group_by(Redemption.merchant_id))}
