"""The campaigns API (API.md "Campaigns"): who may schedule, what is refused, what can change when."""

from __future__ import annotations

import datetime as dt

import pytest

from models import Campaign, CampaignStatus, Role
from webapp.api.common import encode_cursor
from webapp.services import campaign_lifecycle, campaigns

from .campaign_support import count, make_campaign
from .carbon import make_type

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat()


@pytest.fixture
def bus(session):
    return make_type(session, grams="100")


@pytest.fixture
def publicity(make_user):
    return make_user(Role.PUBLICITY)


@pytest.fixture
def body(bus):
    def build(**overrides):
        data = {
            "name": "全国低碳日",
            "name_en": "National Low Carbon Day",
            "description": "绿色出行积分翻倍",
            "starts_at": iso(now() + dt.timedelta(days=1)),
            "ends_at": iso(now() + dt.timedelta(days=2)),
            "districts": ["371402", "371403"],
            "multipliers": {bus.code: 2},
            "challenges": [{"type": bus.code, "count": 2, "bonus_credits": 200, "badge": "campaign_challenge"}],
        }
        data.update(overrides)
        return data

    return build


def test_publicity_schedules_a_campaign(api, publicity, body, bus):
    response = api(publicity).post("/api/v1/campaigns", json=body())
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["status"] == "scheduled"
    assert (created["name_zh"], created["name_en"], created["districts"]) == (
        "全国低碳日",
        "National Low Carbon Day",
        ["371402", "371403"],
    )
    assert created["multipliers"] == {bus.code: 2.0}
    [challenge] = created["challenges"]
    assert (challenge["type"], challenge["count"], challenge["bonus_credits"], challenge["badge"]) == (
        bus.code,
        2,
        200,
        "campaign_challenge",
    )
    assert "200" in challenge["text"]
    listed = api().get("/api/v1/campaigns").get_json()["items"]
    assert [c["id"] for c in listed] == [created["id"]]


def test_every_district_by_default_and_english_texts_default_to_chinese(api, publicity, body):
    data = body(districts=None)
    del data["name_en"]
    created = api(publicity).post("/api/v1/campaigns", json=data).get_json()
    assert (created["districts"], created["name_en"]) == ([], "全国低碳日")
    assert created["description_en"] == "绿色出行积分翻倍"


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MERCHANT, Role.OFFICIAL, Role.ADMIN])
def test_only_the_publicity_department_writes_campaigns(api, make_user, body, session, role, publicity):
    client = api(make_user(role))
    campaign = make_campaign(session, publicity, starts=now() + dt.timedelta(days=1), ends=now() + dt.timedelta(days=2))
    assert client.post("/api/v1/campaigns", json=body()).status_code == 403
    assert client.patch(f"/api/v1/campaigns/{campaign.id}", json={"name": "x"}).status_code == 403
    assert client.post(f"/api/v1/campaigns/{campaign.id}/cancel").status_code == 403
    assert count(session, Campaign) == 1


