"""Timed transitions at their boundaries (frozen time), announcements once, catch-up after downtime."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from models import CampaignStatus, Notice, NoticeKind, Role
from webapp.services import campaign_lifecycle, campaigns, notices

from .campaign_support import at, audits, count, log, make_campaign, notices_of
from .carbon import make_type


def sweep_all(session, now=None) -> tuple[int, int, int]:
    result = (
        campaign_lifecycle.activate_due(session, now),
        campaign_lifecycle.remind_due(session, now),
        campaign_lifecycle.end_due(session, now),
    )
    session.commit()
    return result


def test_a_campaign_turns_active_exactly_at_starts_at(session, make_user):
    campaign = make_campaign(session, make_user(Role.PUBLICITY), starts=at(days=1), ends=at(days=4))
    with time_machine.travel(at(days=1) - dt.timedelta(microseconds=1), tick=False):
        assert sweep_all(session) == (0, 0, 0)
        assert campaign.status == CampaignStatus.SCHEDULED
    with time_machine.travel(at(days=1), tick=False):
        assert sweep_all(session) == (1, 0, 0)
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.ACTIVE
    assert campaign.activated_at == at(days=1)
    assert notices_of(session, campaign.id) == ["campaign_started"]


def test_the_reminder_comes_a_day_before_the_end(session, make_user):
    campaign = make_campaign(session, make_user(Role.PUBLICITY), starts=at(days=1), ends=at(days=4))
    with time_machine.travel(at(days=3) - dt.timedelta(seconds=1), tick=False):
        assert sweep_all(session) == (1, 0, 0)
    with time_machine.travel(at(days=3), tick=False):
        assert sweep_all(session) == (0, 1, 0)
        assert sweep_all(session) == (0, 0, 0)
    assert notices_of(session, campaign.id) == ["campaign_ending", "campaign_started"]


def test_a_short_campaign_is_reminded_halfway(session, make_user):
    campaign = make_campaign(session, make_user(Role.PUBLICITY), starts=at(days=1), ends=at(days=1, hours=6))
    assert campaign_lifecycle.remind_at(campaign) == at(days=1, hours=3)


def test_a_campaign_ends_exactly_at_ends_at_with_its_result(session, make_user):
    campaign = make_campaign(session, make_user(Role.PUBLICITY), starts=at(days=1), ends=at(days=2))
    with time_machine.travel(at(days=1, hours=1), tick=False):
        sweep_all(session)
    with time_machine.travel(at(days=2) - dt.timedelta(microseconds=1), tick=False):
        assert sweep_all(session)[2] == 0
    with time_machine.travel(at(days=2), tick=False):
        assert sweep_all(session)[2] == 1
    session.refresh(campaign)
    assert (campaign.status, campaign.finished_at) == (CampaignStatus.ENDED, at(days=2))
    assert notices_of(session, campaign.id) == ["campaign_ended", "campaign_ending", "campaign_started"]


def test_sweeping_again_changes_nothing(session, make_user):
    campaign = make_campaign(session, make_user(Role.PUBLICITY), starts=at(days=1), ends=at(days=2))
    for _ in range(3):
        sweep_all(session, at(days=1, hours=1))
        sweep_all(session, at(days=1, hours=13))
        sweep_all(session, at(days=3))
    assert count(session, Notice, Notice.campaign_id == campaign.id) == 3
    assert audits(session, "campaign.activated", campaign.id) == 1
    assert audits(session, "campaign.ended", campaign.id) == 1


def test_a_scheduler_down_for_the_whole_campaign_catches_up_without_a_stale_start_notice(session, make_user):
    campaign = make_campaign(session, make_user(Role.PUBLICITY), starts=at(days=1), ends=at(days=2))
    with time_machine.travel(at(days=5), tick=False):  # back after four days of downtime
        assert sweep_all(session) == (1, 0, 1)
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.ENDED
    assert notices_of(session, campaign.id) == ["campaign_ended"]
    assert audits(session, "campaign.activated", campaign.id) == 1


def test_a_scheduler_down_over_the_start_catches_up_on_its_first_sweep(session, make_user):
    campaign = make_campaign(session, make_user(Role.PUBLICITY), starts=at(days=1), ends=at(days=4))
    with time_machine.travel(at(days=2), tick=False):
        assert sweep_all(session) == (1, 0, 0)
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.ACTIVE
    assert notices_of(session, campaign.id) == ["campaign_started"]


def test_drafts_and_cancelled_campaigns_never_move(session, make_user):
    publicity = make_user(Role.PUBLICITY)
    draft = make_campaign(session, publicity, starts=at(days=1), ends=at(days=2), status=CampaignStatus.DRAFT)
    cancelled = make_campaign(session, publicity, starts=at(days=1), ends=at(days=2))
    campaigns.cancel(session, publicity, cancelled.id, now=at(hours=1))
    assert sweep_all(session, at(days=3)) == (0, 0, 0)
    assert (draft.status, cancelled.status) == (CampaignStatus.DRAFT, CampaignStatus.CANCELLED)


def test_cancelling_a_running_campaign_tells_residents_once(session, make_user):
    publicity = make_user(Role.PUBLICITY)
    campaign = make_campaign(session, publicity, starts=at(days=1), ends=at(days=3))
    sweep_all(session, at(days=1, hours=1))
    campaigns.cancel(session, publicity, campaign.id, now=at(days=1, hours=2))
    assert notices_of(session, campaign.id) == ["campaign_cancelled", "campaign_started"]
    assert campaign.cancelled_at == at(days=1, hours=2)


def test_the_result_counts_the_campaign_and_hides_small_groups(session, make_user):
    bus = make_type(session, grams="100")
    campaign = make_campaign(
        session, make_user(Role.PUBLICITY), starts=at(), ends=at(days=1), multipliers={bus.code: "2"}, now=at(hours=-1)
    )
    small = [make_user(Role.RESIDENT) for _ in range(3)]
    for user in small:
        log(session, user, bus, "1", occurred_at=at(hours=1))
    sweep_all(session, at(days=1))
    result = session.scalars(
        select(Notice).where(Notice.campaign_id == campaign.id, Notice.kind == NoticeKind.CAMPAIGN_ENDED)
    ).one()
    assert result.data == {"suppressed": True}
    many = [make_user(Role.RESIDENT) for _ in range(10)]
    for user in many:
        log(session, user, bus, "2", occurred_at=at(hours=2), now=at(hours=3))
    totals = campaign_lifecycle.totals(session, campaign, campaign.starts_at, campaign.ends_at)
    assert (totals.residents, totals.actions, totals.co2e_grams) == (13, 13, 3 * 100 + 10 * 200)


def test_participation_compares_with_the_four_weeks_before(session, make_user):
    bus = make_type(session, grams="100")
    campaign = make_campaign(
        session, make_user(Role.PUBLICITY), starts=at(), ends=at(days=7), multipliers={bus.code: "2"}, now=at(days=-8)
    )
    residents = [make_user(Role.RESIDENT) for _ in range(10)]
    for user in residents:
        log(session, user, bus, "1", occurred_at=at(days=-3))  # before: 10 residents, 10 actions
        log(session, user, bus, "1", occurred_at=at(hours=1), now=at(hours=2))
        log(session, user, bus, "1", occurred_at=at(hours=2), now=at(hours=3))
    result = campaign_lifecycle.participation(session, campaign, now=at(days=1))
    assert (result.during.residents, result.during.actions, result.during.days) == (10, 20, 1.0)
    assert (result.before.residents, result.before.actions, result.before.days) == (10, 10, 28.0)
    assert result.during.per_day(result.during.co2e_grams) == 2000


def test_inbox_and_banners_follow_the_residents_district(session, make_user):
    publicity = make_user(Role.PUBLICITY)
    bus = make_type(session, grams="100")
    here = make_campaign(
        session,
        publicity,
        starts=at(days=1),
        ends=at(days=3),
        districts=["371402"],
        challenges=[{"type": bus.code, "count": 2, "bonus_credits": 10}],
    )
    elsewhere = make_campaign(session, publicity, starts=at(days=1), ends=at(days=3), districts=["371403"])
    sweep_all(session, at(days=1, hours=1))
    resident = make_user(Role.RESIDENT, district="371402")
    log(session, resident, bus, "1", occurred_at=at(days=1, hours=2))
    inbox = notices.inbox(session, resident)
    assert [(i.notice.kind, i.campaign.id) for i in inbox] == [(NoticeKind.CAMPAIGN_STARTED, here.id)]
    banners = notices.banners(session, resident, now=at(days=1, hours=3))
    assert [b.campaign.id for b in banners] == [here.id]
    assert [(p.done, p.completed) for p in banners[0].progress] == [(1, False)]
    assert elsewhere.id not in [b.campaign.id for b in notices.banners(session, resident, now=at(days=1, hours=3))]
    sweep_all(session, at(days=3))
    assert notices.banners(session, resident, now=at(days=3, hours=1))[0].notice.kind == NoticeKind.CAMPAIGN_ENDED
    assert notices.banners(session, resident, now=at(days=7)) == []
