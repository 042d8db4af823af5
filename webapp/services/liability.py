"""What the city owes its residents, in credits and in money, now and at the end of each past month.

Credits owed are the credits residents hold plus those of vouchers issued and not yet fulfilled. Their
money value is split by who pays for the reward: the merchant itself, or the city.

- A voucher carries the value and funder its reward had when it was issued, so outstanding vouchers
  add up exactly.
- Credits still held are valued as residents spent credits in the 90 days before. That gives each
  funder's share of the credits redeemed and its fen per credit.
- With no such redemptions, the rewards on offer at that moment serve as the basis, each counted once.
  With neither, the value is not known and shows as 0 with the basis "none".

It is an upper bound: it assumes every credit held will be redeemed. Past months read the held credits
from the ledger roll-up (the city day of each entry) and the vouchers from their own times, so a
month-end figure needs no snapshot and can be recomputed from the rows. Method: docs/budget.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from models import CarbonAccount, Funder, Redemption, RedemptionStatus, Reward, User, utcnow

from . import methodology
from .city import city_zone
from .statistics import exports, filters
from .statistics.grid import EVER, ledger_sums
from .statistics.periods import Window

BASIS_DAYS = 90
TREND_MONTHS = 12
FUNDERS = (Funder.MERCHANT, Funder.CITY)


@dataclass(frozen=True)
class Funding:
    """One funder's part: its outstanding vouchers, and what the credits held are expected to cost it."""

    funder: Funder
    voucher_count: int
    voucher_credits: int
    voucher_value_fen: int
    share: float  # of the credits redeemed in the basis
    fen_per_credit: float
    held_value_fen: int

    @property
    def value_fen(self) -> int:
        return self.voucher_value_fen + self.held_value_fen


@dataclass(frozen=True)
class Position:
    month: str  # the city month, "2026-12"
    as_of: dt.datetime
    final: bool  # the month is over: a month-end figure
    resident_credits: int
    funding: tuple[Funding, ...]
    basis: str  # "redemptions", "catalogue" or "none"
    basis_count: int

    @property
    def voucher_count(self) -> int:
        return sum(f.voucher_count for f in self.funding)

    @property
    def voucher_credits(self) -> int:
        return sum(f.voucher_credits for f in self.funding)

    @property
    def credits(self) -> int:
        return self.resident_credits + self.voucher_credits

    @property
    def value_fen(self) -> int:
        return sum(f.value_fen for f in self.funding)


def position(session: Session, now: dt.datetime | None = None) -> Position:
    """Now: the live balances."""
    now = now or utcnow()
    held = int(session.scalar(select(func.coalesce(func.sum(CarbonAccount.balance), 0))))
    return _position(session, now, held, final=False)


def month_end(session: Session, last_day: dt.date) -> Position:
    """At the end of the city day `last_day`: the held credits from the ledger roll-up."""
    end = methodology.day_start(last_day + dt.timedelta(days=1), city_zone(session))
    held = sum(amount for (_n, amount, _h) in ledger_sums(session, Window(EVER, last_day)).values())
    return _position(session, end, held, final=True)


def trend(session: Session, now: dt.datetime | None = None, months: int = TREND_MONTHS) -> list[Position]:
    """Month-end positions of the past months, oldest first, then the current month as it stands; the
    months before anything was owed are left out."""
    now = now or utcnow()
    today = now.astimezone(city_zone(session)).date()
    first = today.replace(day=1)
    ends = []
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        ends.append((first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1))
    points = [month_end(session, day) for day in reversed(ends)] + [position(session, now)]
    while len(points) > 1 and points[0].credits == 0 and points[0].value_fen == 0:
        points.pop(0)
    return points


def _position(session: Session, at: dt.datetime, held: int, *, final: bool) -> Position:
    vouchers = _vouchers(session, at)
    basis, count, rates = _basis(session, at)
    funding = []
    for funder in FUNDERS:
        n, credits, value = vouchers.get(funder, (0, 0, 0))
        share, per_credit = rates.get(funder, (0.0, 0.0))
        funding.append(Funding(funder, n, credits, value, share, per_credit, round(held * share * per_credit)))
    month = at.astimezone(city_zone(session))
    if final:  # `at` is the first instant of the next month
        month -= dt.timedelta(seconds=1)
    return Position(month.strftime("%Y-%m"), at, final, held, tuple(funding), basis, count)


