"""CSRF: every unsafe request riding on the session cookie needs the token, and without it nothing changes."""

from __future__ import annotations

from sqlalchemy import func, select

from models import User

from .conftest import PASSWORD
from .pages import login, page_csrf


def test_session_api_post_without_csrf_header_is_400_and_changes_nothing(client, resident, session):
    login(client, resident)
    version = resident.session_version
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 400
    assert response.get_json()["code"] == 400
    assert client.get("/api/v1/me").status_code == 200
    session.refresh(resident)
    assert resident.session_version == version


def test_session_api_delete_without_csrf_header_does_not_erase_the_account(client, resident, session):
    login(client, resident)
    assert client.delete("/api/v1/me").status_code == 400
    session.refresh(resident)
    assert resident.deleted_at is None and resident.phone is not None


def test_a_wrong_csrf_header_is_refused(client, resident):
    login(client, resident)
    assert client.post("/api/v1/auth/logout", headers={"X-CSRFToken": "forged"}).status_code == 400
    assert client.get("/api/v1/me").status_code == 200


def test_a_token_from_another_session_is_refused(app, client, resident):
    stranger = app.test_client()
    foreign = stranger.get("/api/v1/auth/csrf").get_json()["csrf_token"]
    login(client, resident)
    assert client.post("/api/v1/auth/logout", headers={"X-CSRFToken": foreign}).status_code == 400
    assert client.get("/api/v1/me").status_code == 200


def test_the_token_from_auth_csrf_is_accepted(client, resident):
    login(client, resident)
    token = client.get("/api/v1/auth/csrf").get_json()["csrf_token"]
    assert client.post("/api/v1/auth/logout", headers={"X-CSRFToken": token}).status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_html_register_post_without_csrf_token_is_refused_and_stores_nothing(client, session):
    before = session.scalar(select(func.count()).select_from(User))
    response = client.post(
        "/auth/register",
        data={"phone": "13612345670", "password": PASSWORD, "nickname": "无令牌", "district": "371402", "consent": "y"},
    )
    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(User)) == before


def test_html_password_change_without_csrf_token_is_refused(app, client, resident):
    login(client, resident)
    response = client.post(
        "/me/password", data={"current_password": PASSWORD, "new_password": "Another-Quiet-Street-7"}
    )
    assert response.status_code == 400
    assert login(app.test_client(), resident).status_code == 200  # the old password still works


def test_html_sign_out_without_csrf_token_keeps_the_session(client, resident):
    login(client, resident)
    client.post("/auth/logout", data={})
    assert client.get("/api/v1/me").status_code == 200


def test_html_form_post_with_the_page_token_is_accepted(client, resident):
    login(client, resident)
    token = page_csrf(client, "/me/")
    response = client.post("/auth/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/api/v1/me").status_code == 401
