"""Concurrent use of one second factor: a recovery code or a TOTP step wins exactly once (real commits)."""

from __future__ import annotations

from collections import Counter

import pyotp
from sqlalchemy import func, select

from models import ApiToken, RecoveryCode, Role
from webapp.services import accounts, two_factor

from .conftest import PASSWORD
from .helpers import race


def _enrolled(committed):
    user = accounts.create_user(committed, None, role=Role.OFFICIAL, login="13700000077", password=PASSWORD)
    secret = two_factor.begin_enrolment(committed, user)
    codes = two_factor.confirm_enrolment(committed, user, pyotp.TOTP(secret).now())
    user.totp_last_step = None  # the confirming code's step may be used again below
    committed.commit()
    return user, codes


def _token_race(app, user, otp):
    body = {"login": user.phone, "password": PASSWORD, "name": "race", "otp": otp}
    return Counter(r.status_code for r in race(2, lambda i: app.test_client().post("/api/v1/auth/tokens", json=body)))


def test_two_requests_with_one_recovery_code_get_exactly_one_token(app, committed):
    user, codes = _enrolled(committed)
    assert _token_race(app, user, codes[0]) == {201: 1, 401: 1}
    committed.expire_all()
    assert committed.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)) == 1
    used = select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_not(None))
    assert committed.scalar(used) == 1


def test_two_requests_with_one_totp_code_get_exactly_one_token(app, committed):
    user, _ = _enrolled(committed)
    assert _token_race(app, user, pyotp.TOTP(user.totp_secret).now()) == {201: 1, 401: 1}
