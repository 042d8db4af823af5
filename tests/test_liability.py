"""The city's credit liability: credits owed, their expected money value split into merchant-funded
and city-funded rewards, and the month-end trend, on the admin and official pages, the API and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import zoneinfo

import pytest
import time_machine
from sqlalchemy import select

from models import AuditEvent, EntryKind, Funder, Reward, Role
from webapp.services import ledger, liability, redemptions, rewards

from .pages import csrf_from, login
from .test_merchants_support import fund, make_reward

ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
_n = itertools.count(1)


def at(month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=ZONE).astimezone(dt.UTC)


def valued(session, staff, *, cost: int, value_fen: int, now=None, days: int = 10) -> Reward:
    reward = make_reward(session, staff, cost=cost, stock=50, limit=50, now=now, days=days)
    reward.value_fen = value_fen
    session.commit()
    return reward


def by_funder(position: liability.Position) -> dict[Funder, liability.Funding]:
    return {f.funder: f for f in position.funding}


def test_vouchers_keep_the_value_and_funder_they_were_issued_with(session, staff, resident, make_user, api):
    admin = make_user(Role.ADMIN)
    bag = valued(session, staff, cost=100, value_fen=500)
    ticket = valued(session, staff, cost=200, value_fen=2000)
    assert (
        api(admin).put(f"/api/v1/admin/merchants/rewards/{ticket.id}/funding", json={"funded_by": "city"}).status_code
        == 200
    )
    fund(session, resident, 1000)
    redemptions.redeem(session, resident, bag.id)
    redemptions.redeem(session, resident, ticket.id)
    session.commit()
    # The city stops paying for the ticket: the voucher already issued is still the city's.
    body = api(admin).put(f"/api/v1/admin/merchants/rewards/{ticket.id}/funding", json={"funded_by": "merchant"})
    assert body.status_code == 200 and body.get_json()["funded_by"] == "merchant"

    now = liability.position(session)
    merchant, city = by_funder(now)[Funder.MERCHANT], by_funder(now)[Funder.CITY]
    assert (merchant.voucher_count, merchant.voucher_credits, merchant.voucher_value_fen) == (1, 100, 500)
    assert (city.voucher_count, city.voucher_credits, city.voucher_value_fen) == (1, 200, 2000)
    assert (now.resident_credits, now.credits) == (700, 1000)
    # Nothing fulfilled yet: the two rewards on offer are the basis, 5 and 10 fen a credit, both the merchant's.
    assert (now.basis, now.basis_count) == ("catalogue", 2)
    assert (merchant.share, merchant.fen_per_credit, merchant.held_value_fen) == (1.0, 7.5, 5250)
    assert (city.share, city.held_value_fen) == (0.0, 0)
    assert now.value_fen == 500 + 5250 + 2000


def test_a_bad_funder_is_422_and_only_admins_set_it(session, staff, make_user, api):
    reward = valued(session, staff, cost=100, value_fen=500)
    admin = api(make_user(Role.ADMIN))
    path = f"/api/v1/admin/merchants/rewards/{reward.id}/funding"
    response = admin.put(path, json={"funded_by": "bank"})
    assert response.status_code == 422 and "funded_by" in response.get_json()["errors"]
    assert admin.put("/api/v1/admin/merchants/rewards/999999/funding", json={"funded_by": "city"}).status_code == 404
    assert api(staff).put(path, json={"funded_by": "city"}).status_code == 403
    session.expire_all()
    assert reward.funded_by == Funder.MERCHANT
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "reward.funder_set")) is None


def test_credits_held_are_valued_as_residents_redeemed_in_the_last_90_days(session, staff, resident, make_user):
    start = at(6, 1)
    cheap = valued(session, staff, cost=100, value_fen=300, now=start, days=300)  # 3 fen a credit
    dear = valued(session, staff, cost=100, value_fen=1000, now=start, days=300)  # 10 fen a credit
    rewards.set_funder(session, make_user(Role.ADMIN), dear.id, Funder.CITY)
    fund(session, resident, 10_000)
    now = at(12, 11)

    def fulfilled(reward, when):
        voucher, _ = redemptions.redeem(session, resident, reward.id, now=when - dt.timedelta(hours=1))
        redemptions.fulfil(session, staff, voucher.code, now=when)

    for days_ago in (5, 30, 60):
        fulfilled(cheap, now - dt.timedelta(days=days_ago))
    fulfilled(dear, now - dt.timedelta(days=10))
    fulfilled(dear, now - dt.timedelta(days=100))  # before the basis
    session.commit()

    point = liability.position(session, now)
    merchant, city = by_funder(point)[Funder.MERCHANT], by_funder(point)[Funder.CITY]
    assert (point.basis, point.basis_count) == ("redemptions", 4)
    assert point.resident_credits == 9_500
    assert (merchant.share, merchant.fen_per_credit) == (0.75, 3.0)
    assert (city.share, city.fen_per_credit) == (0.25, 10.0)
    assert (merchant.held_value_fen, city.held_value_fen) == (21_375, 23_750)
    assert point.voucher_count == 0


def test_no_basis_values_held_credits_at_nothing(session, resident):
    fund(session, resident, 400)
    point = liability.position(session)
    assert (point.basis, point.credits, point.value_fen) == ("none", 400, 0)


def test_the_trend_gives_each_month_end_from_the_rollup_and_the_voucher_times(session, staff, resident, fold):
    reward = valued(session, staff, cost=300, value_fen=900, now=at(10, 1), days=120)
    account = ledger.account_for(session, resident)

    def earn(amount, when):
        with time_machine.travel(when, tick=False):
            ledger.credit(session, account, EntryKind.EARN, amount, ("test", next(_n)))

    earn(1000, at(10, 15))
    with time_machine.travel(at(11, 10), tick=False):
        voucher, _ = redemptions.redeem(session, resident, reward.id)
    earn(500, at(11, 20))
    with time_machine.travel(at(12, 2), tick=False):
        redemptions.fulfil(session, staff, voucher.code)
    earn(200, at(12, 5))
    earn(7, at(11, 30, 23))  # 23:00 on 30 November, city time: still November
    session.commit()
    fold()

    points = liability.trend(session, at(12, 11))
    assert [p.month for p in points] == ["2026-10", "2026-11", "2026-12"]  # nothing was owed before October
    assert [p.final for p in points] == [True, True, False]
    october, november, december = points
    assert (october.resident_credits, october.voucher_count, october.credits) == (1000, 0, 1000)
    assert october.as_of == at(11, 1, 0)
    assert (november.resident_credits, november.voucher_credits, november.credits) == (1207, 300, 1507)
    assert by_funder(november)[Funder.MERCHANT].voucher_value_fen == 900
    assert (december.resident_credits, december.voucher_count) == (1407, 0)
    assert december.resident_credits == liability.position(session, at(12, 11)).resident_credits
    # December's basis is the voucher fulfilled on the 2nd: 3 fen a credit, all merchant-funded.
    assert (december.basis, by_funder(december)[Funder.MERCHANT].held_value_fen) == ("redemptions", 4221)


def test_admin_and_official_pages_and_csv(session, staff, resident, make_user, api, client):
    reward = valued(session, staff, cost=100, value_fen=250)
    fund(session, resident, 1000)
    redemptions.redeem(session, resident, reward.id)
    session.commit()
    admin, official = make_user(Role.ADMIN), make_user(Role.OFFICIAL)

    body = api(admin).get("/api/v1/admin/merchants/liability").get_json()
    assert body["total"] == body["position"]["credits"] == 1000
    funding = {f["funded_by"]: f for f in body["position"]["funding"]}
    assert funding["merchant"]["voucher_value_fen"] == 250 and funding["city"]["voucher_count"] == 0
    assert body["trend"][-1]["final"] is False

    stats = api(official).get("/api/v1/stats/liability").get_json()
    assert stats["position"]["value_fen"] == body["position"]["value_fen"] == 250 + 900 * 250 // 100
    assert "merchants" not in stats
    assert api(resident).get("/api/v1/stats/liability").status_code == 403
    assert api(staff).get("/api/v1/stats/liability.csv").status_code == 403

    login(client, admin)
    page = client.get("/admin/merchants/liability").get_data(as_text=True)
    assert 'data-test="expected-value">25.00<' in page  # 2,500 fen, shown in yuan
    assert 'data-test="liability-trend"' in page and "/admin/merchants/liability.csv" in page
    response = client.get("/admin/merchants/liability.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert response.mimetype == "text/csv" and rows[0] == liability.CSV_HEADER
    assert rows[-1][3:7] == ["900", "1", "100", "1000"] and rows[-1][11] == "25.00"

    officer = api(official)
    assert officer.get("/official/liability").status_code == 200
    assert officer.get("/official/liability.csv").status_code == 200
    assert officer.get("/admin/merchants/liability").status_code == 403
    exports = session.scalars(select(AuditEvent).where(AuditEvent.action == "statistics.exported")).all()
    assert [e.data["table"] for e in exports] == ["liability", "liability"]


def test_the_admin_sets_the_funder_on_the_merchant_page(session, staff, make_user, client):
    reward = valued(session, staff, cost=100, value_fen=500)
    login(client, make_user(Role.ADMIN))
    page = client.get(f"/admin/merchants/{staff.merchant_id}").get_data(as_text=True)
    assert 'data-test="reward-funding"' in page and "¥5.00" in page
    path = f"/admin/merchants/rewards/{reward.id}/funding"
    assert client.post(path, data={"csrf_token": csrf_from(page), "funded_by": "bank"}).status_code == 302
    session.expire_all()
    assert reward.funded_by == Funder.MERCHANT
    assert client.post(path, data={"csrf_token": csrf_from(page), "funded_by": "city"}).status_code == 302
    session.expire_all()
    assert reward.funded_by == Funder.CITY


@pytest.mark.parametrize(("typed", "stored", "status"), [("12.5", 1250, 302), ("-3", None, 422), ("abc", None, 422)])
def test_the_merchant_declares_a_value_in_yuan(session, staff, client, typed, stored, status):
    reward = make_reward(session, staff)
    login(client, staff)
    page = client.get(f"/merchant/rewards/{reward.id}/edit").get_data(as_text=True)
    zone = ZONE
    data = {
        "csrf_token": csrf_from(page),
        "title": reward.title_zh,
        "cost": "100",
        "stock": "10",
        "per_resident_limit": "1",
        "valid_from": reward.valid_from.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "valid_until": reward.valid_until.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "value_yuan": typed,
    }
    response = client.post(f"/merchant/rewards/{reward.id}/edit", data=data)
    assert response.status_code == status
    session.expire_all()
    assert reward.value_fen == stored
