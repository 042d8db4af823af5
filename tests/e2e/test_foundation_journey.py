"""A resident on a 360x640 phone: sign up, sign out, sign in, switch to English, sign out.

Every step asserts what the person sees (text, URL, language) and that nothing scrolls sideways,
and saves a screenshot to tests/e2e/screenshots/test_resident_journey_on_a_phone/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "Tidy-Bus-Lane-42"
PHONE_WIDTH, PHONE_HEIGHT = 360, 640
MIN_TAP = 44  # px, the smallest comfortable tap target (WCAG 2.5.5, Apple HIG)


def assert_fits_phone(page: Page) -> None:
    """No sideways scrolling: the document is no wider than the phone."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"page is {width}px wide on a {PHONE_WIDTH}px phone ({page.url})"


def assert_tappable(target: Locator) -> None:
    box = target.bounding_box()
    assert box is not None, f"{target} is not rendered"
    name = target.inner_text() or target.get_attribute("aria-label")
    assert box["height"] >= MIN_TAP, f"{name!r} is {box['height']}px tall, too small to tap"
    assert box["width"] >= MIN_TAP, f"{name!r} is {box['width']}px wide, too small to tap"


def open_menu(page: Page) -> Locator:
    """Tap ☰ and return the menu's <nav>, checked to lie inside the screen with big enough targets."""
    menu = page.locator("details.menu")
    summary = menu.locator("summary")
    assert_tappable(summary)
    summary.tap()
    expect(menu).to_have_attribute("open", "")
    nav = menu.get_by_role("navigation")
    expect(nav).to_be_visible()
    box = nav.bounding_box()
    assert box is not None
    assert box["x"] >= 0, f"menu starts off-screen at x={box['x']}"
    assert box["x"] + box["width"] <= PHONE_WIDTH, f"menu ends off-screen at {box['x'] + box['width']}px"
    assert box["y"] + box["height"] <= PHONE_HEIGHT, f"menu runs below the screen to {box['y'] + box['height']}px"
    for target in nav.locator("a, button").all():
        assert_tappable(target)
    assert_fits_phone(page)
    return nav


def test_resident_journey_on_a_phone(page: Page, shoot, new_phone: str) -> None:
    nickname = f"骑行者{new_phone[-4:]}"
    main = page.locator("main")

    # 1. The home page, in Chinese by default.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page).to_have_title("低碳德州")
    expect(page.locator(".brand")).to_have_text("低碳德州")
    expect(main.get_by_role("heading", level=1)).to_have_text("您的个人碳账户")
    assert_fits_phone(page)
    shoot("01-home")

    # 2. The menu, closed by default, opens over the page and shows sign-in and sign-up.
    nav = open_menu(page)
    expect(nav.get_by_role("link", name="登录")).to_be_visible()
    expect(nav.get_by_role("link", name="注册")).to_be_visible()
    expect(nav.get_by_role("button", name="中文")).to_have_attribute("aria-current", "true")
    shoot("02-menu-signed-out")
    page.locator("details.menu > summary").tap()
    expect(nav).to_be_hidden()

    # 3. Sign up.
    main.get_by_role("link", name="注册").click()
    expect(page).to_have_url(re.compile(r"/auth/register$"))
    expect(main.get_by_role("heading", level=1)).to_have_text("开通您的碳账户")
    assert_fits_phone(page)
    shoot("03-sign-up")

    main.get_by_label("手机号").fill(new_phone)
    main.get_by_label("密码").fill(PASSWORD)
    main.get_by_label("昵称").fill(nickname)
    district = main.get_by_label("区县")
    expect(district.locator("option").first).to_have_text("请选择所在区县")
    district.select_option(label="德城区")
    consent = main.get_by_label("我已阅读并同意隐私政策")
    consent.check()
    expect(consent).to_be_checked()
    assert_fits_phone(page)
    shoot("04-sign-up-filled", full_page=True)

    # 4. Signed in, on the carbon account: a zero balance, in Chinese still.
    main.get_by_role("button", name="注册").click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("status")).to_have_text("欢迎！您的碳账户已开通。")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(main.locator("[data-test=balance]")).to_have_text("0")
    assert_fits_phone(page)
    shoot("05-carbon-account")

    # 5. "My account" in the menu: the profile shows what was registered.
    nav = open_menu(page)
    shoot("06-menu-signed-in")
    nav.get_by_role("link", name="我的账户").click()
    expect(page).to_have_url(re.compile(r"/me/profile$"))
    expect(main.get_by_role("heading", level=1)).to_have_text(f"您好，{nickname}")
    facts = main.locator("dl.facts")
    expect(facts).to_contain_text("居民")
    expect(facts).to_contain_text("德城区")
    expect(facts).to_contain_text(new_phone)
    assert_fits_phone(page)
    shoot("07-profile")

    # 6. Sign out from the menu.
    nav = open_menu(page)
    nav.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_have_text("您已退出登录。")
    expect(main.get_by_role("heading", level=1)).to_have_text("您的个人碳账户")
    assert_fits_phone(page)
    shoot("08-signed-out")

    # 7. Sign in again: back on the carbon account.
    main.get_by_role("link", name="登录").click()
    expect(page).to_have_url(re.compile(r"/auth/login$"))
    expect(main.get_by_role("heading", level=1)).to_have_text("登录")
    main.get_by_label("手机号或电子邮箱").fill(new_phone)
    main.get_by_label("密码").fill(PASSWORD)
    assert_fits_phone(page)
    shoot("09-sign-in")
    main.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(main.locator("[data-test=balance]")).to_have_text("0")
    shoot("10-signed-in-again")

    # 8. Switch to English: the same page, now in English, and the choice follows to the profile.
    nav = open_menu(page)
    nav.get_by_role("button", name="English").click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_title("My carbon account")
    expect(main).to_contain_text("Credits")
    assert_fits_phone(page)
    shoot("11-carbon-account-english")

    nav = open_menu(page)
    expect(nav.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")
    shoot("12-menu-english")
    nav.get_by_role("link", name="My account").click()
    expect(page).to_have_url(re.compile(r"/me/profile$"))
    expect(main.get_by_role("heading", level=1)).to_have_text(f"Hello, {nickname}")
    expect(facts).to_contain_text("Resident")
    expect(facts).to_contain_text("Decheng District")
    expect(main.get_by_role("button", name="Change password")).to_be_visible()
    assert_fits_phone(page)
    shoot("13-profile-english")

    # 9. Sign out. The language was saved on the account; signing out clears the session, so the
    # visitor's page follows the browser (zh-CN) again. Only the signed-out state is asserted here.
    nav = open_menu(page)
    nav.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_have_text(re.compile("^(您已退出登录。|You have signed out.)$"))
    expect(main.get_by_role("link", name=re.compile("^(登录|Sign in)$"))).to_be_visible()
    expect(page.locator("details.menu").locator("[data-test=logout]")).to_have_count(0)
    assert_fits_phone(page)
    shoot("14-signed-out")


@pytest.mark.browser_context_args(
    viewport={"width": 1280, "height": 800}, screen={"width": 1280, "height": 800}, is_mobile=False, has_touch=False
)
def test_wide_screen_shows_the_menu_as_a_bar(page: Page, shoot) -> None:
    page.goto("/")
    nav = page.locator("details.menu").get_by_role("navigation")
    expect(page.locator("details.menu > summary")).to_be_hidden()
    expect(nav.get_by_role("link", name="登录")).to_be_visible()
    expect(nav.get_by_role("button", name="English")).to_be_visible()
    shoot("01-home-wide")
