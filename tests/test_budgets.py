"""Issuance budgets: one per month, never past or negative, forecast with an interval, alerts once."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import pytest
import time_machine
from sqlalchemy import func, select

from models import AuditEvent, BudgetPolicy, CreditBudget, EntryKind, Notice, NoticeKind, Role
from webapp.errors import Invalid
from webapp.services import budgets, ledger, projector
from webapp.services.settlement import current_month

from .campaign_support import at as camp_at
from .campaign_support import log, make_campaign
from .carbon import make_type
from .pages import csrf_from, login

ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
_n = itertools.count(1)
# Noon of 11 December 2026, city time: ten complete days and a half of a 31-day month.
NOW = dt.datetime(2026, 12, 11, 12, tzinfo=ZONE).astimezone(dt.UTC)


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, tzinfo=ZONE).astimezone(dt.UTC)


def earn(session, account, amount: int, when: dt.datetime, kind: EntryKind = EntryKind.EARN) -> None:
    """A credit at `when`, folded into the roll-ups as the projector would within seconds."""
    with time_machine.travel(when, tick=False):
        ledger.credit(session, account, kind, amount, ("test", next(_n)))
        projector.fold_all(session)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_forecast_is_the_linear_pace_with_a_band_from_daily_variance():
    point, low, high = budgets.forecast(1000, [100] * 10, 10.0, 30)
    assert (point, low, high) == (3000, 3000, 3000)  # no variance: no band
    point, low, high = budgets.forecast(1000, [50, 150] * 5, 10.0, 30)
    assert point == 3000 and low < 3000 < high and high - 3000 == 3000 - low
    assert budgets.forecast(0, [], 0.0, 31) == (0, 0, 0)


def test_status_counts_earn_and_bonus_of_the_city_month_only(session, resident, make_user):
    admin = make_user(Role.ADMIN)
    account = ledger.account_for(session, resident)
    earn(session, account, 999, dt.datetime(2026, 11, 30, 23, tzinfo=ZONE))  # November, city time
    for day in range(1, 11):
        earn(session, account, 100, at(day))
    earn(session, account, 50, at(11, 9), EntryKind.BONUS)
    with time_machine.travel(at(5), tick=False):
        ledger.debit(session, account, EntryKind.REDEEM, 30, ("test", next(_n)))
    budgets.set_budget(session, admin, "2026-12", 2000, BudgetPolicy.NOTIFY, at(1))
    status = budgets.status(session, NOW)
    assert status.issued == 1050 and status.days_in_month == 31 and status.days_elapsed == pytest.approx(10.5)
    assert status.forecast == round(1050 + 1050 / 10.5 * 20.5)
    assert status.forecast_low <= status.forecast <= status.forecast_high
    assert status.reached == ("forecast",) and status.over_forecast


@pytest.mark.parametrize(
    ("month", "credits", "field"),
    [("2026-11", 100, "month"), ("2026-12", 0, "credits"), ("2026-12", -5, "credits"), ("2026-13", 100, "month")],
)
def test_past_negative_or_malformed_budgets_are_refused_on_their_field(session, make_user, month, credits, field):
    admin = make_user(Role.ADMIN)
    with pytest.raises(Invalid) as refused:
        budgets.set_budget(session, admin, month, credits, BudgetPolicy.NOTIFY, NOW)
    assert field in refused.value.errors
    assert count(session, CreditBudget) == 0


def test_a_second_budget_for_the_same_month_is_refused(session, make_user):
    admin = make_user(Role.ADMIN)
    budgets.set_budget(session, admin, "2027-01", 500, BudgetPolicy.DAMP, NOW)
    with pytest.raises(Invalid) as refused:
        budgets.set_budget(session, admin, "2027-01", 900, BudgetPolicy.NOTIFY, NOW)
    assert "month" in refused.value.errors
    assert [b.credits for b in budgets.budgets(session)] == [500]
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "budget.set")) == "budget.set"


def test_alerts_post_once_per_admin_and_level(session, resident, make_user):
    first, second = make_user(Role.ADMIN), make_user(Role.ADMIN)
    account = ledger.account_for(session, resident)
    budgets.set_budget(session, first, "2026-12", 1000, BudgetPolicy.NOTIFY, at(1))
    for day in range(1, 11):
        earn(session, account, 85, at(day))
    assert budgets.alert_due(session, NOW) == 4  # 80% (850 of 1000) and the forecast, for two admins
    assert budgets.alert_due(session, NOW) == 0
    earn(session, account, 200, at(11, 10))
    assert budgets.alert_due(session, NOW) == 2  # 100% now
    refs = session.scalars(
        select(Notice.ref).where(Notice.kind == NoticeKind.BUDGET_ALERT, Notice.user_id == second.id)
    )
    assert sorted(refs) == ["2026-12:100", "2026-12:80", "2026-12:forecast"]


def test_no_budget_no_alert(session):
    assert budgets.status(session, NOW) is None
    assert budgets.alert_due(session, NOW) == 0


def test_budget_api_sets_lists_and_refuses_bad_input_with_the_field(session, api, make_user, resident):
    with time_machine.travel(NOW, tick=False):  # signed in at the frozen time, so the session is fresh
        admin = api(make_user(Role.ADMIN))
        assert api(resident).post("/api/v1/admin/budgets", json={"month": "2026-12", "credits": 5}).status_code == 403
        assert admin.get("/api/v1/admin/budgets/current").status_code == 404
        made = admin.post("/api/v1/admin/budgets", json={"month": "2026-12", "credits": 5000, "policy": "damp"})
        assert made.status_code == 201 and made.get_json()["policy"] == "damp"
        for body, field in [
            ({"month": "2026-12", "credits": 10}, "month"),
            ({"month": "2026-11", "credits": 10}, "month"),
            ({"month": "2027-01", "credits": -1}, "credits"),
            ({"month": "2027-01", "credits": 2_000_000_001}, "credits"),
            ({"month": "2027-1", "credits": 10}, "month"),
            ({"month": "2027-01", "credits": 10, "policy": "block"}, "policy"),
        ]:
            refused = admin.post("/api/v1/admin/budgets", json=body)
            assert refused.status_code == 422, body
            assert field in str(refused.get_json()), refused.get_json()
        assert [b["credits"] for b in admin.get("/api/v1/admin/budgets").get_json()] == [5000]
        current = admin.get("/api/v1/admin/budgets/current").get_json()
        assert current["budget"] == 5000 and current["issued"] == 0 and current["reached"] == []


def test_budget_page_shows_the_forecast_and_refuses_bad_input_on_the_form(session, app, make_user, resident):
    account = ledger.account_for(session, resident)
    for day in range(1, 11):
        earn(session, account, 100, at(day))
    with time_machine.travel(NOW, tick=False):
        client = app.test_client()
        assert login(client, make_user(Role.ADMIN)).status_code == 200
        page = client.get("/admin/budgets")
        assert page.status_code == 200
        token = csrf_from(page.get_data(as_text=True))
        bad = client.post(
            "/admin/budgets", data={"csrf_token": token, "month": "2026-10", "credits": 9, "policy": "notify"}
        )
        assert bad.status_code == 422 and count(session, CreditBudget) == 0
        made = client.post(
            "/admin/budgets", data={"csrf_token": token, "month": "2026-12", "credits": 1500, "policy": "notify"}
        )
        assert made.status_code == 302
        again = client.post(
            "/admin/budgets", data={"csrf_token": token, "month": "2026-12", "credits": 9, "policy": "notify"}
        )
        assert again.status_code == 422 and count(session, CreditBudget) == 1
        html = client.get("/admin/budgets").get_data(as_text=True)
    assert "1000 / 1500" in html and str(round(1000 + 1000 / 10.5 * 20.5)) in html


def test_a_damp_budget_over_forecast_is_damped_once_and_audited(session, resident, make_user):
    admin = make_user(Role.ADMIN)
    account = ledger.account_for(session, resident)
    budget = budgets.set_budget(session, admin, "2026-12", 1000, BudgetPolicy.DAMP, at(1))
    for day in range(1, 11):
        earn(session, account, 60, at(day))  # 600 by the 11th: forecast ~1770 > 1000
    budgets.alert_due(session, NOW)
    first = budget.damped_at
    budgets.alert_due(session, NOW + dt.timedelta(hours=1))
    session.refresh(budget)
    assert first is not None and budget.damped_at == first
    assert session.scalar(select(func.count()).where(AuditEvent.action == "budget.damp")) == 1
    assert budgets.damped(session, NOW) and not budgets.damped(session, NOW - dt.timedelta(hours=1))


def test_damping_puts_campaigns_at_x1_for_the_rest_of_the_month_never_touching_co2e(session, resident, make_user):
    bus = make_type(session, grams="100")
    make_campaign(
        session, make_user(Role.PUBLICITY), starts=camp_at(), ends=camp_at(days=1), multipliers={bus.code: "2"}
    )
    session.add(
        CreditBudget(
            month=current_month(session, camp_at(hours=6)),
            credits=10,
            policy=BudgetPolicy.DAMP,
            damped_at=camp_at(hours=6),
        )
    )
    session.flush()
    before, _ = log(session, resident, bus, "1", occurred_at=camp_at(hours=3), now=camp_at(hours=20))
    after, account = log(session, resident, bus, "1", occurred_at=camp_at(hours=12), now=camp_at(hours=20))
    assert (before.multiplier, before.credits) == (2, 200)
    assert (after.multiplier, after.credits, after.co2e_grams) == (1, 100, 100)
    assert account.co2e_grams == 200


def test_the_campaign_page_tells_residents_when_campaigns_are_damped(session, client, make_user):
    admin = make_user(Role.ADMIN)
    budget = budgets.set_budget(session, admin, "2026-12", 1000, BudgetPolicy.DAMP, at(1))
    with time_machine.travel(NOW, tick=False):
        assert 'data-test="damped"' not in client.get("/campaigns").get_data(as_text=True)
        budget.damped_at = NOW - dt.timedelta(hours=2)
        session.flush()
        assert 'data-test="damped"' in client.get("/campaigns").get_data(as_text=True)
