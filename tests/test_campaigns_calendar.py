"""The yearly campaign calendar: usual dates, adjusted dates, one-step instantiation, no duplicates."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models import ActionType, Campaign, CampaignStatus, Role
from webapp.errors import Forbidden, Invalid
from webapp.services import campaign_calendar, methodology
from webapp.services.campaign_calendar import Override

from .campaign_support import count
from .carbon import make_type

BEFORE_2027 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def test_the_calendar_holds_the_five_national_days_and_weeks():
    codes = [t.code for t in campaign_calendar.templates()]
    assert codes == ["science_week", "environment_day", "energy_week", "low_carbon_day", "science_day"]
    for template in campaign_calendar.templates():
        assert template.name["zh_CN"] and template.name["en"] and template.note["en"]


def test_usual_dates_for_2027(session):
    dates = {p.template.code: (p.starts_on, p.days) for p in campaign_calendar.propose(session, 2027)}
    assert dates == {
        "science_week": (dt.date(2027, 5, 15), 7),  # third Saturday of May
        "environment_day": (dt.date(2027, 6, 5), 1),
        "energy_week": (dt.date(2027, 6, 14), 7),  # second Monday of June; NDRC announces the real dates
        "low_carbon_day": (dt.date(2027, 6, 16), 1),  # the third day of the week
        "science_day": (dt.date(2027, 9, 18), 1),  # third Saturday of September
    }


def test_low_carbon_day_follows_a_moved_publicity_week_unless_moved_itself(session):
    moved = {
        p.template.code: p.starts_on
        for p in campaign_calendar.propose(session, 2027, {"energy_week": Override(dt.date(2027, 6, 21))})
    }
    assert (moved["energy_week"], moved["low_carbon_day"]) == (dt.date(2027, 6, 21), dt.date(2027, 6, 23))
    both = {
        p.template.code: p.starts_on
        for p in campaign_calendar.propose(
            session,
            2027,
            {"energy_week": Override(dt.date(2027, 6, 21)), "low_carbon_day": Override(dt.date(2027, 6, 24))},
        )
    }
    assert both["low_carbon_day"] == dt.date(2027, 6, 24)


def test_bad_years_days_and_templates_are_refused(session):
    with pytest.raises(Invalid):
        campaign_calendar.propose(session, 1999)
    with pytest.raises(Invalid):
        campaign_calendar.propose(session, 2027, {"no_such_day": Override(dt.date(2027, 1, 1))})
    with pytest.raises(Invalid):
        campaign_calendar.propose(session, 2027, {"energy_week": Override(days=90)})


def _with_codes(session, *codes):
    """Action types with the seed's codes (the test database has no seeded methodology)."""
    for code in codes:
        if session.scalar(select(ActionType).where(ActionType.code == code)) is None:
            make_type(session, grams="100").code = code
    session.commit()


def test_instantiating_a_year_creates_every_campaign_once_in_city_time(session, make_user):
    publicity = make_user(Role.PUBLICITY)
    created, skipped = campaign_calendar.instantiate(session, publicity, 2027, now=BEFORE_2027)
    assert [c.template_code for c in created] == [t.code for t in campaign_calendar.templates()]
    assert skipped == []
    day = next(c for c in created if c.template_code == "low_carbon_day")
    assert (day.starts_at, day.ends_at) == (
        dt.datetime(2027, 6, 16, tzinfo=SHANGHAI),
        dt.datetime(2027, 6, 17, tzinfo=SHANGHAI),
    )
    assert (day.status, day.year, day.name_en) == (CampaignStatus.SCHEDULED, 2027, "National Low Carbon Day")
    again, skipped = campaign_calendar.instantiate(session, publicity, 2027, now=BEFORE_2027)
    assert again == [] and {s.code for s in skipped} == {t.code for t in campaign_calendar.templates()}
    assert count(session, Campaign) == 5


def test_instantiation_keeps_multipliers_for_the_types_the_city_has(session, make_user):
    publicity = make_user(Role.PUBLICITY)
    _with_codes(session, "bus", "walk")
    codes = {t.code for t in methodology.action_types(session, include_inactive=True)}
    created, _ = campaign_calendar.instantiate(session, publicity, 2027, only={"low_carbon_day"}, now=BEFORE_2027)
    [day] = created
    template = next(t for t in campaign_calendar.templates() if t.code == "low_carbon_day")
    assert {m.action_type.code for m in day.multipliers} == set(template.multipliers) & codes
    assert {m.action_type.code for m in day.multipliers} >= {"bus", "walk"}
    assert [c.action_type.code for c in day.challenges] == ["bus"]


def test_past_dates_are_skipped_and_drafts_on_request(session, make_user):
    publicity = make_user(Role.PUBLICITY)
    mid_june = dt.datetime(2027, 6, 10, tzinfo=SHANGHAI)
    created, skipped = campaign_calendar.instantiate(
        session, publicity, 2027, now=mid_june, status=CampaignStatus.DRAFT
    )
    assert {c.template_code for c in created} == {"energy_week", "low_carbon_day", "science_day"}
    assert {s.code: s.reason for s in skipped} == {
        "science_week": "These dates have passed.",
        "environment_day": "These dates have passed.",
    }
    assert {c.status for c in created} == {CampaignStatus.DRAFT}


def test_only_the_publicity_department_instantiates(session, make_user):
    with pytest.raises(Forbidden):
        campaign_calendar.instantiate(session, make_user(Role.RESIDENT), 2027, now=BEFORE_2027)


def test_the_calendar_api_proposes_and_creates_in_one_step(api, make_user, session):
    publicity = make_user(Role.PUBLICITY)
    client = api(publicity)
    year = dt.datetime.now(dt.UTC).year + 1
    proposal = client.get(f"/api/v1/campaign-calendar/{year}").get_json()
    assert [p["template"] for p in proposal][:2] == ["science_week", "environment_day"]
    response = client.post(
        f"/api/v1/campaign-calendar/{year}",
        json={
            "items": [{"template": "energy_week", "starts_on": f"{year}-06-22"}],
            "only": ["energy_week", "low_carbon_day"],
        },
    )
    assert response.status_code == 201, response.get_json()
    created = {c["template"]: c for c in response.get_json()["created"]}
    assert created["low_carbon_day"]["starts_at"].startswith(f"{year}-06-23T16:00:00")  # 24 June, city time
    again = client.post(f"/api/v1/campaign-calendar/{year}", json={"only": ["energy_week"]})
    assert again.status_code == 200
    assert again.get_json()["skipped"][0]["template"] == "energy_week"
    assert api(make_user(Role.MERCHANT)).post(f"/api/v1/campaign-calendar/{year}", json={}).status_code == 403
    assert client.post(f"/api/v1/campaign-calendar/{year}", json={"items": [{"template": "nope"}]}).status_code == 422
