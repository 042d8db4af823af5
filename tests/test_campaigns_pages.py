"""The Publicity Department's pages, the resident's banner and inbox, the public campaigns page."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models import Campaign, CampaignStatus, Role
from webapp.services import campaign_lifecycle

from .campaign_support import make_campaign
from .carbon import make_type
from .pages import csrf_from, login

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def local(moment: dt.datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def publicity(make_user):
    return make_user(Role.PUBLICITY)


@pytest.fixture
def desk(client, publicity):
    assert login(client, publicity).status_code == 200
    return client


def test_the_department_creates_a_campaign_from_the_form(desk, session):
    bus = make_type(session, grams="100")
    page = desk.get("/publicity/campaigns/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    index = html.index(f'value="{bus.code}"')
    row = html[:index].rsplit('name="multipliers-', 1)[1].split("-", 1)[0]
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    response = desk.post(
        "/publicity/campaigns/new",
        data={
            "csrf_token": csrf_from(html),
            "name": "节能宣传周",
            "name_en": "Energy week",
            "starts_at": local(start),
            "ends_at": local(start + dt.timedelta(days=7)),
            "districts": ["371402"],
            f"multipliers-{row}-code": bus.code,
            f"multipliers-{row}-factor": "1.5",
            "challenges-0-action": bus.code,
            "challenges-0-count": "3",
            "challenges-0-bonus_credits": "100",
            "challenges-0-badge": "campaign_challenge",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    campaign = session.scalars(select(Campaign).where(Campaign.name_en == "Energy week")).one()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert [(m.action_type.code, float(m.factor)) for m in campaign.multipliers] == [(bus.code, 1.5)]
    assert [(c.count, c.bonus_credits, c.badge_code) for c in campaign.challenges] == [(3, 100, "campaign_challenge")]
    assert [d.code for d in campaign.districts] == ["371402"]
    assert campaign.starts_at == start.replace(second=0, microsecond=0)


def test_a_bad_form_says_why_and_creates_nothing(desk, session):
    html = desk.get("/publicity/campaigns/new").get_data(as_text=True)
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    response = desk.post(
        "/publicity/campaigns/new",
        data={
            "csrf_token": csrf_from(html),
            "name": "倒序",
            "starts_at": local(start),
            "ends_at": local(start - dt.timedelta(days=1)),
        },
    )
    assert response.status_code == 422
    assert "结束时间必须晚于开始时间" in response.get_data(as_text=True) or "The end must be after the start." in (
        response.get_data(as_text=True)
    )
    assert session.scalar(select(Campaign.id)) is None


def test_detail_previews_both_languages_and_shows_participation(desk, session, publicity):
    bus = make_type(session, grams="100")
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    campaign = make_campaign(
        session,
        publicity,
        starts=start,
        ends=start + dt.timedelta(days=1),
        multipliers={bus.code: "2"},
        challenges=[{"type": bus.code, "count": 2, "bonus_credits": 20}],
    )
    html = desk.get(f"/publicity/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'data-preview="zh_CN"' in html and 'data-preview="en"' in html
    assert "Low-carbon week has started" in html and "低碳周" in html
    assert 'data-test="participation"' in html


def test_edit_a_started_campaign_keeps_what_credits_depend_on(desk, session, publicity):
    bus = make_type(session, grams="100")
    now = dt.datetime.now(dt.UTC)
    campaign = make_campaign(
        session,
        publicity,
        starts=now - dt.timedelta(hours=1),
        ends=now + dt.timedelta(days=1),
        multipliers={bus.code: "2"},
        now=now - dt.timedelta(hours=2),
    )
    page = desk.get(f"/publicity/campaigns/{campaign.id}/edit")
    html = page.get_data(as_text=True)
    assert 'data-test="live-note"' in html
    later = campaign.ends_at + dt.timedelta(days=1)
    response = desk.post(
        f"/publicity/campaigns/{campaign.id}/edit",
        data={
            "csrf_token": csrf_from(html),
            "name": "延长的低碳周",
            "name_en": "Longer week",
            "starts_at": local(campaign.starts_at),
            "ends_at": local(later),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    session.refresh(campaign)
    assert (campaign.name_zh, campaign.ends_at) == ("延长的低碳周", later.replace(second=0, microsecond=0))
    assert [float(m.factor) for m in campaign.multipliers] == [2.0]
    assert campaign.starts_at == now - dt.timedelta(hours=1)


def test_cancel_from_the_page_and_ended_campaigns_are_read_only(desk, session, publicity):
    now = dt.datetime.now(dt.UTC)
    campaign = make_campaign(session, publicity, starts=now + dt.timedelta(days=1), ends=now + dt.timedelta(days=2))
    html = desk.get(f"/publicity/campaigns/{campaign.id}").get_data(as_text=True)
    response = desk.post(f"/publicity/campaigns/{campaign.id}/cancel", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.CANCELLED
    edit = desk.get(f"/publicity/campaigns/{campaign.id}/edit")
    assert edit.status_code == 302  # back to the details, with the reason


def test_calendar_page_instantiates_the_year(desk, session):
    year = dt.datetime.now(dt.UTC).year + 1
    page = desk.get(f"/publicity/calendar/{year}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    data = {"csrf_token": csrf_from(html)}
    for i, code in enumerate(["science_week", "environment_day", "energy_week", "low_carbon_day", "science_day"]):
        data[f"rows-{i}-code"] = code
        data[f"rows-{i}-include"] = "y"
    data["rows-2-starts_on"] = f"{year}-06-22"
    data["rows-2-days"] = "7"
    response = desk.post(f"/publicity/calendar/{year}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    made = {c.template_code: c for c in session.scalars(select(Campaign).where(Campaign.year == year))}
    assert set(made) == {"science_week", "environment_day", "energy_week", "low_carbon_day", "science_day"}
    # Low Carbon Day followed the moved week (its own date was left as proposed).
    assert made["low_carbon_day"].starts_at == dt.datetime(year, 6, 24, tzinfo=SHANGHAI)
    index = desk.get(f"/publicity/?year={year}").get_data(as_text=True)
    assert index.count("data-campaign=") == 5


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MERCHANT, Role.OFFICIAL])
def test_other_roles_cannot_use_the_department_pages(client, make_user, role):
    login(client, make_user(role))
    assert client.get("/publicity/").status_code == 403
    assert client.get("/publicity/campaigns/new").status_code == 403


def test_the_resident_sees_the_banner_and_the_inbox(client, session, publicity, make_user):
    resident = make_user(Role.RESIDENT)
    now = dt.datetime.now(dt.UTC)
    campaign = make_campaign(
        session,
        publicity,
        starts=now - dt.timedelta(minutes=1),
        ends=now + dt.timedelta(days=1),
        now=now - dt.timedelta(hours=1),
    )
    login(client, resident)
    assert "campaign-banner" not in client.get("/me/").get_data(as_text=True)
    campaign_lifecycle.activate_due(session)
    session.commit()
    home = client.get("/me/").get_data(as_text=True)
    assert f'data-campaign="{campaign.id}"' in home and "低碳周" in home
    inbox = client.get("/me/inbox")
    assert inbox.status_code == 200
    assert 'data-kind="campaign_started"' in inbox.get_data(as_text=True)


def test_the_public_campaigns_page_states_the_overlap_rule(client, session, publicity):
    now = dt.datetime.now(dt.UTC)
    campaign = make_campaign(session, publicity, starts=now + dt.timedelta(days=1), ends=now + dt.timedelta(days=2))
    html = client.get("/campaigns", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "the highest multiplier wins" in html
    assert f'id="campaign-{campaign.id}"' in html
