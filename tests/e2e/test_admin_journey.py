"""The demo administrator signs in for the first time: forced to set up two-factor sign-in, keeps the
recovery codes, reads the audit log; signs in again with a recovery code.

Screenshots go to tests/e2e/screenshots/test_admin_enrols_and_reads_the_audit_log/.
"""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "Green-Dezhou-2026"
ADMIN = "admin@demo.dezhou.example"


def sign_in(page: Page) -> None:
    main = page.locator("main")
    page.goto("/auth/login?next=/admin/audit")
    main.get_by_label("手机号或电子邮箱").fill(ADMIN)
    main.get_by_label("密码").fill(PASSWORD)
    main.get_by_role("button", name="登录").click()


def test_admin_enrols_and_reads_the_audit_log(page: Page, shoot) -> None:
    main = page.locator("main")

    # 1. The password alone leads to the set-up, nowhere else.
    sign_in(page)
    expect(page).to_have_url(re.compile(r"/auth/two-factor/enrol$"))
    expect(main.get_by_role("heading", level=1)).to_have_text("设置两步验证登录")
    expect(main.locator(".qr svg")).to_be_visible()
    shoot("01-enrol")
    page.goto("/admin/users")
    expect(page).to_have_url(re.compile(r"/auth/login\?next=/admin/users$"))
    expect(main.get_by_role("heading", level=1)).to_have_text("登录")

    # 2. The authenticator (here pyotp) reads the secret shown beside the QR code; its code turns it on.
    page.goto("/auth/two-factor/enrol")
    secret = main.locator("[data-test=totp-secret]").inner_text().strip()
    main.get_by_label("验证码").fill(pyotp.TOTP(secret).now())
    main.get_by_role("button", name="启用").click()
    codes = main.locator("[data-test=recovery-codes] code")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text().strip()
    shoot("02-recovery-codes")

    # 3. The audit log records the enrolment.
    page.goto("/admin/audit?action=two_factor.")
    expect(main.get_by_role("heading", level=1)).to_have_text("审计日志")
    expect(main.locator("[data-test=audit-row]").first).to_contain_text("two_factor.enrolled")
    shoot("03-audit-log")

    # 4. On another browser, the password leads to the code step; a recovery code lets the admin in once.
    page.context.clear_cookies()  # a new browser: no session
    sign_in(page)
    expect(page).to_have_url(re.compile(r"/auth/two-factor/verify"))
    main.get_by_label("验证码").fill(recovery)
    main.get_by_role("button", name="继续").click()
    expect(page).to_have_url(re.compile(r"/admin/audit$"))
    shoot("04-signed-in-with-a-recovery-code")
