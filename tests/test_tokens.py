"""Bearer tokens for programs: issued once, stored hashed, usable without CSRF, revocable by their owner."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select, text

from models import ApiToken

from .conftest import PASSWORD


def issue(client, user, name="phone app", password=PASSWORD):
    return client.post(
        "/api/v1/auth/tokens", json={"login": user.phone or user.email, "password": password, "name": name}
    )


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_issuing_a_token_answers_201_with_token_and_id(client, resident, session):
    response = issue(client, resident)
    assert response.status_code == 201
    body = response.get_json()
    assert isinstance(body["id"], int) and isinstance(body["token"], str) and len(body["token"]) >= 32
    stored = session.get(ApiToken, body["id"])
    assert stored.user_id == resident.id and stored.name == "phone app" and stored.revoked_at is None


def test_issuing_a_token_does_not_sign_the_client_in(client, resident):
    assert issue(client, resident).status_code == 201
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_password_gets_no_token(client, resident, session):
    response = issue(client, resident, password="Not-The-Password-1")
    assert response.status_code == 401
    assert "token" not in response.get_json()
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_token_is_stored_only_as_its_sha256(client, resident, db_conn):
    raw = issue(client, resident).get_json()["token"]
    rows = db_conn.execute(text("SELECT * FROM api_tokens")).mappings().all()
    assert len(rows) == 1
    assert all(raw not in str(value) for value in rows[0].values())
    assert rows[0]["token_hash"] == hashlib.sha256(raw.encode()).hexdigest()


def test_bearer_request_works_without_cookie_or_csrf(app, client, resident):
    raw = issue(client, resident).get_json()["token"]
    program = app.test_client()
    me = program.get("/api/v1/me", headers=bearer(raw))
    assert me.status_code == 200 and me.get_json()["id"] == resident.id
    other = issue(client, resident, name="second").get_json()
    # An unsafe method with the bearer only: no session, no X-CSRFToken.
    assert program.delete(f"/api/v1/auth/tokens/{other['id']}", headers=bearer(raw)).status_code == 204
    assert program.get("/api/v1/me", headers=bearer(other["token"])).status_code == 401
    assert program.get("/api/v1/me").status_code == 401  # the bearer left no session behind


def test_revoked_token_is_refused(app, client, resident, session):
    body = issue(client, resident).get_json()
    program = app.test_client()
    assert program.delete(f"/api/v1/auth/tokens/{body['id']}", headers=bearer(body["token"])).status_code == 204
    assert program.get("/api/v1/me", headers=bearer(body["token"])).status_code == 401
    session.expire_all()
    assert session.get(ApiToken, body["id"]).revoked_at is not None


def test_revoking_twice_is_404(app, client, resident, api):
    body = issue(client, resident).get_json()
    owner = api(resident)
    assert owner.delete(f"/api/v1/auth/tokens/{body['id']}").status_code == 204
    assert owner.delete(f"/api/v1/auth/tokens/{body['id']}").status_code == 404


def test_another_users_token_id_is_404_and_the_token_keeps_working(app, client, resident, make_user, api):
    theirs = issue(client, resident).get_json()
    intruder = api(make_user())
    response = intruder.delete(f"/api/v1/auth/tokens/{theirs['id']}")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404
    assert app.test_client().get("/api/v1/me", headers=bearer(theirs["token"])).status_code == 200


def test_unknown_token_id_is_404(resident, api):
    assert api(resident).delete("/api/v1/auth/tokens/999999").status_code == 404


def test_malformed_or_unknown_bearer_is_401(client):
    for header in ("Bearer ", "Bearer lcd_not-a-real-token", "Basic dXNlcjpwdw==", "lcd_token"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.get_json()["code"] == 401


def test_token_name_is_required(client, resident, session):
    response = client.post("/api/v1/auth/tokens", json={"login": resident.phone, "password": PASSWORD})
    assert response.status_code == 422
    assert "name" in response.get_json()["errors"]
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 0
