"""POST/GET /actions, /account, /account/entries, /action-types over HTTP (API.md)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select

from models import Action, IdempotencyRecord, LedgerEntry

from .carbon import make_type

NOW = dt.datetime(2026, 6, 14, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def frozen():
    """The whole test, sign-in included, at NOW (signed cookies refuse timestamps from the future)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def traveller(frozen, session, resident, api):
    return make_type(session, grams="100"), api(resident)


def body(action_type, **overrides):
    data = {"type": action_type.code, "quantity": 5, "occurred_at": NOW.isoformat()}
    data.update(overrides)
    return data


def stored(session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(Action)),
        session.scalar(select(func.count()).select_from(LedgerEntry)),
    )


def test_post_action_returns_the_contract_fields(traveller):
    action_type, client = traveller
    response = client.post("/api/v1/actions", json=body(action_type))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert {"id", "status", "co2e_grams", "credits", "capped", "multiplier", "campaign_ids", "balance"} <= set(data)
    assert (data["status"], data["co2e_grams"], data["credits"], data["capped"]) == ("credited", 500, 500, False)
    assert data["multiplier"] == 1
    assert data["campaign_ids"] == []
    assert data["balance"] == 500


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": "no_such_type"}, "type"),
        ({"quantity": 0.1}, "quantity"),
        ({"quantity": 1000}, "quantity"),
        ({"quantity": "NaN"}, "quantity"),
        ({"quantity": "Infinity"}, "quantity"),
        ({"quantity": "five"}, "quantity"),
        ({"occurred_at": "2026-06-14T09:00:00"}, "occurred_at"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": (NOW + dt.timedelta(minutes=10)).isoformat()}, "occurred_at"),
        ({"occurred_at": (NOW - dt.timedelta(days=8)).isoformat()}, "occurred_at"),
        ({"evidence_code": "ZZ-NOT-A-CODE"}, "evidence_code"),
        ({"note": "x" * 201}, "note"),
    ],
)
def test_bad_input_is_422_with_the_field_and_stores_nothing(session, traveller, overrides, field):
    action_type, client = traveller
    before = stored(session)
    response = client.post("/api/v1/actions", json=body(action_type, **overrides))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert stored(session) == before


def test_missing_fields_are_named(traveller):
    _, client = traveller
    response = client.post("/api/v1/actions", json={})
    assert response.status_code == 422
    assert {"type", "quantity", "occurred_at"} <= set(response.get_json()["errors"])


def test_nan_literal_in_json_is_refused(traveller):
    action_type, client = traveller
    raw = f'{{"type": "{action_type.code}", "quantity": NaN, "occurred_at": "{NOW.isoformat()}"}}'
    response = client.post("/api/v1/actions", data=raw, content_type="application/json")
    assert response.status_code in (400, 422)


def test_idempotent_replay_returns_the_first_response_and_changes_nothing(session, traveller):
    action_type, client = traveller
    headers = {"Idempotency-Key": "bus-2026-06-14-0900"}
    first = client.post("/api/v1/actions", json=body(action_type), headers=headers)
    after_first = stored(session)
    again = client.post("/api/v1/actions", json=body(action_type), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert stored(session) == after_first == (1, 1)


def test_same_key_with_another_body_is_409(session, traveller):
    action_type, client = traveller
    headers = {"Idempotency-Key": "k1"}
    assert client.post("/api/v1/actions", json=body(action_type), headers=headers).status_code == 201
    response = client.post("/api/v1/actions", json=body(action_type, quantity=6), headers=headers)
    assert response.status_code == 409
    assert stored(session) == (1, 1)


def test_keys_are_per_account(session, traveller, make_user, api):
    action_type, client = traveller
    other = api(make_user())
    assert client.post("/api/v1/actions", json=body(action_type), headers={"Idempotency-Key": "k"}).status_code == 201
    assert other.post("/api/v1/actions", json=body(action_type), headers={"Idempotency-Key": "k"}).status_code == 201
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "tab\tkey"])
def test_invalid_idempotency_keys_are_422(traveller, key):
    action_type, client = traveller
    response = client.post("/api/v1/actions", json=body(action_type), headers={"Idempotency-Key": key})
    assert response.status_code == 422


def test_account_and_entries_reflect_the_actions(traveller, fold):
    action_type, client = traveller
    for minutes in (0, 60, 120):
        client.post(
            "/api/v1/actions",
            json=body(action_type, quantity=1, occurred_at=(NOW - dt.timedelta(minutes=minutes)).isoformat()),
        )
    fold()  # the streak is derived: the projector's
    account = client.get("/api/v1/account").get_json()
    entries = client.get("/api/v1/account/entries?limit=2").get_json()
    rest = client.get(f"/api/v1/account/entries?limit=2&cursor={entries['next_cursor']}").get_json()
    assert account["balance"] == 300
    assert account["lifetime_earned"] == 300
    assert account["co2e_grams"] == 300
    assert account["streak_days"] == 1
    assert {"level", "badges", "lifetime_redeemed"} <= set(account)
    assert [e["balance_after"] for e in entries["items"]] == [300, 200]
    assert entries["items"][0]["cause"]["type"] == "action"
    assert [e["balance_after"] for e in rest["items"]] == [100]
    assert rest["next_cursor"] is None


def test_actions_list_is_own_and_newest_first(traveller, make_user, api):
    action_type, client = traveller
    other = api(make_user())
    client.post("/api/v1/actions", json=body(action_type, quantity=1))
    client.post(
        "/api/v1/actions", json=body(action_type, quantity=2, occurred_at=(NOW - dt.timedelta(hours=2)).isoformat())
    )
    other.post("/api/v1/actions", json=body(action_type, quantity=3))
    items = client.get("/api/v1/actions").get_json()["items"]
    assert [i["quantity"] for i in items] == [2, 1]


def test_bad_cursor_is_422(traveller):
    _, client = traveller
    assert client.get("/api/v1/actions?cursor=%%%").status_code == 422
    assert client.get("/api/v1/actions?limit=0").status_code == 422
    assert client.get("/api/v1/actions?limit=101").status_code == 422


def test_action_types_publish_factor_version_and_source(session, client):
    action_type = make_type(session, grams="123.5")
    types = {t["code"]: t for t in client.get("/api/v1/action-types").get_json()}
    entry = types[action_type.code]
    assert entry["grams_per_unit"] == 123.5
    assert entry["factor_version"] == 1
    assert entry["source"] == "test source"
    for field in ("family", "name", "unit", "min_quantity", "max_quantity", "daily_cap_credits", "needs_evidence"):
        assert field in entry


def test_export_contains_the_actions_and_the_ledger(traveller):
    action_type, client = traveller
    client.post("/api/v1/actions", json=body(action_type, quantity=2))
    data = client.get("/api/v1/me/export").get_json()
    assert [a["type"] for a in data["actions"]] == [action_type.code]
    assert data["actions"][0]["factor"] == f"{action_type.factor_code} v1"
    assert data["credit_ledger"]["balance"] == 200
    assert [e["amount"] for e in data["credit_ledger"]["entries"]] == [200]