def test_anonymous_visitors_see_campaigns_but_cannot_write(api, body):
    client = api()
    assert client.get("/api/v1/campaigns").status_code == 200
    assert client.post("/api/v1/campaigns", json=body()).status_code == 401


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": iso(now() + dt.timedelta(hours=12))}, "ends_at"),  # ends before it starts
        ({"starts_at": iso(now() - dt.timedelta(days=1))}, "starts_at"),  # starts in the past
        ({"ends_at": iso(now() + dt.timedelta(days=400))}, "ends_at"),  # longer than a year
        ({"starts_at": "2030-06-15T00:00:00"}, "starts_at"),  # no offset
        ({"multipliers": {"no_such_type": 2}}, "multipliers"),
        ({"multipliers": "BUS"}, "multipliers"),
        ({"districts": ["999999"]}, "districts"),
        ({"challenges": [{"type": "no_such_type", "count": 2, "bonus_credits": 5}]}, "challenges"),
        ({"challenges": [{"type": "BUS", "count": 0, "bonus_credits": 5}]}, "challenges"),
        ({"challenges": [{"type": "BUS", "count": 2, "bonus_credits": 0}]}, "challenges"),
        ({"challenges": [{"type": "BUS", "count": 2, "bonus_credits": 5, "badge": "Bad Badge!"}]}, "challenges"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_campaigns_are_refused_with_the_field_and_change_nothing(
    api, publicity, body, bus, session, overrides, field
):
    data = body(**{k: _with_type(v, bus.code) for k, v in overrides.items()})
    response = api(publicity).post("/api/v1/campaigns", json=data)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert count(session, Campaign) == 0


@pytest.mark.parametrize("factor", [0, -1, 10.001, 11, 1.2345, "NaN"])
def test_multipliers_are_above_zero_and_at_most_ten(api, publicity, body, bus, session, factor):
    response = api(publicity).post("/api/v1/campaigns", json=body(multipliers={bus.code: factor}))
    assert response.status_code == 422, response.get_json()
    assert "multipliers" in response.get_json()["errors"]
    assert count(session, Campaign) == 0


def test_a_multiplier_of_ten_is_allowed(api, publicity, body, bus):
    assert api(publicity).post("/api/v1/campaigns", json=body(multipliers={bus.code: 10})).status_code == 201


def _with_type(value, code):
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [{**v, "type": code if v["type"] == "BUS" else v["type"]} for v in value]
    return value


def test_a_scheduled_campaign_can_change_anything(api, publicity, body, bus, session):
    client = api(publicity)
    created = client.post("/api/v1/campaigns", json=body()).get_json()
    later = now() + dt.timedelta(days=3)
    response = client.patch(
        f"/api/v1/campaigns/{created['id']}",
        json={
            "starts_at": iso(later),
            "ends_at": iso(later + dt.timedelta(days=1)),
            "multipliers": {bus.code: 3},
            "districts": [],
            "challenges": [],
        },
    )
    assert response.status_code == 200, response.get_json()
    changed = response.get_json()
    assert (changed["multipliers"], changed["districts"], changed["challenges"]) == ({bus.code: 3.0}, [], [])


def _started(session, publicity, bus):
    moment = now()
    return make_campaign(
        session,
        publicity,
        starts=moment - dt.timedelta(hours=1),
        ends=moment + dt.timedelta(days=1),
        multipliers={bus.code: "2"},
        now=moment - dt.timedelta(hours=2),
    )


@pytest.mark.parametrize(
    "change",
    [
        {"multipliers": {"BUS": 5}},
        {"starts_at": "LATER"},
        {"districts": ["371403"]},
        {"challenges": [{"type": "BUS", "count": 1, "bonus_credits": 10}]},
    ],
)
def test_a_started_campaign_refuses_what_would_rewrite_credits(api, publicity, session, bus, change):
    campaign = _started(session, publicity, bus)
    if "multipliers" in change:
        change = {"multipliers": {bus.code: 5}}
    if "challenges" in change:
        change = {"challenges": [{"type": bus.code, "count": 1, "bonus_credits": 10}]}
    if change.get("starts_at") == "LATER":
        change = {"starts_at": iso(now() + dt.timedelta(hours=2))}
    response = api(publicity).patch(f"/api/v1/campaigns/{campaign.id}", json=change)
    assert response.status_code == 409, response.get_json()
    assert set(response.get_json()["errors"]) == set(change)


def test_a_started_campaign_takes_new_texts_and_a_later_end_but_not_an_earlier_one(api, publicity, session, bus):
    campaign = _started(session, publicity, bus)
    client = api(publicity)
    same = {"multipliers": {bus.code: 2}, "name_en": "Renamed"}  # resending unchanged values is fine
    assert client.patch(f"/api/v1/campaigns/{campaign.id}", json=same).status_code == 200
    later = iso(campaign.ends_at + dt.timedelta(days=1))
    response = client.patch(f"/api/v1/campaigns/{campaign.id}", json={"ends_at": later})
    assert response.status_code == 200, response.get_json()
    earlier = iso(campaign.ends_at - dt.timedelta(hours=12))
    response = client.patch(f"/api/v1/campaigns/{campaign.id}", json={"ends_at": earlier})
    assert response.status_code == 409
    assert "ends_at" in response.get_json()["errors"]


def test_ended_campaigns_are_read_only(api, publicity, session, bus):
    moment = now()
    campaign = make_campaign(
        session,
        publicity,
        starts=moment - dt.timedelta(hours=3),
        ends=moment - dt.timedelta(hours=1),
        now=moment - dt.timedelta(hours=4),
    )
    client = api(publicity)
    # Ended by the clock even before the scheduler's sweep has moved it...
    assert client.patch(f"/api/v1/campaigns/{campaign.id}", json={"name": "新名字"}).status_code == 409
    assert client.post(f"/api/v1/campaigns/{campaign.id}/cancel").status_code == 409
    campaign_lifecycle.activate_due(session)
    campaign_lifecycle.end_due(session)
    session.commit()
    assert campaign.status == CampaignStatus.ENDED
    # ...and after it.
    response = client.patch(f"/api/v1/campaigns/{campaign.id}", json={"name": "新名字"})
    assert response.status_code == 409
    assert response.get_json()["code"] == 409
    assert client.post(f"/api/v1/campaigns/{campaign.id}/cancel").status_code == 409
    assert campaign.name_zh == "低碳周"


def test_cancel_then_nothing_more(api, publicity, body, session):
    client = api(publicity)
    created = client.post("/api/v1/campaigns", json=body()).get_json()
    response = client.post(f"/api/v1/campaigns/{created['id']}/cancel")
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert client.post(f"/api/v1/campaigns/{created['id']}/cancel").status_code == 409
    assert client.patch(f"/api/v1/campaigns/{created['id']}", json={"name": "x"}).status_code == 409
    assert api().get("/api/v1/campaigns").get_json()["items"] == []
    assert api().get(f"/api/v1/campaigns/{created['id']}").status_code == 404
    assert client.get(f"/api/v1/campaigns/{created['id']}").status_code == 200


def test_unknown_campaigns_are_404(api, publicity):
    assert api(publicity).patch("/api/v1/campaigns/999999", json={"name": "x"}).status_code == 404
    assert api(publicity).post("/api/v1/campaigns/999999/cancel").status_code == 404
    assert api().get("/api/v1/campaigns/999999").status_code == 404


def test_the_list_has_active_and_upcoming_soonest_first_in_pages(api, publicity, session):
    moment = now()

    def window(start_h, end_h, **kwargs):
        return make_campaign(
            session,
            publicity,
            starts=moment + dt.timedelta(hours=start_h),
            ends=moment + dt.timedelta(hours=end_h),
            now=moment - dt.timedelta(days=1),
            **kwargs,
        )

    running = window(-2, 5)
    later = window(48, 72)
    soon = window(2, 4)
    window(-5, -1)  # over by the clock
    window(3, 6, status=CampaignStatus.DRAFT)
    cancelled = window(3, 6)
    campaigns.cancel(session, publicity, cancelled.id)
    session.commit()
    first = api().get("/api/v1/campaigns?limit=2").get_json()
    assert [c["id"] for c in first["items"]] == [running.id, soon.id]
    second = api().get(f"/api/v1/campaigns?limit=2&cursor={first['next_cursor']}").get_json()
    assert [c["id"] for c in second["items"]] == [later.id]
    assert second["next_cursor"] is None
    assert api().get(f"/api/v1/campaigns?cursor={encode_cursor(999999)}").status_code == 422


def test_a_draft_is_scheduled_through_the_api(api, publicity, session):
    draft = make_campaign(
        session,
        publicity,
        starts=now() + dt.timedelta(days=1),
        ends=now() + dt.timedelta(days=2),
        status=CampaignStatus.DRAFT,
    )
    assert api().get(f"/api/v1/campaigns/{draft.id}").status_code == 404
    response = api(publicity).post(f"/api/v1/campaigns/{draft.id}/schedule")
    assert response.status_code == 200
    assert response.get_json()["status"] == "scheduled"
    assert api(publicity).post(f"/api/v1/campaigns/{draft.id}/schedule").status_code == 409


def test_creating_twice_with_one_idempotency_key_makes_one_campaign(api, publicity, body, session):
    client = api(publicity)
    headers, data = {"Idempotency-Key": "low-carbon-day-2026"}, body()
    first = client.post("/api/v1/campaigns", json=data, headers=headers)
    again = client.post("/api/v1/campaigns", json=data, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert count(session, Campaign) == 1


def test_participation_is_for_the_department(api, publicity, session, make_user):
    campaign = make_campaign(session, publicity, starts=now() + dt.timedelta(days=1), ends=now() + dt.timedelta(days=2))
    response = api(publicity).get(f"/api/v1/campaigns/{campaign.id}/participation")
    assert response.status_code == 200
    assert set(response.get_json()) == {"during", "before"}
    assert api(make_user(Role.RESIDENT)).get(f"/api/v1/campaigns/{campaign.id}/participation").status_code == 403


def test_residents_read_their_notices_in_their_language(api, publicity, session, resident):
    moment = now()
    campaign = make_campaign(
        session,
        publicity,
        starts=moment - dt.timedelta(minutes=1),
        ends=moment + dt.timedelta(days=2),
        now=moment - dt.timedelta(hours=1),
    )
    campaign_lifecycle.activate_due(session)
    session.commit()
    client = api(resident)
    zh = client.get("/api/v1/notices").get_json()["items"]
    en = client.get("/api/v1/notices", headers={"Accept-Language": "en"}).get_json()["items"]
    assert [n["kind"] for n in zh] == ["campaign_started"]
    assert zh[0]["campaign_id"] == campaign.id
    assert "低碳周" in zh[0]["title"]
    assert en[0]["title"] == "Low-carbon week has started"


def test_the_openapi_document_describes_the_campaign_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/campaigns"])
    assert {"patch", "get"} <= set(paths["/api/v1/campaigns/{campaign_id}"])
    assert "post" in paths["/api/v1/campaigns/{campaign_id}/cancel"]
    assert {"get", "post"} <= set(paths["/api/v1/campaign-calendar/{year}"])
