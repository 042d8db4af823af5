"""Campaign budgets: what a campaign adds (boosts and bonuses) folded per city day, its pace and
forecast, validation and edits, alerts once per admin, damping one campaign's multipliers only."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from flask_babel import force_locale
from sqlalchemy import func, select, update

from models import (
    AuditEvent,
    BudgetPolicy,
    CampaignBudget,
    CampaignIssuance,
    CreditBudget,
    Notice,
    NoticeKind,
    Role,
    User,
)
from webapp.campaign_texts import notice_text
from webapp.errors import Invalid, NotFound
from webapp.services import budgets, campaigns, ledger, projector
from webapp.services.statistics import verify

from .campaign_support import SHANGHAI, log, make_campaign
from .carbon import make_type
from .pages import csrf_from, login

# A ten-day campaign from city midnight on Monday 15 June 2026 (16:00 UTC the day before).
START = dt.datetime(2026, 6, 15, tzinfo=SHANGHAI)
API = "/api/v1/admin/budgets"


def day(d: float, hour: float = 12) -> dt.datetime:
    """Hour `hour` (city time) of day `d` of the campaign, in UTC."""
    return (START + dt.timedelta(days=d, hours=hour)).astimezone(dt.UTC)


def city_day(d: int) -> dt.date:
    return (START + dt.timedelta(days=d)).date()


def campaign(session, publicity, *, days: int = 10, **kwargs):
    return make_campaign(session, publicity, starts=day(0, 0), ends=day(days, 0), **kwargs)


def act(session, user, action_type, quantity, when: dt.datetime):
    """An action logged at `when` and folded at that moment, as the projector would within seconds."""
    with time_machine.travel(when, tick=False):
        action, _ = log(session, user, action_type, quantity, occurred_at=when)
        projector.fold_all(session)
    return action


def issuance(session, campaign_id: int) -> list[tuple]:
    t = CampaignIssuance
    rows = session.execute(
        select(t.day, t.actions, t.boost, t.bonus).where(t.campaign_id == campaign_id).order_by(t.day)
    )
    return [tuple(r) for r in rows]


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def audits(session, action: str, target) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == action,
                AuditEvent.target_type == type(target).__name__,
                AuditEvent.target_id == target.id,
            )
            .order_by(AuditEvent.id)
        )
    )


def admin_count(session) -> int:
    return count(session, User, User.role == Role.ADMIN, User.deleted_at.is_(None))


# --- 1. Attribution: the roll-up ------------------------------------------------------------------------


def test_boosts_fold_as_credits_above_co2e_by_the_actions_city_day(session, resident, make_user):
    bus = make_type(session, grams="100")
    capped = make_type(session, grams="100", cap_self=300)
    week = campaign(session, make_user(Role.PUBLICITY), multipliers={bus.code: "2", capped.code: "2"})
    first = act(session, resident, bus, "1", day(0, 10))
    early = act(session, resident, bus, "3", day(1, 7))  # 07:00 city time is still the 15th in UTC
    cut = act(session, resident, capped, "2", day(0, 11))  # wants 400, the cap of 300 leaves 100 above CO2e
    none_left = act(session, resident, capped, "1", day(0, 12))  # the cap is used up: 0 credits
    before = act(session, resident, bus, "1", day(-1, 23))  # outside the window
    after = act(session, resident, bus, "1", day(10, 1))
    assert (first.credits, early.credits) == (200, 600)
    assert (cut.co2e_grams, cut.credits, cut.capped) == (200, 300, True)
    assert (none_left.credits, none_left.campaign_ids) == (0, [week.id])
    assert before.campaign_ids == [] and after.campaign_ids == [] and before.credits == after.credits == 100
    assert early.occurred_at.date() == city_day(0)  # the UTC date differs: the city day decides
    assert issuance(session, week.id) == [(city_day(0), 2, 100 + 100, 0), (city_day(1), 1, 300, 0)]
    assert count(session, CampaignIssuance) == 2
    assert budgets.issuance_differences(session) == []


def test_two_campaigns_tying_on_the_multiplier_both_count_the_boost(session, resident, make_user):
    bike = make_type(session, grams="100")
    publicity = make_user(Role.PUBLICITY)
    one = campaign(session, publicity, multipliers={bike.code: "2"})
    other = campaign(session, publicity, days=3, multipliers={bike.code: "2"}, name="骑行日")
    lower = campaign(session, publicity, multipliers={bike.code: "1.5"}, name="绿色出行")
    action = act(session, resident, bike, "1", day(1))
    assert sorted(action.campaign_ids) == sorted([one.id, other.id]) and action.credits == 200
    assert issuance(session, one.id) == issuance(session, other.id) == [(city_day(1), 1, 100, 0)]
    assert issuance(session, lower.id) == []
    assert budgets.issuance_differences(session) == []


def test_a_challenge_bonus_lands_on_its_campaign_on_the_city_day_it_was_paid(session, resident, make_user):
    walk = make_type(session, grams="50")
    publicity = make_user(Role.PUBLICITY)
    quest = campaign(session, publicity, challenges=[{"type": walk.code, "count": 2, "bonus_credits": 70}])
    bystander = campaign(session, publicity, name="旁观者")
    act(session, resident, walk, "1", day(0, 10))
    paid_at = day(2, 7)  # 07:00 on the 17th, city time: still the 16th in UTC
    act(session, resident, walk, "1", paid_at)
    assert paid_at.date() == city_day(1)
    assert issuance(session, quest.id) == [(city_day(2), 0, 0, 70)]  # no multiplier: no boost, only the bonus
    assert issuance(session, bystander.id) == []
    assert budgets.issuance_differences(session) == []


def test_issuance_differences_find_a_tampered_or_missing_row(session, resident, make_user):
    bus = make_type(session, grams="100")
    week = campaign(session, make_user(Role.PUBLICITY), multipliers={bus.code: "2"})
    act(session, resident, bus, "1", day(0))
    act(session, resident, bus, "1", day(1))
    assert budgets.issuance_differences(session) == []
    t = CampaignIssuance
    session.execute(update(t).where(t.campaign_id == week.id, t.day == city_day(0)).values(boost=t.boost + 1))
    problems = budgets.issuance_differences(session)
    assert len(problems) == 2 and all(p.startswith("stat_campaigns") for p in problems)
    assert any("101" in p and "not in the rebuild" in p for p in problems)
    assert any(", 100," in p and "not folded" in p for p in problems)
    assert any(p.startswith("stat_campaigns") for p in verify.differences(session))  # the nightly check
    session.execute(t.__table__.delete().where(t.campaign_id == week.id, t.day == city_day(1)))
    assert any("rebuilt" in p and repr(city_day(1)) in p for p in budgets.issuance_differences(session))


# --- 2. Status -------------------------------------------------------------------------------------------


def spending_campaign(session, resident, make_user, credits: int = 1000, policy=BudgetPolicy.NOTIFY):
    """A campaign with boosts of 100, 300, 100, 300 over its first four days and a bonus of 50 on the
    fourth: 850 added by noon of the fifth day (4.5 of 10 days)."""
    bus, walk = make_type(session, grams="100"), make_type(session, grams="10")
    run = campaign(
        session,
        make_user(Role.PUBLICITY),
        multipliers={bus.code: "2"},
        challenges=[{"type": walk.code, "count": 1, "bonus_credits": 50}],
    )
    for d, quantity in enumerate(("1", "3", "1", "3")):
        act(session, resident, bus, quantity, day(d, 10))
    act(session, resident, walk, "1", day(3, 11))
    budget = budgets.set_campaign_budget(session, make_user(Role.ADMIN), run.id, credits, policy, day(0, 1))
    return run, budget, bus


def test_campaign_spend_is_boost_plus_bonus_with_a_forecast_for_the_campaigns_end(session, resident, make_user):
    run, budget, _ = spending_campaign(session, resident, make_user)
    assert issuance(session, run.id)[-1] == (city_day(3), 1, 300, 50)
    spend = budgets.campaign_spend(session, budget, day(4, 12))
    assert (spend.boost, spend.bonus, spend.issued, spend.budget) == (800, 50, 850, 1000)
    assert spend.campaign_id == run.id and spend.share == pytest.approx(0.85)
    assert spend.days_elapsed == pytest.approx(4.5) and spend.days_total == pytest.approx(10)
    assert spend.forecast == round(850 + 850 / 4.5 * 5.5)
    assert spend.forecast_low < spend.forecast < spend.forecast_high  # the days vary: a band
    assert spend.over_forecast and spend.reached == ("80", "forecast")
    admin = make_user(Role.ADMIN)
    budgets.change_budget(session, admin, CampaignBudget, budget.id, 800, BudgetPolicy.NOTIFY, day(4, 12))
    assert budgets.campaign_spend(session, budget, day(4, 12)).reached == ("80", "100", "forecast")
    budgets.change_budget(session, admin, CampaignBudget, budget.id, 5000, BudgetPolicy.NOTIFY, day(4, 12))
    calm = budgets.campaign_spend(session, budget, day(4, 12))
    assert calm.reached == () and not calm.over_forecast
    assert [s.id for s in budgets.campaign_spends(session, day(4, 12))] == [budget.id]


def test_before_the_start_nothing_is_forecast_and_budgetable_campaigns_leave_out_the_done(session, make_user):
    publicity = make_user(Role.PUBLICITY)
    soon, ended, cancelled, taken = (campaign(session, publicity, name=f"活动{i}") for i in range(4))
    later = make_campaign(session, publicity, starts=day(20, 0), ends=day(30, 0), name="活动5")
    campaigns.cancel(session, publicity, cancelled.id, now=day(-1))
    budget = budgets.set_campaign_budget(session, make_user(Role.ADMIN), taken.id, 100, BudgetPolicy.NOTIFY, day(-1))
    spend = budgets.campaign_spend(session, budget, day(-1))
    assert (spend.issued, spend.days_elapsed, spend.forecast, spend.reached) == (0, 0, 0, ())
    assert [c.id for c in budgets.budgetable_campaigns(session, day(-1))] == [soon.id, ended.id, later.id]
    assert [c.id for c in budgets.budgetable_campaigns(session, day(11))] == [later.id]


# --- 3. Validation and edits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "credits", "field"),
    [("ended", 100, "campaign_id"), ("cancelled", 100, "campaign_id"), ("open", 0, "credits"), ("open", -5, "credits")],
)
def test_bad_campaign_budgets_are_refused_on_their_field(session, make_user, case, credits, field):
    publicity = make_user(Role.PUBLICITY)
    run = campaign(session, publicity)
    now = day(2)
    if case == "ended":
        now = day(10, 1)
    elif case == "cancelled":
        campaigns.cancel(session, publicity, run.id, now=day(1))
    with pytest.raises(Invalid) as refused:
        budgets.set_campaign_budget(session, make_user(Role.ADMIN), run.id, credits, BudgetPolicy.NOTIFY, now)
    assert list(refused.value.errors) == [field]
    assert count(session, CampaignBudget) == 0
    assert count(session, AuditEvent, AuditEvent.action == "budget.set") == 0


def test_a_second_budget_for_the_same_campaign_and_an_unknown_campaign_are_refused(session, make_user):
    admin = make_user(Role.ADMIN)
    run = campaign(session, make_user(Role.PUBLICITY))
    budgets.set_campaign_budget(session, admin, run.id, 500, BudgetPolicy.DAMP, day(1))
    with pytest.raises(Invalid) as refused:
        budgets.set_campaign_budget(session, admin, run.id, 900, BudgetPolicy.NOTIFY, day(1))
    assert list(refused.value.errors) == ["campaign_id"]
    assert [(b.credits, b.policy) for b in budgets.campaign_budgets(session)] == [(500, BudgetPolicy.DAMP)]
    with pytest.raises(NotFound):
        budgets.set_campaign_budget(session, admin, run.id + 1000, 500, BudgetPolicy.NOTIFY, day(1))
    assert count(session, CampaignBudget) == 1
    assert count(session, AuditEvent, AuditEvent.action == "budget.set") == 1


def test_changing_a_campaign_budget_is_audited_and_lifts_the_damping(session, make_user):
    admin = make_user(Role.ADMIN)
    run = campaign(session, make_user(Role.PUBLICITY))
    budget = budgets.set_campaign_budget(session, admin, run.id, 1000, BudgetPolicy.NOTIFY, day(1))
    budget.damped_at = day(3)
    session.flush()
    changed = budgets.change_budget(session, admin, CampaignBudget, budget.id, 2000, BudgetPolicy.DAMP, day(4))
    session.expire_all()
    kept = session.get(CampaignBudget, budget.id)
    assert changed.id == budget.id and (kept.credits, kept.policy, kept.damped_at) == (2000, BudgetPolicy.DAMP, None)
    [event] = audits(session, "budget.changed", kept)
    assert event.actor_id == admin.id
    assert event.before["credits"] == 1000 and event.before["policy"] == "notify" and event.before["damped_at"]
    assert event.after == {"credits": 2000, "policy": "damp"}
    with pytest.raises(Invalid) as refused:
        budgets.change_budget(session, admin, CampaignBudget, budget.id, 0, BudgetPolicy.DAMP, day(4))
    assert list(refused.value.errors) == ["credits"]
    with pytest.raises(NotFound):
        budgets.change_budget(session, admin, CampaignBudget, budget.id + 1000, 5, BudgetPolicy.DAMP, day(4))
    session.expire_all()
    assert session.get(CampaignBudget, budget.id).credits == 2000
    assert len(audits(session, "budget.changed", kept)) == 1


def test_changing_the_city_budget_lifts_its_damping_too(session, make_user):
    admin = make_user(Role.ADMIN)
    budget = budgets.set_budget(session, admin, "2026-06", 1000, BudgetPolicy.DAMP, day(0))
    budget.damped_at = day(3)
    session.flush()
    budgets.change_budget(session, admin, CreditBudget, budget.id, 3000, BudgetPolicy.NOTIFY, day(4))
    session.expire_all()
    kept = session.get(CreditBudget, budget.id)
    assert (kept.credits, kept.policy, kept.damped_at) == (3000, BudgetPolicy.NOTIFY, None)
    assert audits(session, "budget.changed", kept)[0].after == {"credits": 3000, "policy": "notify"}


def test_a_past_months_budget_is_the_record(session, make_user):
    admin = make_user(Role.ADMIN)
    past = CreditBudget(month="2026-05", credits=100, policy=BudgetPolicy.NOTIFY)
    session.add(past)
    session.flush()
    with pytest.raises(Invalid) as refused:
        budgets.change_budget(session, admin, CreditBudget, past.id, 500, BudgetPolicy.DAMP, day(2))
    assert list(refused.value.errors) == ["month"]
    with pytest.raises(Invalid) as refused:
        budgets.delete_budget(session, admin, CreditBudget, past.id, day(2))
    assert list(refused.value.errors) == ["month"]
    session.expire_all()
    kept = session.get(CreditBudget, past.id)
    assert (kept.credits, kept.policy) == (100, BudgetPolicy.NOTIFY)
    assert count(session, AuditEvent, AuditEvent.action.in_(["budget.changed", "budget.deleted"])) == 0


def test_an_ended_campaigns_budget_is_the_record(session, make_user):
    admin = make_user(Role.ADMIN)
    run = campaign(session, make_user(Role.PUBLICITY))
    budget = budgets.set_campaign_budget(session, admin, run.id, 1000, BudgetPolicy.NOTIFY, day(1))
    for attempt in (
        lambda: budgets.change_budget(session, admin, CampaignBudget, budget.id, 5, BudgetPolicy.DAMP, day(10, 1)),
        lambda: budgets.delete_budget(session, admin, CampaignBudget, budget.id, day(10, 1)),
    ):
        with pytest.raises(Invalid) as refused:
            attempt()
        assert list(refused.value.errors) == ["campaign_id"]
    session.expire_all()
    assert session.get(CampaignBudget, budget.id).credits == 1000


def test_deleting_a_future_city_budget_and_a_running_campaigns_budget(session, make_user):
    admin = make_user(Role.ADMIN)
    run = campaign(session, make_user(Role.PUBLICITY))
    month = budgets.set_budget(session, admin, "2026-07", 500, BudgetPolicy.NOTIFY, day(2))
    mine = budgets.set_campaign_budget(session, admin, run.id, 800, BudgetPolicy.DAMP, day(1))
    budgets.delete_budget(session, admin, CreditBudget, month.id, day(2))
    budgets.delete_budget(session, admin, CampaignBudget, mine.id, day(2))
    assert count(session, CreditBudget) == 0 and count(session, CampaignBudget) == 0
    [gone_month] = audits(session, "budget.deleted", month)
    [gone_campaign] = audits(session, "budget.deleted", mine)
    assert gone_month.before == {"credits": 500, "policy": "notify", "month": "2026-07"}
    assert gone_campaign.before == {"credits": 800, "policy": "damp", "campaign_id": run.id}
    with pytest.raises(NotFound):
        budgets.delete_budget(session, admin, CampaignBudget, mine.id, day(2))
    assert run.id in [c.id for c in budgets.budgetable_campaigns(session, day(2))]  # it may get one again


# --- 4. Alerts -------------------------------------------------------------------------------------------


def test_campaign_alerts_post_once_per_admin_and_level_and_read_as_text(app, session, resident, make_user):
    first = make_user(Role.ADMIN)
    run, budget, bus = spending_campaign(session, resident, make_user)
    admins = admin_count(session)
    assert admins >= 2
    assert budgets.alert_due(session, day(4, 12)) == 2 * admins  # 80% and the forecast
    assert budgets.alert_due(session, day(4, 13)) == 0
    refs = sorted(session.scalars(select(Notice.ref).where(Notice.user_id == first.id)))
    assert refs == [f"c{run.id}:80", f"c{run.id}:forecast"]
    act(session, resident, bus, "2", day(4, 14))  # 850 + 200: over the budget now
    assert budgets.alert_due(session, day(4, 15)) == admins
    assert budgets.alert_due(session, day(4, 16)) == 0
    assert count(session, Notice, Notice.kind == NoticeKind.BUDGET_ALERT) == 3 * admins
    assert budget.damped_at is None  # only notify
    notices = {
        n.ref: n
        for n in session.scalars(
            select(Notice).where(Notice.user_id == first.id, Notice.kind == NoticeKind.BUDGET_ALERT)
        )
    }
    assert notices[f"c{run.id}:80"].data["issued"] == 850 and notices[f"c{run.id}:100"].data["issued"] == 1050
    with app.test_request_context(), force_locale("en"):
        title, body = notice_text(notices[f"c{run.id}:80"], None)
        assert title and "Low-carbon week" in body and "850" in body and "1000" in body
        _, body = notice_text(notices[f"c{run.id}:forecast"], None)
        assert "Low-carbon week" in body and str(notices[f"c{run.id}:forecast"].data["forecast"]) in body
        _, body = notice_text(notices[f"c{run.id}:100"], None)
        assert "1050" in body and "2026" not in body  # the campaign's, not a month's text
    with app.test_request_context(), force_locale("zh_CN"):
        _, body = notice_text(notices[f"c{run.id}:80"], None)
        assert "低碳周" in body and "850" in body


def test_a_campaign_budget_not_reached_or_not_started_posts_nothing(session, resident, make_user):
    make_user(Role.ADMIN)
    run, budget, _ = spending_campaign(session, resident, make_user, credits=100_000)
    assert budgets.campaign_spend(session, budget, day(4, 12)).reached == ()
    assert budgets.alert_due(session, day(4, 12)) == 0
    assert budgets.alert_due(session, day(-1)) == 0
    assert count(session, Notice, Notice.kind == NoticeKind.BUDGET_ALERT) == 0
    assert not any(f"c{run.id}:" in ref for ref in session.scalars(select(Notice.ref)) if ref)


# --- 5. Damping ------------------------------------------------------------------------------------------


def test_damping_leaves_out_only_that_campaigns_multipliers_never_touching_co2e(session, resident, make_user):
    admin = make_user(Role.ADMIN)
    bus, bike = make_type(session, grams="100"), make_type(session, grams="100")
    publicity = make_user(Role.PUBLICITY)
    capped = campaign(session, publicity, multipliers={bus.code: "3", bike.code: "2"})
    other = campaign(session, publicity, multipliers={bus.code: "2"}, name="公交周")
    city = budgets.set_budget(session, admin, "2026-06", 10_000_000, BudgetPolicy.DAMP, day(0, 1))
    budget = budgets.set_campaign_budget(session, admin, capped.id, 500, BudgetPolicy.DAMP, day(0, 1))
    for d in (0, 1):
        boosted = act(session, resident, bus, "1", day(d, 10))
        assert (boosted.multiplier, boosted.campaign_ids, boosted.credits) == (3, [capped.id], 300)
    moment = day(2, 12)  # 400 added, forecast 1600 over 500
    budgets.alert_due(session, moment)
    session.refresh(budget)
    assert budget.damped_at == moment
    budgets.alert_due(session, moment + dt.timedelta(hours=1))
    session.refresh(budget)
    assert budget.damped_at == moment
    assert len(audits(session, "budget.damp", budget)) == 1
    assert budgets.damped_campaigns(session, moment) == {capped.id: moment}
    assert budgets.damped_campaigns(session, moment - dt.timedelta(seconds=1)) == {}

    bus_after = act(session, resident, bus, "1", day(3, 10))
    bike_after = act(session, resident, bike, "1", day(3, 11))
    with time_machine.travel(day(3, 12), tick=False):  # synced late, it happened before the damping
        late, account = log(session, resident, bus, "1", occurred_at=day(2, 11), now=day(3, 12))
        projector.fold_all(session)
    assert (bus_after.multiplier, bus_after.campaign_ids, bus_after.credits) == (2, [other.id], 200)
    assert (bike_after.multiplier, bike_after.campaign_ids, bike_after.credits) == (1, [], 100)
    assert (late.multiplier, late.campaign_ids, late.credits) == (3, [capped.id], 300)
    assert {a.co2e_grams for a in (bus_after, bike_after, late)} == {100}
    session.refresh(account)
    assert account.co2e_grams == 5 * 100
    assert issuance(session, other.id) == [(city_day(3), 1, 100, 0)]
    assert [row[2] for row in issuance(session, capped.id)] == [200, 200, 200]
    session.refresh(city)
    assert city.damped_at is None and not budgets.damped(session, day(3, 10))
    assert count(session, AuditEvent, AuditEvent.action == "budget.damp") == 1
    assert budgets.issuance_differences(session) == []
    assert ledger.verify(session) == []


def test_a_notify_campaign_budget_over_its_forecast_is_never_damped(session, resident, make_user):
    make_user(Role.ADMIN)
    run, budget, bus = spending_campaign(session, resident, make_user, credits=500)
    assert budgets.alert_due(session, day(4, 12)) > 0
    session.refresh(budget)
    assert budget.damped_at is None and budgets.damped_campaigns(session, day(5)) == {}
    assert act(session, resident, bus, "1", day(5, 10)).multiplier == 2
    assert issuance(session, run.id)[-1] == (city_day(5), 1, 100, 0)
    assert count(session, AuditEvent, AuditEvent.action == "budget.damp") == 0


# --- 6. API ----------------------------------------------------------------------------------------------


def fields_of(response) -> list[str]:
    """The fields a 422 body names."""
    return sorted(response.get_json()["errors"])


def test_campaign_budget_api(session, api, make_user, resident):
    publicity = make_user(Role.PUBLICITY)
    run = campaign(session, publicity)
    spare = campaign(session, publicity, name="备用")
    with time_machine.travel(day(2), tick=False):
        admin = api(make_user(Role.ADMIN))
        outsider = api(resident)
        for method, path in [
            ("get", f"{API}/campaigns"),
            ("post", f"{API}/campaigns"),
            ("get", f"{API}/campaigns/1"),
            ("put", f"{API}/campaigns/1"),
            ("delete", f"{API}/campaigns/1"),
            ("put", f"{API}/1"),
            ("delete", f"{API}/1"),
        ]:
            body = {"campaign_id": run.id, "credits": 10} if method in ("post", "put") else None
            call = getattr(outsider, method)
            refused = call(path, json=body) if body else call(path)
            assert refused.status_code == 403, (method, path)
        assert admin.get(f"{API}/campaigns").get_json() == []
        made = admin.post(f"{API}/campaigns", json={"campaign_id": run.id, "credits": 1000, "policy": "damp"})
        assert made.status_code == 201, made.get_json()
        shown = made.get_json()
        assert (shown["campaign_id"], shown["budget"], shown["policy"]) == (run.id, 1000, "damp")
        assert (shown["issued"], shown["boost"], shown["bonus"], shown["reached"]) == (0, 0, 0, [])
        assert shown["campaign_name_en"] == "Low-carbon week" and shown["days_total"] == pytest.approx(10)
        budget_id = shown["id"]
        for body, field in [
            ({"campaign_id": "x", "credits": 10}, "campaign_id"),
            ({"campaign_id": spare.id, "credits": -1}, "credits"),
            ({"campaign_id": spare.id, "credits": 79342229146059866112}, "credits"),  # the fuzzer's, past int4
            ({"campaign_id": 2**31, "credits": 10}, "campaign_id"),
            ({"campaign_id": spare.id, "credits": 10, "policy": "block"}, "policy"),
            ({"campaign_id": run.id, "credits": 10}, "campaign_id"),  # it has one already
        ]:
            refused = admin.post(f"{API}/campaigns", json=body)
            assert refused.status_code == 422, body
            assert fields_of(refused) == [field], refused.get_json()
        assert admin.post(f"{API}/campaigns", json={"campaign_id": spare.id + 1000, "credits": 10}).status_code == 404
        assert [b["id"] for b in admin.get(f"{API}/campaigns").get_json()] == [budget_id]
        one = admin.get(f"{API}/campaigns/{budget_id}")
        assert one.status_code == 200 and one.get_json()["budget"] == 1000
        assert admin.get(f"{API}/campaigns/{budget_id + 1000}").status_code == 404

        changed = admin.put(f"{API}/campaigns/{budget_id}", json={"credits": 2000, "policy": "notify"})
        assert changed.status_code == 200 and (changed.get_json()["budget"], changed.get_json()["policy"]) == (
            2000,
            "notify",
        )
        for body, field in [
            ({"credits": -1}, "credits"),
            ({"credits": 79342229146059866112}, "credits"),
            ({"credits": 5, "policy": "block"}, "policy"),
        ]:
            refused = admin.put(f"{API}/campaigns/{budget_id}", json=body)
            assert refused.status_code == 422 and fields_of(refused) == [field], refused.get_json()
        assert admin.put(f"{API}/campaigns/{budget_id + 1000}", json={"credits": 5}).status_code == 404
        session.expire_all()
        assert session.get(CampaignBudget, budget_id).credits == 2000
        assert admin.delete(f"{API}/campaigns/{budget_id + 1000}").status_code == 404
        assert admin.delete(f"{API}/campaigns/{budget_id}").status_code == 204
        assert admin.get(f"{API}/campaigns/{budget_id}").status_code == 404
        assert count(session, CampaignBudget) == 0


def test_city_budget_change_and_delete_api(session, api, make_user):
    past = CreditBudget(month="2026-05", credits=100, policy=BudgetPolicy.NOTIFY)
    session.add(past)
    session.flush()
    with time_machine.travel(day(2), tick=False):
        admin = api(make_user(Role.ADMIN))
        made = admin.post(API, json={"month": "2026-07", "credits": 500})
        assert made.status_code == 201
        budget_id = made.get_json()["id"]
        changed = admin.put(f"{API}/{budget_id}", json={"credits": 700, "policy": "damp"})
        assert changed.status_code == 200, changed.get_json()
        assert (changed.get_json()["credits"], changed.get_json()["policy"]) == (700, "damp")
        for body, field in [
            ({"credits": -1}, "credits"),
            ({"credits": 79342229146059866112}, "credits"),
            ({"credits": 5, "policy": "block"}, "policy"),
        ]:
            refused = admin.put(f"{API}/{budget_id}", json=body)
            assert refused.status_code == 422 and fields_of(refused) == [field], refused.get_json()
        for refused in (admin.put(f"{API}/{past.id}", json={"credits": 5}), admin.delete(f"{API}/{past.id}")):
            assert refused.status_code == 422 and fields_of(refused) == ["month"], refused.get_json()
        assert admin.put(f"{API}/{budget_id + 1000}", json={"credits": 5}).status_code == 404
        assert admin.delete(f"{API}/{budget_id + 1000}").status_code == 404
        assert admin.delete(f"{API}/{budget_id}").status_code == 204
        assert [b["month"] for b in admin.get(API).get_json()] == ["2026-05"]
    session.expire_all()
    assert session.get(CreditBudget, past.id).credits == 100


# --- 7. Pages --------------------------------------------------------------------------------------------


def test_budget_pages_set_edit_and_remove_a_campaign_budget(session, app, make_user):
    run = campaign(session, make_user(Role.PUBLICITY))
    with time_machine.travel(day(2), tick=False):
        client = app.test_client()
        assert login(client, make_user(Role.ADMIN)).status_code == 200
        page = client.get("/admin/budgets")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert f'value="{run.id}"' in html and "data-campaign-budget" not in html
        token = csrf_from(html)
        for bad in (
            {"campaign_id": run.id, "credits": 0, "policy": "notify"},
            {"campaign_id": run.id, "credits": -5, "policy": "notify"},
            {"campaign_id": run.id, "credits": 2_000_000_001, "policy": "notify"},
            {"campaign_id": "x", "credits": 10, "policy": "notify"},
            {"campaign_id": run.id, "credits": 10, "policy": "block"},
        ):
            refused = client.post("/admin/budgets/campaigns", data={"csrf_token": token, **bad})
            assert refused.status_code == 422, bad
        assert count(session, CampaignBudget) == 0
        made = client.post(
            "/admin/budgets/campaigns",
            data={"csrf_token": token, "campaign_id": run.id, "credits": 1500, "policy": "damp"},
        )
        assert made.status_code == 302
        [budget] = budgets.campaign_budgets(session)
        assert (budget.campaign_id, budget.credits, budget.policy) == (run.id, 1500, BudgetPolicy.DAMP)
        html = client.get("/admin/budgets").get_data(as_text=True)
        assert f'data-campaign-budget="{run.id}"' in html and "0 / 1500" in html
        assert f"/admin/budgets/campaign/{budget.id}" in html
        again = client.post(
            "/admin/budgets/campaigns",
            data={"csrf_token": token, "campaign_id": run.id, "credits": 10, "policy": "notify"},
        )
        assert again.status_code == 422 and count(session, CampaignBudget) == 1

        edit = client.get(f"/admin/budgets/campaign/{budget.id}")
        assert edit.status_code == 200 and 'value="1500"' in edit.get_data(as_text=True)
        bad = client.post(
            f"/admin/budgets/campaign/{budget.id}", data={"csrf_token": token, "credits": -1, "policy": "damp"}
        )
        assert bad.status_code == 422
        saved = client.post(
            f"/admin/budgets/campaign/{budget.id}", data={"csrf_token": token, "credits": 2500, "policy": "notify"}
        )
        assert saved.status_code == 302
        session.expire_all()
        assert (session.get(CampaignBudget, budget.id).credits, session.get(CampaignBudget, budget.id).policy) == (
            2500,
            BudgetPolicy.NOTIFY,
        )
        assert client.get(f"/admin/budgets/campaign/{budget.id + 1000}").status_code == 404
        assert client.get(f"/admin/budgets/week/{budget.id}").status_code == 404
        removed = client.post(f"/admin/budgets/campaign/{budget.id}/delete", data={"csrf_token": token})
        assert removed.status_code == 302 and count(session, CampaignBudget) == 0
        assert len(audits(session, "budget.deleted", budget)) == 1


def test_city_budget_edit_page_and_a_refused_delete(session, app, make_user):
    past = CreditBudget(month="2026-05", credits=100, policy=BudgetPolicy.NOTIFY)
    session.add(past)
    session.flush()
    with time_machine.travel(day(2), tick=False):
        client = app.test_client()
        assert login(client, make_user(Role.ADMIN)).status_code == 200
        budget = budgets.set_budget(session, make_user(Role.ADMIN), "2026-06", 900, BudgetPolicy.NOTIFY, day(2))
        page = client.get(f"/admin/budgets/month/{budget.id}")
        assert page.status_code == 200
        token = csrf_from(page.get_data(as_text=True))
        saved = client.post(
            f"/admin/budgets/month/{budget.id}", data={"csrf_token": token, "credits": 1200, "policy": "damp"}
        )
        assert saved.status_code == 302
        refused = client.post(f"/admin/budgets/month/{past.id}/delete", data={"csrf_token": token})
        assert refused.status_code == 422
    session.expire_all()
    assert session.get(CreditBudget, budget.id).credits == 1200
    assert session.get(CreditBudget, past.id) is not None


def test_the_campaign_page_shows_a_campaign_damped_by_its_own_budget(session, client, make_user):
    run = campaign(session, make_user(Role.PUBLICITY))
    budget = budgets.set_campaign_budget(session, make_user(Role.ADMIN), run.id, 100, BudgetPolicy.DAMP, day(0, 1))
    with time_machine.travel(day(2), tick=False):
        html = client.get("/campaigns").get_data(as_text=True)
        assert "Low-carbon week" in html or "低碳周" in html
        assert 'data-test="campaign-damped"' not in html
        budget.damped_at = day(2) + dt.timedelta(hours=1)  # not yet
        session.flush()
        assert 'data-test="campaign-damped"' not in client.get("/campaigns").get_data(as_text=True)
        budget.damped_at = day(2) - dt.timedelta(hours=2)
        session.flush()
        html = client.get("/campaigns").get_data(as_text=True)
        assert html.count('data-test="campaign-damped"') == 1
        assert 'data-test="damped"' not in html  # the city's month is not damped
