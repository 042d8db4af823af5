"""Steps the browser journeys share: signing a demo account in and out (Chinese pages, phone menu).
Imported as `journeys` (tests/e2e is not a package: pytest puts this directory on sys.path)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PASSWORD = "Green-Dezhou-2026"  # every demo account's (seeds/demo.py)


def sign_in(page: Page, login: str, next_path: str | None = None) -> None:
    """Sign in from the login page; lands on `next_path` when given, else anywhere but the login page."""
    main = page.locator("main")
    page.goto("/auth/login" + (f"?next={next_path}" if next_path else ""))
    expect(main.get_by_role("heading", level=1)).to_have_text("登录")
    main.get_by_label("手机号或电子邮箱").fill(login)
    main.get_by_label("密码").fill(PASSWORD)
    main.get_by_role("button", name="登录").click()
    if next_path:
        expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))
    else:
        expect(page).not_to_have_url(re.compile(r"/auth/login"))


def sign_out(page: Page) -> None:
    """Sign out through the phone menu: back home with the signed-out message."""
    page.locator("details.menu > summary").tap()
    page.locator("details.menu [data-test=logout]").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_have_text("您已退出登录。")
