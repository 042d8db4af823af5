"""A resident with demo actions sees the game on the carbon account (level, badges, tree, weekly rank),
then starts a green family and gets its invite code.

Screenshots go to tests/e2e/screenshots/test_resident_grows_a_tree_and_starts_a_family/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "Green-Dezhou-2026"
RESIDENT = "13800000002"
FAMILY = "骑行一家"


def test_resident_grows_a_tree_and_starts_a_family(page: Page, shoot) -> None:
    main = page.locator("main")

    # 1. Sign in: the carbon account.
    page.goto("/auth/login")
    expect(main.get_by_role("heading", level=1)).to_have_text("登录")
    main.get_by_label("手机号或电子邮箱").fill(RESIDENT)
    main.get_by_label("密码").fill(PASSWORD)
    shoot("01-sign-in")
    main.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(main.locator("[data-test=balance]")).to_have_text(re.compile(r"^[1-9]\d*$"))
    shoot("02-carbon-account")

    # 2. The game section: tree, level, weekly rank and badges.
    game = main.locator("[data-test=game-section]")
    game.scroll_into_view_if_needed()
    expect(game.get_by_role("heading", level=2, name="我的绿色小树")).to_be_visible()
    tree = game.locator("svg.tree[role=img]")
    expect(tree).to_be_visible()
    expect(tree).to_have_attribute("data-stage", re.compile(r"^[1-8]$"))
    stage = tree.get_attribute("data-stage")
    expect(tree).to_have_attribute("aria-label", re.compile(rf"{stage}"))
    expect(game.locator("[data-test=level]")).to_have_text(re.compile(rf"^第 {stage} 级 · \S+"))
    expect(game.locator("dt", has_text="本周排名")).to_be_visible()
    expect(game.locator("[data-test=week-rank]")).to_have_text(re.compile(r"^#\d+$"))
    expect(game.get_by_role("heading", level=3, name="徽章")).to_be_visible()
    badges = game.locator("ul.badge-row img")
    expect(badges.first).to_be_visible()
    expect(badges.first).to_have_attribute("alt", re.compile(r"\S"))
    shoot("03-game-section")

    # 3. The family page: no family yet, a form to start one.
    game.get_by_role("link", name="组建绿色家庭").click()
    expect(page).to_have_url(re.compile(r"/game/family$"))
    expect(main.get_by_role("heading", level=1)).to_have_text("绿色家庭")
    main.get_by_label("家庭名称").fill(FAMILY)
    shoot("04-family-form")

    # 4. Created: the family with its founder's tree and an invite code.
    main.get_by_role("button", name="创建", exact=True).click()
    expect(page).to_have_url(re.compile(r"/game/family$"))
    expect(page.get_by_role("status")).to_have_text("您的绿色家庭已创建。可用邀请码或二维码再邀请最多 7 名成员。")
    expect(main.locator("[data-test=family-name]")).to_have_text(FAMILY)
    expect(main.locator("[data-test=forest] svg.tree")).to_have_count(1)
    expect(main.get_by_role("heading", level=2, name="邀请成员")).to_be_visible()
    expect(main.locator("[data-test=invite-code]")).to_have_text(re.compile(r"^\s*[A-Za-z0-9-]{4,}\s*$"))
    shoot("05-family-formed")
    main.locator("[data-test=invite-code]").scroll_into_view_if_needed()
    shoot("06-invite-code")
