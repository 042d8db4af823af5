"""Registration and sign-in through the JSON API: what is accepted, what is refused, what is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import Role, User

from .conftest import PASSWORD
from .pages import login

MISSING = object()


def user_count(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def test_register_creates_resident_and_answers_201_with_public_fields(client, session, register_payload):
    response = client.post("/api/v1/auth/register", json=register_payload())
    assert response.status_code == 201
    body = response.get_json()
    assert {"id", "nickname", "district", "roles"} <= body.keys()
    assert body["nickname"] == "绿色小达人"
    assert body["district"] == "371402"
    assert body["roles"] == ["resident"]
    assert "phone" not in body and "password" not in body
    user = session.get(User, body["id"])
    assert user.role == Role.RESIDENT and user.phone == "13912345678"
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert user.consent_version and user.consented_at is not None


def test_register_with_email_only_stores_it_lowercased(client, session, register_payload):
    payload = register_payload(phone=None, email="Green.Walker@Example.COM")
    response = client.post("/api/v1/auth/register", json=payload)
    assert response.status_code == 201
    assert session.get(User, response.get_json()["id"]).email == "green.walker@example.com"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"phone": "13912345678"}, {"phone": "13912345678"}),
        ({"phone": "13912345678"}, {"phone": "+86 139-1234-5678"}),
        ({"phone": None, "email": "a.b@example.com"}, {"phone": None, "email": "A.B@example.com"}),
    ],
    ids=["same-phone", "same-phone-other-format", "same-email-other-case"],
)
def test_register_duplicate_login_is_409_and_stores_nothing(client, session, register_payload, first, second):
    assert client.post("/api/v1/auth/register", json=register_payload(**first)).status_code == 201
    before = user_count(session)
    response = client.post("/api/v1/auth/register", json=register_payload(nickname="另一个人", **second))
    assert response.status_code == 409
    assert response.get_json()["code"] == 409
    assert user_count(session) == before


INVALID = [
    ("consent-missing", {"consent": MISSING}, "consent"),
    ("consent-false", {"consent": False}, "consent"),
    ("consent-null", {"consent": None}, "consent"),
    ("phone-too-short", {"phone": "1391234567"}, "phone"),
    ("phone-not-mobile", {"phone": "23912345678"}, "phone"),
    ("phone-letters", {"phone": "139abcd5678"}, "phone"),
    ("phone-full-width-digits", {"phone": "13９１２３４５６７８"}, "phone"),
    ("no-phone-no-email", {"phone": None}, "phone"),
    ("email-malformed", {"phone": None, "email": "not-an-address"}, "email"),
    ("password-common", {"password": "password"}, "password"),
    ("password-common-digits", {"password": "12345678"}, "password"),
    ("password-short", {"password": "Ab3$xyz"}, "password"),
    ("password-contains-phone", {"password": "my13912345678!"}, "password"),
    ("password-missing", {"password": MISSING}, "password"),
    ("nickname-missing", {"nickname": MISSING}, "nickname"),
    ("nickname-blank", {"nickname": "   "}, "nickname"),
    ("district-unknown", {"district": "999999"}, "district"),
    ("district-missing", {"district": MISSING}, "district"),
    ("language-unknown", {"language": "fr"}, "language"),
]


@pytest.mark.parametrize(("overrides", "field"), [case[1:] for case in INVALID], ids=[c[0] for c in INVALID])
def test_register_invalid_input_is_422_naming_the_field_and_stores_nothing(
    client, session, register_payload, overrides, field
):
    payload = register_payload(**{k: v for k, v in overrides.items() if v is not MISSING})
    for key in [k for k, v in overrides.items() if v is MISSING]:
        del payload[key]
    before = user_count(session)
    response = client.post("/api/v1/auth/register", json=payload)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == 422 and body["message"]
    assert field in body["errors"], body
    assert user_count(session) == before


def test_register_cannot_choose_a_staff_role(client, session, register_payload):
    response = client.post("/api/v1/auth/register", json=register_payload(role="admin"))
    if response.status_code == 201:
        assert session.get(User, response.get_json()["id"]).role == Role.RESIDENT
    else:
        assert response.status_code == 422


def test_wrong_password_and_unknown_login_get_the_same_401(client, resident):
    wrong = client.post("/api/v1/auth/login", json={"login": resident.phone, "password": "Not-The-Password-1"})
    unknown = client.post("/api/v1/auth/login", json={"login": "13800000000", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert wrong.get_json()["code"] == 401
    assert client.get("/api/v1/me").status_code == 401


def test_login_sets_session_and_me_returns_the_profile(client, resident):
    assert client.get("/api/v1/me").status_code == 401
    response = login(client, resident)
    assert response.status_code == 200
    assert response.get_json()["id"] == resident.id
    assert client.get_cookie("session") is not None
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.get_json() == {
        "id": resident.id,
        "nickname": resident.nickname,
        "district": "371402",
        "roles": ["resident"],
        "language": None,
    }


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("13700000001", "+86 137 0000 0001"),
        ("13700000002", "0086-137-0000-0002"),
        ("walker@example.com", " Walker@Example.COM "),
    ],
)
def test_login_accepts_the_login_in_other_formats(client, make_user, stored, typed):
    user = make_user(login=stored)
    response = client.post("/api/v1/auth/login", json={"login": typed, "password": PASSWORD})
    assert response.status_code == 200
    assert response.get_json()["id"] == user.id


def test_me_reports_the_role_of_staff(client, make_user):
    official = make_user(Role.OFFICIAL)
    login(client, official)
    body = client.get("/api/v1/me").get_json()
    assert body["roles"] == ["official"] and body["district"] is None


def test_login_missing_fields_is_422(client):
    response = client.post("/api/v1/auth/login", json={"login": "13912345678"})
    assert response.status_code == 422
    assert "password" in response.get_json()["errors"]
