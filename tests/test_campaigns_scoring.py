"""Campaigns in scoring: multipliers by the action's occurred_at, districts, the overlap rule, challenges."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from decimal import Decimal

from models import CampaignStatus, Notice, NoticeKind, Role
from webapp.extensions import db
from webapp.services import accounts, actions, badges, campaign_rules, campaigns, ledger, projector, scoring

from .campaign_support import at, bonus_entries, completions, count, log, make_campaign
from .carbon import make_type
from .conftest import PASSWORD


def test_the_campaign_rule_replaces_the_neutral_hook_and_the_challenge_hook_is_registered():
    assert scoring.no_boost not in scoring.BOOST_RULES
    assert campaign_rules.campaign_boost in scoring.BOOST_RULES
    assert campaign_rules.challenge_progress in projector.ON_BATCH
    campaign_rules.install()  # idempotent
    assert scoring.BOOST_RULES.count(campaign_rules.campaign_boost) == 1
    assert projector.ON_BATCH.count(campaign_rules.challenge_progress) == 1


def test_multiplier_applies_by_occurred_at_even_when_synced_after_the_end(session, resident, make_user):
    bus = make_type(session, grams="100")
    campaign = make_campaign(
        session, make_user(Role.PUBLICITY), starts=at(days=1), ends=at(days=2), multipliers={bus.code: "2"}
    )
    # The scheduler never ran (status still scheduled): credits follow the clock, not the status.
    action, account = log(session, resident, bus, "1", occurred_at=at(days=1, hours=12), now=at(days=3))
    assert campaign.status == CampaignStatus.SCHEDULED
    assert (action.co2e_grams, action.credits, action.multiplier) == (100, 200, Decimal(2))
    assert action.campaign_ids == [campaign.id]
    assert account.co2e_grams == 100  # CO2e is never multiplied
    assert account.balance == 200


def test_window_boundaries_start_inclusive_end_exclusive(session, resident, make_user):
    bus = make_type(session, grams="100")
    make_campaign(session, make_user(Role.PUBLICITY), starts=at(days=1), ends=at(days=2), multipliers={bus.code: "3"})
    before, _ = log(session, resident, bus, "1", occurred_at=at(days=1, seconds=-1), now=at(days=2, hours=1))
    start, _ = log(session, resident, bus, "1", occurred_at=at(days=1), now=at(days=2, hours=1))
    last, _ = log(session, resident, bus, "1", occurred_at=at(days=2, seconds=-1), now=at(days=2, hours=1))
    end, _ = log(session, resident, bus, "1", occurred_at=at(days=2), now=at(days=2, hours=1))
    assert [a.multiplier for a in (before, start, last, end)] == [1, 3, 3, 1]


def test_only_the_targeted_districts_get_the_multiplier(session, make_user):
    bus = make_type(session, grams="100")
    make_campaign(
        session,
        make_user(Role.PUBLICITY),
        starts=at(),
        ends=at(days=1),
        multipliers={bus.code: "2"},
        districts=["371403"],
        now=at(hours=-1),
    )
    inside = make_user(Role.RESIDENT, district="371403")
    outside = make_user(Role.RESIDENT, district="371402")
    assert log(session, inside, bus, "1", occurred_at=at(hours=1))[0].credits == 200
    assert log(session, outside, bus, "1", occurred_at=at(hours=1))[0].credits == 100


def test_overlapping_campaigns_the_highest_multiplier_wins_never_stacked(session, resident, make_user):
    bus, bike = make_type(session, grams="100"), make_type(session, grams="100")
    publicity = make_user(Role.PUBLICITY)
    week = make_campaign(
        session,
        publicity,
        starts=at(),
        ends=at(days=7),
        multipliers={bus.code: "1.5", bike.code: "2"},
        now=at(hours=-1),
    )
    day = make_campaign(
        session,
        publicity,
        starts=at(days=2),
        ends=at(days=3),
        multipliers={bus.code: "2"},
        now=at(hours=-1),
        name="低碳日",
    )
    on_the_day, _ = log(session, resident, bus, "1", occurred_at=at(days=2, hours=1))
    assert (on_the_day.multiplier, on_the_day.credits, on_the_day.campaign_ids) == (Decimal(2), 200, [day.id])
    tie, _ = log(session, resident, bike, "1", occurred_at=at(days=2, hours=2))
    assert tie.multiplier == 2 and sorted(tie.campaign_ids) == sorted([week.id])
    other_day, _ = log(session, resident, bus, "1", occurred_at=at(days=4))
    assert (other_day.multiplier, other_day.campaign_ids) == (Decimal("1.5"), [week.id])


def test_equal_multipliers_name_every_campaign_that_gave_it(session, resident, make_user):
    bus = make_type(session, grams="10")
    publicity = make_user(Role.PUBLICITY)
    first = make_campaign(
        session, publicity, starts=at(), ends=at(days=1), multipliers={bus.code: "2"}, now=at(hours=-1)
    )
    second = make_campaign(
        session, publicity, starts=at(), ends=at(days=1), multipliers={bus.code: "2"}, now=at(hours=-1)
    )
    action, _ = log(session, resident, bus, "1", occurred_at=at(hours=1))
    assert action.credits == 20 and action.campaign_ids == sorted([first.id, second.id])


def test_drafts_never_count_and_cancelled_campaigns_count_until_cancelled(session, resident, make_user):
    bus = make_type(session, grams="100")
    publicity = make_user(Role.PUBLICITY)
    make_campaign(
        session,
        publicity,
        starts=at(),
        ends=at(days=2),
        multipliers={bus.code: "5"},
        now=at(hours=-1),
        status=CampaignStatus.DRAFT,
    )
    cancelled = make_campaign(
        session, publicity, starts=at(), ends=at(days=2), multipliers={bus.code: "2"}, now=at(hours=-1)
    )
    campaigns.cancel(session, publicity, cancelled.id, now=at(days=1))
    before_cancel, _ = log(session, resident, bus, "1", occurred_at=at(hours=20), now=at(days=1, hours=2))
    after_cancel, _ = log(session, resident, bus, "1", occurred_at=at(days=1, hours=1), now=at(days=1, hours=2))
    assert (before_cancel.multiplier, after_cancel.multiplier) == (2, 1)


def test_a_campaign_cancelled_before_it_starts_gives_nothing(session, resident, make_user):
    bus = make_type(session, grams="100")
    publicity = make_user(Role.PUBLICITY)
    campaign = make_campaign(session, publicity, starts=at(days=1), ends=at(days=2), multipliers={bus.code: "2"})
    campaigns.cancel(session, publicity, campaign.id, now=at(hours=12))
    assert log(session, resident, bus, "1", occurred_at=at(days=1, hours=1))[0].multiplier == 1


def test_the_daily_cap_still_cuts_multiplied_credits(session, resident, make_user):
    bus = make_type(session, grams="100", cap_self=300)
    make_campaign(
        session, make_user(Role.PUBLICITY), starts=at(), ends=at(days=1), multipliers={bus.code: "2"}, now=at(hours=-1)
    )
    action, _ = log(session, resident, bus, "2", occurred_at=at(hours=1))
    assert (action.co2e_grams, action.credits, action.capped) == (200, 300, True)


CHALLENGE = {"count": 3, "bonus_credits": 500, "badge": "campaign_challenge"}


def test_a_challenge_pays_its_bonus_and_badge_once(session, resident, make_user):
    bus = make_type(session, grams="100")
    campaign = make_campaign(
        session,
        make_user(Role.PUBLICITY),
        starts=at(),
        ends=at(days=7),
        challenges=[{"type": bus.code, **CHALLENGE}],
        now=at(hours=-1),
    )
    challenge = campaign.challenges[0]
    log(session, resident, bus, "1", occurred_at=at(hours=-2))  # before the campaign: does not count
    for hour in (1, 2):
        log(session, resident, bus, "1", occurred_at=at(hours=hour))
    projector.fold_all(session)
    assert completions(session, challenge.id) == 0
    _, account = log(session, resident, bus, "1", occurred_at=at(hours=3))
    assert account.balance == 4 * 100  # the bonus is derived: the projector pays it
    projector.fold_all(session)
    assert (completions(session, challenge.id), bonus_entries(session, challenge.id)) == (1, 1)
    session.refresh(account)
    assert account.balance == 4 * 100 + 500
    for hour in (4, 5):
        log(session, resident, bus, "1", occurred_at=at(hours=hour))
    projector.fold_all(session)
    assert (completions(session, challenge.id), bonus_entries(session, challenge.id)) == (1, 1)
    assert count(session, Notice, Notice.user_id == resident.id, Notice.kind == NoticeKind.CHALLENGE_COMPLETED) == 1
    assert campaign_rules.completions_of(session, resident)[0].badge_code == "campaign_challenge"
    assert "campaign_challenge" in badges.held(session, resident)  # the catalogue badge, on the account
    assert ledger.verify(session) == []


def test_a_pending_action_counts_for_the_challenge_once_approved(session, resident, make_user):
    purchase = make_type(session, grams="100", needs_evidence=True)
    campaign = make_campaign(
        session,
        make_user(Role.PUBLICITY),
        starts=at(),
        ends=at(days=7),
        challenges=[{"type": purchase.code, "count": 1, "bonus_credits": 50}],
        now=at(hours=-1),
    )
    action, _ = log(session, resident, purchase, "1", occurred_at=at(hours=1))
    projector.fold_all(session)
    assert completions(session, campaign.challenges[0].id) == 0
    actions.approve(session, make_user(Role.ADMIN), action.id)
    projector.fold_all(session)
    assert bonus_entries(session, campaign.challenges[0].id) == 1


def test_the_catch_up_sweep_awards_what_the_hook_missed_and_only_once(session, resident, make_user):
    bus = make_type(session, grams="100")
    for hour in (1, 2):
        log(session, resident, bus, "1", occurred_at=at(hours=hour), now=at(hours=3))
    # The campaign is entered after the actions (they were synced late): only the sweep can see them.
    campaign = make_campaign(
        session,
        None,
        starts=at(),
        ends=at(days=1),
        challenges=[{"type": bus.code, "count": 2, "bonus_credits": 70}],
        now=at(hours=-1),
    )
    challenge = campaign.challenges[0]
    assert campaign_rules.award_completed_challenges(session, at(hours=4)) == 1
    assert campaign_rules.award_completed_challenges(session, at(hours=5)) == 0
    assert (completions(session, challenge.id), bonus_entries(session, challenge.id)) == (1, 1)
    assert ledger.account_for(session, resident).balance == 270


def test_challenge_bonus_once_under_parallel_actions_and_sweeps(app, committed):
    """Eight requests, four sweeps and two projectors at the same instant: one completion, one bonus."""
    bus = make_type(committed, grams="100")
    resident = accounts.create_user(
        committed, None, role=Role.RESIDENT, login="13600000001", password=PASSWORD, nickname="racer", district="371402"
    )
    _, token = accounts.issue_token(committed, resident, "race")
    committed.commit()
    now = dt.datetime.now(dt.UTC)
    campaign = make_campaign(
        committed,
        None,
        starts=now - dt.timedelta(hours=1),
        ends=now + dt.timedelta(hours=1),
        challenges=[{"type": bus.code, "count": 2, "bonus_credits": 1000}],
        now=now - dt.timedelta(hours=2),
    )
    challenge_id = campaign.challenges[0].id
    barrier, statuses, lock = threading.Barrier(14), [], threading.Lock()

    def post(i):
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/api/v1/actions",
            headers={"Authorization": f"Bearer {token}"},
            json={"type": bus.code, "quantity": 1, "occurred_at": (now - dt.timedelta(seconds=i)).isoformat()},
        )
        with lock:
            statuses.append(response.status_code)

    def sweep():
        s = db.new_session()
        barrier.wait()
        campaign_rules.award_completed_challenges(s)
        s.commit()
        s.close()

    def fold():
        barrier.wait()
        for _ in range(20):  # folding while the actions arrive
            projector.drain(db.new_session, limit=1)

    threads = (
        [threading.Thread(target=post, args=(i,)) for i in range(8)]
        + [threading.Thread(target=sweep) for _ in range(4)]
        + [threading.Thread(target=fold) for _ in range(2)]
    )
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    projector.drain(db.new_session)  # whatever arrived after the last fold
    committed.expire_all()
    assert Counter(statuses) == {201: 8}
    assert (completions(committed, challenge_id), bonus_entries(committed, challenge_id)) == (1, 1)
    assert ledger.account_for(committed, resident).balance == 8 * 100 + 1000
    assert ledger.verify(committed) == []


def test_post_actions_reports_the_multiplier_and_campaigns(api, session, resident, make_user):
    bus = make_type(session, grams="100")
    now = dt.datetime.now(dt.UTC)
    campaign = make_campaign(
        session,
        make_user(Role.PUBLICITY),
        starts=now - dt.timedelta(hours=1),
        ends=now + dt.timedelta(hours=1),
        multipliers={bus.code: "2.5"},
        now=now - dt.timedelta(hours=2),
    )
    response = api(resident).post(
        "/api/v1/actions", json={"type": bus.code, "quantity": 2, "occurred_at": now.isoformat()}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["co2e_grams"], body["credits"], body["multiplier"], body["campaign_ids"]) == (
        200,
        500,
        2.5,
        [campaign.id],
    )
