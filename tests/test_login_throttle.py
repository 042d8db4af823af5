"""Login throttling: failed attempts lock one account for a while, from any address; successes never count."""

from __future__ import annotations

from .conftest import PASSWORD
from .pages import page_csrf

WRONG = "Not-The-Password-1"


def attempt(client, login, password, path="/api/v1/auth/login", **extra):
    return client.post(path, json={"login": login, "password": password, **extra})


def test_sixth_attempt_after_five_failures_is_429_even_with_the_right_password(client, resident):
    for _ in range(5):
        assert attempt(client, resident.phone, WRONG).status_code == 401
    response = attempt(client, resident.phone, PASSWORD)
    assert response.status_code == 429
    assert response.get_json()["code"] == 429 and response.get_json()["message"]
    assert client.get("/api/v1/me").status_code == 401


def test_the_lock_follows_the_account_not_the_client(app, resident):
    for _ in range(5):
        attempt(app.test_client(), resident.phone, WRONG)
    # Other clients (as if other devices), whatever the spelling of the login: still locked.
    p = resident.phone
    for spelling in (p, f"+86{p}", f"0086 {p}", f"{p[:3]} {p[3:7]}-{p[7:]}", f" {p} "):
        assert attempt(app.test_client(), spelling, PASSWORD).status_code == 429, spelling


def test_other_accounts_are_not_locked(client, make_user, app):
    victim, bystander = make_user(), make_user()
    for _ in range(5):
        attempt(client, victim.phone, WRONG)
    assert attempt(client, victim.phone, PASSWORD).status_code == 429
    assert attempt(app.test_client(), bystander.phone, PASSWORD).status_code == 200


def test_email_logins_are_locked_whatever_the_case(app, make_user):
    make_user(login="runner@example.com")
    for _ in range(5):
        attempt(app.test_client(), "Runner@Example.com", WRONG)
    assert attempt(app.test_client(), "runner@example.COM", PASSWORD).status_code == 429


def test_successful_logins_do_not_count(app, resident):
    for _ in range(8):
        assert attempt(app.test_client(), resident.phone, PASSWORD).status_code == 200
    client = app.test_client()
    for _ in range(5):
        assert attempt(client, resident.phone, WRONG).status_code == 401
    assert attempt(client, resident.phone, PASSWORD).status_code == 429


def test_unknown_logins_are_throttled_like_known_ones(client):
    for _ in range(5):
        assert attempt(client, "13800000000", WRONG).status_code == 401
    assert attempt(client, "13800000000", WRONG).status_code == 429


def test_token_endpoint_is_throttled_too(client, resident):
    for _ in range(5):
        assert attempt(client, resident.phone, WRONG, "/api/v1/auth/tokens", name="x").status_code == 401
    assert attempt(client, resident.phone, PASSWORD, "/api/v1/auth/tokens", name="x").status_code == 429


def test_html_login_form_is_throttled(client, resident):
    token = page_csrf(client, "/auth/login")
    form = {"csrf_token": token, "login": resident.phone}
    for _ in range(5):
        assert client.post("/auth/login", data={**form, "password": WRONG}).status_code == 401
    assert client.post("/auth/login", data={**form, "password": PASSWORD}).status_code == 429
