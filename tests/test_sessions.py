"""Sessions end when they should: sign-out everywhere, password change, idle and absolute timeouts."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from models import ApiToken

from .conftest import PASSWORD
from .pages import clone, login, me_status, page_csrf

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
NEW_PASSWORD = "Another-Quiet-Street-7"


def csrf(client) -> dict:
    return {"X-CSRFToken": client.get("/api/v1/auth/csrf").get_json()["csrf_token"]}


def test_logout_ends_every_session_including_copied_cookies(app, resident):
    first, elsewhere = app.test_client(), app.test_client()
    login(first, resident)
    login(elsewhere, resident)
    captured = clone(app, first)
    assert me_status(captured) == 200
    assert first.post("/api/v1/auth/logout", headers=csrf(first)).status_code == 204
    assert me_status(first) == 401
    assert me_status(captured) == 401  # the cookie taken before sign-out is dead
    assert me_status(elsewhere) == 401  # so is the other device
    assert login(first, resident).status_code == 200  # signing in again works


def test_html_logout_also_ends_copied_sessions(app, client, resident):
    login(client, resident)
    captured = clone(app, client)
    token = page_csrf(client, "/me/")
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert me_status(captured) == 401


def test_logout_requires_a_session(client):
    assert client.post("/api/v1/auth/logout").status_code == 401


def test_password_change_ends_other_sessions_and_revokes_tokens(app, client, resident, session):
    other = app.test_client()
    login(other, resident)
    login(client, resident)
    raw = app.test_client().post(
        "/api/v1/auth/tokens", json={"login": resident.phone, "password": PASSWORD, "name": "script"}
    )
    assert raw.status_code == 201
    token = raw.get_json()["token"]
    form = {"csrf_token": page_csrf(client, "/me/"), "current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert client.post("/me/password", data=form).status_code == 302
    assert me_status(client) == 200  # the device that changed it stays signed in
    assert me_status(other) == 401
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    session.expire_all()
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == resident.id)).all()
    assert tokens and all(t.revoked_at is not None for t in tokens)
    assert login(app.test_client(), resident).status_code == 401
    assert login(app.test_client(), resident, NEW_PASSWORD).status_code == 200


def test_password_change_with_a_wrong_current_password_changes_nothing(app, client, resident):
    other = app.test_client()
    login(other, resident)
    login(client, resident)
    form = {
        "csrf_token": page_csrf(client, "/me/"),
        "current_password": "Wrong-Password-9",
        "new_password": NEW_PASSWORD,
    }
    assert client.post("/me/password", data=form).status_code == 422
    assert me_status(other) == 200
    assert login(app.test_client(), resident).status_code == 200


def test_idle_session_expires_after_the_idle_limit(app, client, resident):
    assert app.config["SESSION_IDLE_MINUTES"] == 60
    with time_machine.travel(START, tick=False) as traveller:
        login(client, resident)
        traveller.shift(dt.timedelta(minutes=59))
        assert me_status(client) == 200
        traveller.shift(dt.timedelta(minutes=61))
        assert me_status(client) == 401
        assert client.get("/me/").status_code == 302


def test_activity_keeps_a_session_alive_until_the_absolute_limit(app, client, resident):
    assert app.config["SESSION_ABSOLUTE_HOURS"] == 12
    with time_machine.travel(START, tick=False) as traveller:
        login(client, resident)
        for _ in range(14):  # 14 x 50 min = 11 h 40 min of steady use
            traveller.shift(dt.timedelta(minutes=50))
            assert me_status(client) == 200
        traveller.shift(dt.timedelta(minutes=21))  # 12 h 1 min after sign-in
        assert me_status(client) == 401


def test_timed_out_user_can_sign_in_again(app, client, resident):
    with time_machine.travel(START, tick=False) as traveller:
        login(client, resident)
        traveller.shift(dt.timedelta(hours=2))
        assert me_status(client) == 401
        assert login(client, resident).status_code == 200
        assert me_status(client) == 200


def test_sign_in_starts_a_fresh_session(client, resident):
    client.get("/auth/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by-an-attacker"
        planted_csrf = sess["csrf_token"]
    before = client.get_cookie("session").value
    assert login(client, resident).status_code == 200
    assert client.get_cookie("session").value != before
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("csrf_token") != planted_csrf


def test_sign_in_keeps_the_chosen_language(client, resident):
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    login(client, resident)
    with client.session_transaction() as sess:
        assert sess["lang"] == "en"
