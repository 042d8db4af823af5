"""`flask seed demo` (what `make run` does) leaves dashboards with figures, not "<10" in every cell."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from models import Action, Board, Campaign, CampaignStatus, User
from webapp.services import boards, game_state, leaderboards, ledger, statistics
from webapp.services.statistics import verify as stats_verify


def test_seed_demo_fills_every_dashboard_over_the_suppression_threshold(app, committed):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    users = committed.scalar(select(func.count()).select_from(User))
    actions = committed.scalar(select(func.count()).select_from(Action))

    window = statistics.filters.window(committed, None, None)  # the dashboard's default: 30 days to today
    rows = statistics.district_rows(committed, window)
    shown = [r for r in rows if r["active_residents"] is not None and r["co2e_grams"] is not None]
    assert len(shown) >= 3, [(r["district"].code, r["suppressed"]) for r in rows]
    city = statistics.overview(committed, statistics.Scope(window))
    assert city["active_residents"] >= 500 and city["co2e_grams"] > 0
    share = city["green_travel_share"]["value"]
    assert share is not None and 0.3 < share < 1

    # The past campaign ended, credited multiplied bus trips, and shows its uplift against the weeks before.
    past = committed.scalar(select(Campaign).where(Campaign.name_en.like("Energy Conservation%")))
    assert past.status == CampaignStatus.ENDED
    boosted = committed.scalar(
        select(func.count()).select_from(Action).where(Action.multiplier > 1, Action.credits > Action.co2e_grams)
    )
    assert boosted > 0
    impact = next(i for i in statistics.campaign_impact(committed, window.last) if i["campaign"].id == past.id)
    city_impact = impact["rows"][0]
    assert city_impact["district"] is None and not city_impact["suppressed"] and city_impact["change"] > 0

    # Leaderboards: residents and districts ranked from the crowd's actions, equal to a recomputation.
    today = window.last
    week = boards.period_key("week", today - dt.timedelta(days=7))
    assert len(leaderboards.top(committed, Board.RESIDENT, week, 10)) == 10
    districts = leaderboards.district_table(committed, boards.period_key("month", today - dt.timedelta(days=7)))
    assert len([d for d in districts if not d.suppressed]) >= 3
    assert boards.verify(committed) == [] and game_state.verify_profiles(committed) == []
    assert stats_verify.differences(committed) == [] and ledger.verify(committed) == []
    committed.rollback()

    # Once: a second run adds nobody and nothing.
    again = runner.invoke(args=["seed", "demo"])
    assert again.exit_code == 0, again.output
    assert committed.scalar(select(func.count()).select_from(User)) == users
    assert committed.scalar(select(func.count()).select_from(Action)) == actions
