"""Campaign impact, green families and merchants in the officials' figures."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models import Campaign, CampaignStatus, District, GreenFamily, Merchant, MerchantCategory, MerchantStatus
from webapp.services import projector, statistics
from webapp.services.statistics import Scope, Window

from .test_statistics_data import log, shanghai


def district(session, code: str) -> District:
    return session.scalar(select(District).where(District.code == code))


def test_campaign_impact_compares_days_during_with_the_four_weeks_before(session, make_user):
    residents = [make_user(district="371402") for _ in range(12)]
    for n, resident in enumerate(residents):  # before: one bus trip every other day for the first six
        if n < 6:
            for day in range(1, 29, 2):
                moment = shanghai(2026, 5, day, 8, 0)
                log(session, resident, "bus", 5, moment, moment + dt.timedelta(hours=1))
    for resident in residents:  # during (June 1-7): everyone, every day
        for day in range(1, 8):
            moment = shanghai(2026, 6, day, 8, 0)
            log(session, resident, "bus", 5, moment, moment + dt.timedelta(hours=1))
    for _ in range(10):
        walker = make_user(district="371403")
        log(session, walker, "walk", 5000, shanghai(2026, 6, 2, 9, 0), shanghai(2026, 6, 2, 10, 0))
    projector.fold_all(session)
    session.add(
        Campaign(
            name_zh="全国低碳日",
            name_en="National Low Carbon Day",
            status=CampaignStatus.ENDED,
            starts_at=shanghai(2026, 6, 1, 0, 0),
            ends_at=shanghai(2026, 6, 8, 0, 0),
        )
    )
    session.flush()
    impacts = statistics.campaign_impact(session, dt.date(2026, 11, 1))
    impact = next(i for i in impacts if i["campaign"].name_en == "National Low Carbon Day")
    assert impact["during"] == Window(dt.date(2026, 6, 1), dt.date(2026, 6, 7))
    assert impact["before"] == Window(dt.date(2026, 5, 4), dt.date(2026, 5, 31))
    rows = {r["district"].code if r["district"] else "all": r for r in impact["rows"]}
    decheng = rows["371402"]
    assert decheng["during"]["actions_per_day"] == 12
    before = sum(1 for d in range(1, 29, 2) if d >= 4) * 6 / 28
    assert decheng["before"] is None  # six residents before: a small cell
    assert decheng["suppressed"] is True and before > 0
    assert rows["371403"]["during"]["actions_per_day"] == 10 / 7 and rows["371403"]["change"] is None
    assert rows["all"]["during"]["actions_per_day"] == 94 / 7  # 84 bus trips and 10 walks
    assert rows["all"]["before"] is None  # the same six residents as Decheng


def test_green_families_count_when_they_exist_and_hide_when_small(session, make_user):
    founders = [make_user(district="371402") for _ in range(3)]
    for n, founder in enumerate(founders):
        session.add(
            GreenFamily(name=f"家庭{n}", founder_id=founder.id, member_count=4, created_at=shanghai(2026, 5, 1, 10, 0))
        )
    lonely = make_user(district="371403")
    session.add(GreenFamily(name="小家", founder_id=lonely.id, member_count=2, created_at=shanghai(2026, 5, 1, 10, 0)))
    session.flush()
    window = Window(dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    decheng = statistics.overview(session, Scope(window, district(session, "371402")))
    lingcheng = statistics.overview(session, Scope(window, district(session, "371403")))
    city = statistics.overview(session, Scope(window))
    assert city["green_families"] == 4
    assert lingcheng["green_families"] is None and lingcheng["suppressed"]["green_families"] is True
    # 12 members in Decheng, but the city minus Decheng would give Lingcheng's two away.
    assert decheng["green_families"] is None


def test_approved_merchants_are_counted_by_district(session):
    decheng = district(session, "371402")
    for n, status in enumerate([MerchantStatus.APPROVED, MerchantStatus.APPROVED, MerchantStatus.PENDING]):
        session.add(
            Merchant(name=f"统计测试商户{n}", district_id=decheng.id, category=MerchantCategory.CAFE, status=status)
        )
    session.flush()
    window = Window(dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert statistics.overview(session, Scope(window, decheng))["merchants"] == 2
