"""Personal data: a resident can take all of it (export) and erase it, while the ledger row stays."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from models import ApiToken, Role, User

from .conftest import PASSWORD
from .pages import clone, login, page_csrf

STAFF = [Role.MERCHANT, Role.PUBLICITY, Role.OFFICIAL, Role.ADMIN]


def issue_token(app, user, name="pedometer"):
    response = app.test_client().post(
        "/api/v1/auth/tokens", json={"login": user.phone, "password": PASSWORD, "name": name}
    )
    assert response.status_code == 201
    return response.get_json()


def test_export_contains_profile_tokens_and_activity_of_the_caller(app, api, resident, make_user):
    stranger = make_user()
    token = issue_token(app, resident)
    response = api(resident).get("/api/v1/me/export")
    assert response.status_code == 200
    data = response.get_json()
    profile = data["profile"]
    assert profile["id"] == resident.id and profile["phone"] == resident.phone
    assert profile["nickname"] == resident.nickname and profile["district"] == "371402"
    assert profile["role"] == "resident" and profile["created_at"] and profile["last_login_at"]
    assert [t["name"] for t in data["api_tokens"]] == ["pedometer"]
    assert data["api_tokens"][0]["id"] == token["id"]
    actions = {event["action"] for event in data["account_activity"]}
    assert {"account.created", "token.issued"} <= actions
    text = json.dumps(data, ensure_ascii=False)
    assert stranger.phone not in text and stranger.nickname not in text


def test_export_never_contains_secrets(app, api, resident, session):
    raw = issue_token(app, resident)["token"]
    text = api(resident).get("/api/v1/me/export").get_data(as_text=True)
    stored = session.scalar(select(ApiToken).where(ApiToken.user_id == resident.id))
    assert raw not in text and stored.token_hash not in text
    assert resident.password_hash not in text and "password" not in text


@pytest.mark.parametrize("role", STAFF, ids=str)
def test_export_is_for_residents_only(api, make_user, role):
    response = api(make_user(role)).get("/api/v1/me/export")
    assert response.status_code == 403
    assert response.get_json()["code"] == 403


def test_export_needs_sign_in(client):
    assert client.get("/api/v1/me/export").status_code == 401


def test_export_page_download_is_json_attachment(client, resident):
    login(client, resident)
    response = client.get("/me/export")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_json()["profile"]["phone"] == resident.phone


def test_delete_me_erases_personal_data_but_keeps_the_row(app, api, resident, session):
    token = issue_token(app, resident)
    client = api(resident)
    captured = clone(app, client.client)
    user_id, phone = resident.id, resident.phone
    response = client.delete("/api/v1/me")
    assert response.status_code == 204
    session.expire_all()
    user = session.get(User, user_id)
    assert user is not None  # the ledger keeps its account, anonymised
    assert user.phone is None and user.email is None and user.nickname == ""
    assert user.password_hash is None and user.deleted_at is not None
    assert session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)).all() == []
    assert captured.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").status_code == 401
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token['token']}"}).status_code == 401
    assert app.test_client().post("/api/v1/auth/login", json={"login": phone, "password": PASSWORD}).status_code == 401


def test_an_erased_phone_can_register_again_as_a_new_account(api, resident, client, register_payload):
    old_id, phone = resident.id, resident.phone
    assert api(resident).delete("/api/v1/me").status_code == 204
    response = client.post("/api/v1/auth/register", json=register_payload(phone=phone))
    assert response.status_code == 201
    assert response.get_json()["id"] != old_id


@pytest.mark.parametrize("role", STAFF, ids=str)
def test_staff_cannot_delete_themselves_through_the_api(api, make_user, session, role):
    staff = make_user(role)
    response = api(staff).delete("/api/v1/me")
    assert response.status_code == 403
    session.refresh(staff)
    assert staff.deleted_at is None and staff.phone is not None


def test_delete_page_erases_after_confirmation_with_csrf(app, client, resident, session):
    login(client, resident)
    token = page_csrf(client, "/me/")
    assert client.post("/me/delete", data={"csrf_token": token}).status_code == 302
    session.refresh(resident)
    assert resident.deleted_at is not None and resident.phone is None