def _vouchers(session: Session, at: dt.datetime) -> dict[Funder, tuple[int, int, int]]:
    """Vouchers issued before `at` and neither fulfilled nor closed by then, by funder."""
    r = Redemption
    rows = session.execute(
        select(r.funded_by, func.count(), func.coalesce(func.sum(r.cost), 0), func.coalesce(func.sum(r.value_fen), 0))
        .where(
            r.created_at < at,
            or_(r.fulfilled_at.is_(None), r.fulfilled_at >= at),
            or_(r.closed_at.is_(None), r.closed_at >= at),
        )
        .group_by(r.funded_by)
    )
    return {Funder(f): (int(n), int(c), int(v)) for f, n, c, v in rows}


def _basis(session: Session, at: dt.datetime) -> tuple[str, int, dict[Funder, tuple[float, float]]]:
    """{funder: (share of credits, fen per credit)}, from the redemptions fulfilled in the 90 days before
    `at`, else from the rewards on offer at `at`."""
    r = Redemption
    rows = session.execute(
        select(r.funded_by, func.count(), func.sum(r.cost), func.sum(r.value_fen))
        .where(
            r.status == RedemptionStatus.FULFILLED,
            r.fulfilled_at >= at - dt.timedelta(days=BASIS_DAYS),
            r.fulfilled_at < at,
            r.value_fen.is_not(None),
        )
        .group_by(r.funded_by)
    ).all()
    spent = sum(int(c) for _f, _n, c, _v in rows)
    if spent:
        rates = {Funder(f): (int(c) / spent, int(v) / int(c)) for f, _n, c, v in rows}
        return "redemptions", sum(int(n) for _f, n, _c, _v in rows), rates
    offered = session.execute(
        select(Reward.funded_by, Reward.cost, Reward.value_fen).where(
            and_(Reward.active.is_(True), Reward.valid_from <= at, Reward.valid_until > at),
            Reward.value_fen.is_not(None),
        )
    ).all()
    if not offered:
        return "none", 0, {}
    rates = {}
    for funder in FUNDERS:
        mine = [value / cost for f, cost, value in offered if Funder(f) == funder]
        if mine:
            rates[funder] = (len(mine) / len(offered), sum(mine) / len(mine))
    return "catalogue", len(offered), rates


CSV_HEADER = [
    "month",
    "as_of",
    "final",
    "resident_credits",
    "voucher_count",
    "voucher_credits",
    "credits_owed",
    "merchant_voucher_value_yuan",
    "merchant_expected_value_yuan",
    "city_voucher_value_yuan",
    "city_expected_value_yuan",
    "expected_value_yuan",
    "basis",
    "basis_count",
]


def export(session: Session, user: User, now: dt.datetime | None = None) -> tuple[str, str]:
    """The trend as CSV and its file name; audited like every statistics export."""
    points = trend(session, now)
    first = dt.date.fromisoformat(points[0].month + "-01")
    today = (now or utcnow()).astimezone(city_zone(session)).date()
    filters.audit_export(session, user, "liability", Window(min(first, today), today))
    return exports.to_csv(CSV_HEADER, csv_lines(session, points)), f"liability-{points[0].month}-{points[-1].month}.csv"


def yuan(fen: int) -> str:
    return f"{fen / 100:.2f}"


def csv_lines(session: Session, points: list[Position]) -> list[list]:
    """One line per month for CSV_HEADER; times in city time."""
    zone = city_zone(session)
    lines = []
    for p in points:
        by = {f.funder: f for f in p.funding}
        merchant, city = by[Funder.MERCHANT], by[Funder.CITY]
        lines.append(
            [
                p.month,
                p.as_of.astimezone(zone).isoformat(timespec="seconds"),
                "yes" if p.final else "no",
                p.resident_credits,
                p.voucher_count,
                p.voucher_credits,
                p.credits,
                yuan(merchant.voucher_value_fen),
                yuan(merchant.value_fen),
                yuan(city.voucher_value_fen),
                yuan(city.value_fen),
                yuan(p.value_fen),
                p.basis,
                p.basis_count,
            ]
        )
    return lines
