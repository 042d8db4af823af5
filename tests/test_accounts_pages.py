"""The HTML sign-up and sign-in forms: Chinese by default, CSRF-protected, refusing bad input in place."""

from __future__ import annotations

from sqlalchemy import func, select

from models import Role, User

from .conftest import PASSWORD
from .pages import csrf_from, login, page_csrf


def user_count(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def form_data(token: str, **overrides) -> dict:
    data = {
        "csrf_token": token,
        "phone": "13612345678",
        "email": "",
        "password": PASSWORD,
        "nickname": "骑行的人",
        "district": "371403",
        "consent": "y",
    }
    data.update(overrides)
    return data


def test_register_page_renders_in_chinese_with_districts_and_a_csrf_token(client):
    response = client.get("/auth/register")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "开通您的碳账户" in html
    assert "德城区" in html and "禹城市" in html
    assert csrf_from(html)


def test_register_form_creates_the_account_and_signs_in(client, session):
    token = page_csrf(client)
    response = client.post("/auth/register", data=form_data(token))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/me/")
    me = client.get("/api/v1/me").get_json()
    assert me["nickname"] == "骑行的人" and me["district"] == "371403" and me["roles"] == ["resident"]
    user = session.get(User, me["id"])
    assert user.phone == "13612345678" and user.language == "zh_CN" and user.consented_at is not None


def test_register_form_without_consent_rerenders_with_a_message_and_stores_nothing(client, session):
    token = page_csrf(client)
    before = user_count(session)
    response = client.post("/auth/register", data=form_data(token, consent=""))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "注册前须同意隐私政策。" in html
    assert 'value="13612345678"' in html  # what was typed is kept
    assert user_count(session) == before
    assert client.get("/api/v1/me").status_code == 401


def test_register_form_with_a_common_password_shows_the_password_error(client, session):
    token = page_csrf(client)
    before = user_count(session)
    response = client.post("/auth/register", data=form_data(token, password="password"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<small class="error" id="password-err">该密码过于常见，请换一个。</small>' in html
    assert user_count(session) == before


def test_register_form_with_missing_fields_is_422(client, session):
    token = page_csrf(client)
    before = user_count(session)
    response = client.post("/auth/register", data={"csrf_token": token})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert user_count(session) == before


def test_register_form_duplicate_phone_is_refused(client, session, resident):
    token = page_csrf(client)
    before = user_count(session)
    response = client.post("/auth/register", data=form_data(token, phone=resident.phone))
    assert response.status_code == 422
    assert "该手机号或邮箱已注册。" in response.get_data(as_text=True)
    assert user_count(session) == before


def test_login_form_signs_in_and_follows_a_local_next(client, resident):
    token = page_csrf(client, "/auth/login")
    response = client.post(
        "/auth/login?next=/privacy", data={"csrf_token": token, "login": resident.phone, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/privacy"
    assert client.get("/api/v1/me").get_json()["id"] == resident.id


def test_login_form_ignores_an_offsite_next(client, resident):
    token = page_csrf(client, "/auth/login")
    response = client.post(
        "/auth/login?next=//evil.example/", data={"csrf_token": token, "login": resident.phone, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_login_form_wrong_password_is_401_with_a_message(client, resident):
    token = page_csrf(client, "/auth/login")
    response = client.post(
        "/auth/login", data={"csrf_token": token, "login": resident.phone, "password": "Wrong-Password-9"}
    )
    assert response.status_code == 401
    assert "账号或密码错误" in response.get_data(as_text=True)
    assert client.get("/api/v1/me").status_code == 401


def test_admin_creates_a_staff_account_through_the_users_page(app, client, make_user, session):
    login(client, make_user(Role.ADMIN))
    page = client.get("/admin/users")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<option value="official">' in html and "商户店员" in html
    data = {
        "csrf_token": csrf_from(html),
        "role": "official",
        "login": "official@dezhou.example",
        "nickname": "统计科",
        "password": "Quiet-Office-Lamp-8",
    }
    assert client.post("/admin/users", data=data).status_code == 302
    staff = session.scalar(select(User).where(User.email == "official@dezhou.example"))
    assert staff.role == Role.OFFICIAL and staff.district_id is None
    other = app.test_client()
    response = other.post("/api/v1/auth/login", json={"login": staff.email, "password": "Quiet-Office-Lamp-8"})
    assert response.status_code == 200 and response.get_json()["roles"] == ["official"]
