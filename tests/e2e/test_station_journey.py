"""A waste deposit at the station, on a 360x640 phone: resident 13800000002 reads their member code;
the demo attendant types it (the camera's fallback), weighs 1.5 kg of paper and the resident is credited.

Screenshots go to tests/e2e/screenshots/test_station_deposit_by_typed_code/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "Green-Dezhou-2026"

RESIDENT = "13800000002"
ATTENDANT = "attendant@demo.dezhou.example"


def sign_in(page: Page, login: str) -> None:
    main = page.locator("main")
    page.goto("/auth/login")
    main.get_by_label("手机号或电子邮箱").fill(login)
    main.get_by_label("密码").fill(PASSWORD)
    main.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/auth/login"))


def sign_out(page: Page) -> None:
    page.locator("details.menu > summary").tap()
    page.locator("details.menu").get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/$"))


@pytest.mark.e2e
def test_station_deposit_by_typed_code(page: Page, shoot) -> None:
    main = page.locator("main")
    sign_in(page, RESIDENT)
    page.goto("/me/qr")
    code = main.locator("[data-test=member-code]").inner_text().strip()
    assert code.startswith("M-")
    sign_out(page)

    sign_in(page, ATTENDANT)
    page.goto("/station/")
    expect(main.get_by_role("heading", level=1)).to_have_text("新湖回收站")
    main.get_by_label("居民会员码").fill(code)
    main.get_by_label("垃圾类别").select_option("waste_paper")
    main.get_by_label("重量（千克）").fill("1.5")
    shoot("filled")
    main.locator("[data-test=deposit]").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"投放已记录：居民获得 \d+ 积分。"))
    expect(main.get_by_text("今日投放")).to_be_visible()
    shoot("recorded")
