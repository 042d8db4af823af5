"""Figures from other capabilities: merchants and vouchers, green families, and campaign impact.

Tables that another capability may not have yet are read only when the models define them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.orm import Session

from models import Base, Campaign, CampaignStatus, District, Merchant, MerchantStatus, Redemption
from models.statistics import CITY

from .. import city as city_service
from . import grid, reach, subjects
from .periods import DAY, Window
from .suppression import THRESHOLD, suppress

BEFORE = dt.timedelta(days=28)
CAMPAIGN_LIMIT = 20


def utc_bounds(session: Session, window: Window) -> tuple[dt.datetime, dt.datetime]:
    zone = city_service.city_zone(session)
    start = dt.datetime.combine(window.first, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(window.last + DAY, dt.time(), zone).astimezone(dt.UTC)
    return start, end


def _by_district(rows, district: District | None, threshold: int) -> tuple[int | None, bool]:
    """{district: (value, residents)} -> the scope's value, hidden by the same rules as the grid."""
    values = {k: v for k, (v, _) in rows.items()}
    residents = {k: n for k, (_, n) in rows.items()}
    residents[CITY] = sum(residents.values())  # a resident has one district
    values[CITY] = sum(values.values())
    keys = [k for k in residents if k != CITY]
    hidden = suppress(residents, [(CITY, keys)], lambda parts: sum(residents[p] for p in parts), threshold=threshold)
    key = district.id if district else CITY
    return (None, True) if key in hidden else (values.get(key, 0), False)


def merchants_and_families(
    session: Session, window: Window, district: District | None, *, threshold: int = THRESHOLD
) -> dict[str, Any]:
    start, end = utc_bounds(session, window)
    approved = select(func.count()).select_from(Merchant).where(Merchant.status == MerchantStatus.APPROVED)
    if district is not None:
        approved = approved.where(Merchant.district_id == district.id)
    fulfilled = session.execute(
        select(Merchant.district_id, func.count(), func.count(distinct(Redemption.user_id)))
        .join(Merchant, Merchant.id == Redemption.merchant_id)
        .where(Redemption.fulfilled_at >= start, Redemption.fulfilled_at < end)
        .group_by(Merchant.district_id)
    )
    vouchers, vouchers_hidden = _by_district({k or -1: (n, r) for k, n, r in fulfilled}, district, threshold)
    families, families_hidden = _families(session, window, district, threshold)
    hidden = {"vouchers_fulfilled": True} if vouchers_hidden else {}
    hidden |= {"green_families": True} if families_hidden else {}
    return {
        "merchants": session.scalar(approved) or 0,
        "vouchers_fulfilled": vouchers,
        "green_families": families,
        "suppressed_extras": hidden,
    }


def _families(session: Session, window: Window, district: District | None, threshold: int):
    """Green families alive at the end of the window, by their founder's district (0 until they exist)."""
    table = Base.metadata.tables.get("green_families")
    users = Base.metadata.tables["users"]
    if table is None or not {"founder_id", "member_count", "created_at", "dissolved_at"} <= set(table.c.keys()):
        return 0, False
    _, end = utc_bounds(session, window)
    alive = and_(
        table.c.created_at < end,
        or_(table.c.dissolved_at.is_(None), table.c.dissolved_at >= end),
        table.c.member_count > 0,
    )
    rows = session.execute(
        select(users.c.district_id, func.count(), func.sum(table.c.member_count))
        .join(users, users.c.id == table.c.founder_id)
        .where(alive)
        .group_by(users.c.district_id)
    )
    return _by_district({k or -1: (n, int(m or 0)) for k, n, m in rows}, district, threshold)


def campaign_impact(session: Session, today: dt.date, *, threshold: int = THRESHOLD) -> list[dict[str, Any]]:
    """Per campaign: actions and CO2e per day during it against the four weeks before, by district."""
    zone = city_service.city_zone(session)
    districts = city_service.districts(session)
    campaigns = session.scalars(
        select(Campaign)
        .where(
            Campaign.status.in_([CampaignStatus.ACTIVE, CampaignStatus.ENDED, CampaignStatus.CANCELLED]),
            Campaign.starts_at <= dt.datetime.now(dt.UTC),
        )
        .order_by(Campaign.starts_at.desc())
        .limit(CAMPAIGN_LIMIT)
    )
    found = []
    for campaign in campaigns:
        first = campaign.starts_at.astimezone(zone).date()
        stop = min(campaign.ends_at, campaign.cancelled_at or campaign.ends_at)
        last = min((stop - dt.timedelta(microseconds=1)).astimezone(zone).date(), today)
        if last < first:
            continue
        during, before = Window(first, last), Window(first - BEFORE, first - DAY)
        found.append(_impact(session, campaign, during, before, districts, threshold))
    return found


def _impact(
    session: Session, campaign: Campaign, during: Window, before: Window, districts: list[District], threshold: int
) -> dict[str, Any]:
    keys = [CITY] + [d.id for d in districts]
    totals: dict[tuple[str, int], list[int]] = {}
    for label, window in (("during", during), ("before", before)):
        sums = grid.action_sums(session, window)
        for key in keys:
            rows = [v for (k, _type), v in sums.items() if key in (CITY, k)]  # the city adds up all
            totals[(label, key)] = [sum(r[0] for r in rows), sum(r[1] for r in rows)]
    cells = {
        (label, key): reach.Cell(subjects.ALL, key, window)
        for label, window in (("during", during), ("before", before))
        for key in keys
    }
    counted = reach.residents(session, cells.values(), threshold)
    residents = {k: counted[c] for k, c in cells.items()}
    relations = [((label, CITY), [(label, k) for k in keys[1:]]) for label in ("during", "before")]
    hidden = suppress(
        residents, relations, lambda parts: reach.union_exact(session, [cells[p] for p in parts]), threshold=threshold
    )
    targeted = {d.id for d in campaign.districts} or {d.id for d in districts}
    rows = []
    for district in [None, *[d for d in districts if d.id in targeted]]:
        key = district.id if district else CITY
        row: dict[str, Any] = {"district": district, "suppressed": False}
        for label, window in (("during", during), ("before", before)):
            if (label, key) in hidden:
                row["suppressed"] = True
                row[label] = None
                continue
            actions, co2e = totals[(label, key)]
            row[label] = {"actions_per_day": actions / window.days, "co2e_grams_per_day": co2e / window.days}
        if row["during"] and row["before"] and row["before"]["actions_per_day"]:
            row["change"] = row["during"]["actions_per_day"] / row["before"]["actions_per_day"] - 1
        else:
            row["change"] = None
        rows.append(row)
    return {"campaign": campaign, "during": during, "before": before, "rows": rows}
