"""Staff two-factor sign-in: no staff session or token on the password alone, codes used once, throttled."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import func, select

from models import ApiToken, AuditEvent, RecoveryCode, Role, User
from webapp.errors import Unauthenticated
from webapp.services import two_factor

from .conftest import PASSWORD
from .helpers import fresh_otp
from .pages import csrf_from, page_csrf


def enrolled_staff(session, make_user, role=Role.PUBLICITY):
    """A staff member who went through enrolment; returns (user, recovery codes)."""
    user = make_user(role)
    secret = two_factor.begin_enrolment(session, user)
    codes = two_factor.confirm_enrolment(session, user, pyotp.TOTP(secret).now())
    session.commit()
    return user, codes


def api_login(client, user, **extra):
    return client.post("/api/v1/auth/login", json={"login": user.phone, "password": PASSWORD, **extra})


def page_login(client, user):
    token = page_csrf(client, "/auth/login")
    return client.post("/auth/login", data={"csrf_token": token, "login": user.phone, "password": PASSWORD})


def send_code(client, code, path="/auth/two-factor/verify"):
    token = csrf_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, "code": code})


def test_password_alone_gives_an_enrolled_staff_member_no_session(client, session, make_user):
    user, _ = enrolled_staff(session, make_user)
    response = api_login(client, user)
    assert response.status_code == 401
    assert "otp" in response.get_json()["message"]
    assert client.get("/api/v1/me").status_code == 401


def test_a_valid_otp_signs_in_and_the_same_code_is_refused_again(app, session, make_user):
    user, _ = enrolled_staff(session, make_user)
    user.totp_last_step = None
    session.commit()
    code = pyotp.TOTP(user.totp_secret).now()
    first, second = app.test_client(), app.test_client()
    assert api_login(first, user, otp=code).status_code == 200
    assert first.get("/api/v1/me").get_json()["id"] == user.id
    replay = api_login(second, user, otp=code)
    assert replay.status_code == 401
    assert second.get("/api/v1/me").status_code == 401


def test_residents_sign_in_as_before(client, resident):
    assert api_login(client, resident).status_code == 200


def test_unenrolled_non_admin_staff_sign_in_with_the_password(client, make_user):
    assert api_login(client, make_user(Role.OFFICIAL)).status_code == 200


def test_the_html_password_step_leads_to_the_code_step_without_a_session(client, session, make_user):
    user, _ = enrolled_staff(session, make_user)
    response = page_login(client, user)
    assert response.status_code == 302 and "/auth/two-factor/verify" in response.headers["Location"]
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/publicity/").status_code in (302, 401)
    assert send_code(client, "000000").status_code == 401
    assert client.get("/api/v1/me").status_code == 401
    assert send_code(client, fresh_otp(user)).status_code == 302
    assert client.get("/api/v1/me").get_json()["id"] == user.id


def test_a_recovery_code_works_once(app, session, make_user):
    user, codes = enrolled_staff(session, make_user)
    first = app.test_client()
    page_login(first, user)
    assert send_code(first, codes[0].upper()).status_code == 302
    assert first.get("/api/v1/me").status_code == 200
    again = app.test_client()
    page_login(again, user)
    assert send_code(again, codes[0]).status_code == 401
    assert session.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_(None))) == 9


def test_recovery_codes_are_stored_only_as_argon2_hashes(session, make_user):
    user, codes = enrolled_staff(session, make_user)
    hashes = session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(hashes) == len(codes) == 10 and len(set(codes)) == 10
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any(c.replace("-", "") in h for c in codes for h in hashes)


def test_an_admin_who_has_not_enrolled_is_sent_to_enrolment_and_can_do_nothing_else(client, session, make_user):
    admin = make_user(Role.ADMIN)
    admin.totp_secret = admin.totp_enrolled_at = None
    session.commit()
    response = page_login(client, admin)
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/two-factor/enrol")
    assert client.get("/admin/users").status_code in (302, 401)
    assert client.get("/api/v1/me").status_code == 401
    page = client.get("/auth/two-factor/enrol").get_data(as_text=True)
    assert "<svg" in page and "https://" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    session.refresh(admin)
    assert admin.totp_secret in page
    done = send_code(client, pyotp.TOTP(admin.totp_secret).now(), "/auth/two-factor/enrol")
    assert done.status_code == 200 and 'data-test="recovery-codes"' in done.get_data(as_text=True)
    assert client.get("/admin/users").status_code == 200
    assert session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "two_factor.enrolled")
    )


def test_api_tokens_for_staff_need_the_second_factor(client, session, make_user):
    user, _ = enrolled_staff(session, make_user, Role.MERCHANT)
    body = {"login": user.phone, "password": PASSWORD, "name": "till"}
    refused = client.post("/api/v1/auth/tokens", json=body)
    assert refused.status_code == 401 and refused.get_json()["message"]
    assert client.post("/api/v1/auth/tokens", json={**body, "otp": "123"}).status_code == 401
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 0
    assert client.post("/api/v1/auth/tokens", json={**body, "otp": fresh_otp(user)}).status_code == 201


def test_an_unenrolled_admin_gets_no_token_and_no_api_session(client, session, make_user):
    admin = make_user(Role.ADMIN)
    admin.totp_enrolled_at = None
    session.commit()
    body = {"login": admin.phone, "password": PASSWORD, "name": "x"}
    assert client.post("/api/v1/auth/tokens", json=body).status_code == 401
    assert api_login(client, admin).status_code == 401


def test_wrong_codes_are_throttled_per_account(app, session, make_user):
    user, _ = enrolled_staff(session, make_user)
    client = app.test_client()
    page_login(client, user)
    for _ in range(5):
        assert send_code(client, "000000").status_code == 401
    assert send_code(client, fresh_otp(user)).status_code == 429
    # From another address the account is still locked (the API counts wrong codes per login too).
    other = app.test_client()
    for _ in range(5):
        assert api_login(other, user, otp="000000").status_code == 401
    assert api_login(other, user, otp=fresh_otp(user)).status_code == 429


def test_regenerated_codes_replace_the_old_ones(client, session, make_user):
    user, old = enrolled_staff(session, make_user)
    page_login(client, user)
    send_code(client, fresh_otp(user))
    token = csrf_from(client.get("/auth/two-factor").get_data(as_text=True))
    wrong = client.post("/auth/two-factor/recovery-codes", data={"csrf_token": token, "code": "999999"})
    assert wrong.status_code == 401
    response = client.post("/auth/two-factor/recovery-codes", data={"csrf_token": token, "code": fresh_otp(user)})
    assert response.status_code == 200
    with pytest.raises(Unauthenticated):
        two_factor.verify(session, user, old[1])
    assert session.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id)) == 10


def test_an_admin_resets_a_staff_members_factor_and_it_is_audited(api, session, make_user):
    user, _ = enrolled_staff(session, make_user)
    admin = make_user(Role.ADMIN)
    browser = api(admin)
    token = csrf_from(browser.get("/admin/users").get_data(as_text=True))
    response = browser.client.post(f"/admin/users/{user.id}/two-factor/reset", data={"csrf_token": token})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, user.id).totp_enrolled_at is None
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "two_factor.reset"))
    assert event.actor_id == admin.id and event.target_id == user.id
    assert event.before["enrolled"] is True and event.after["enrolled"] is False


def test_only_an_admin_can_reset(api, session, make_user):
    user, _ = enrolled_staff(session, make_user)
    official = make_user(Role.OFFICIAL)
    browser = api(official)
    response = browser.post(f"/admin/users/{user.id}/two-factor/reset")
    assert response.status_code == 403
    session.expire_all()
    assert session.get(User, user.id).totp_enrolled_at is not None


def test_an_expired_password_step_must_start_again(client, session, make_user):
    user, _ = enrolled_staff(session, make_user)
    page_login(client, user)
    with client.session_transaction() as state:
        state["pending_2fa"] = {**state["pending_2fa"], "at": state["pending_2fa"]["at"] - 301}
    assert client.get("/auth/two-factor/verify").status_code == 302
