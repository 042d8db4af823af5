"""A voucher from redemption to the counter, on a 360x640 phone: resident 13800000001 redeems the
demo supermarket's cheapest reward and reads the code; the shop's staff types it at the counter,
fulfils it, and a second try (another counter tab still showing the voucher) is refused.

Screenshots go to tests/e2e/screenshots/test_voucher_from_redemption_to_counter/.
"""

from __future__ import annotations

import re

import pytest
from journeys import sign_in, sign_out
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

RESIDENT = "13800000001"
MERCHANT_STAFF = "merchant@demo.dezhou.example"
MERCHANT = "德百绿色超市"
CHEAPEST = "公交乘车券 1 次"  # 300 credits; the others cost 800 and 1500
CODE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$")


def balance_in(page: Page) -> int:
    text = page.locator("main").get_by_text(re.compile(r"^您的余额：\d+ 积分。")).inner_text()
    return int(re.match(r"您的余额：(\d+)", text).group(1))


@pytest.mark.e2e
def test_voucher_from_redemption_to_counter(page: Page, shoot) -> None:
    main = page.locator("main")

    # 1. The resident signs in and opens the rewards catalogue.
    sign_in(page, RESIDENT)
    expect(page).to_have_url(re.compile(r"/me/$"))
    page.goto("/rewards/")
    expect(main.get_by_role("heading", level=1)).to_have_text("积分兑换")
    before = balance_in(page)
    assert before >= 300, f"the demo resident has only {before} credits"
    card = main.locator("li.reward-card").filter(has=page.get_by_role("heading", name=CHEAPEST))
    expect(card).to_have_count(1)
    expect(card).to_contain_text(MERCHANT)
    expect(card.locator(".cost")).to_have_text("300 积分")
    redeem = card.locator("[data-test=redeem]")
    expect(redeem).to_be_enabled()
    redeem.scroll_into_view_if_needed()
    shoot("01-catalogue")

    # 2. Redeem (accepting the "spend 300 credits?" question): the voucher page shows a code.
    page.once("dialog", lambda dialog: dialog.accept())
    redeem.click()
    expect(page).to_have_url(re.compile(r"/rewards/vouchers/\d+$"))
    expect(page.get_by_role("status")).to_have_text("兑换成功，请到柜台出示此兑换券。")
    expect(main.get_by_role("heading", level=1)).to_have_text(CHEAPEST)
    expect(main.locator("[data-test=voucher-status]")).to_have_text("可使用")
    code_box = main.locator("[data-test=voucher-code]")
    expect(code_box).to_have_text(CODE)
    code = code_box.inner_text().strip()
    shoot("02-voucher")

    page.goto("/rewards/")
    expect(main.get_by_text(f"您的余额：{before - 300} 积分。")).to_be_visible()
    shoot("03-balance-after")

    # 3. The resident signs out; the merchant's staff signs in and opens the counter.
    sign_out(page)
    shoot("04-resident-signed-out")
    sign_in(page, MERCHANT_STAFF)
    page.locator("details.menu > summary").tap()
    page.locator("details.menu").get_by_role("link", name="柜台核销").click()
    expect(page).to_have_url(re.compile(r"/merchant/counter$"))
    expect(main.get_by_role("heading", level=1)).to_have_text("柜台核销")
    expect(main).to_contain_text("扫描居民的兑换券，或输入券码。")
    shoot("05-counter")

    # 4. No camera here: type the code and look it up.
    main.get_by_label("券码").fill(code)
    main.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"/merchant/counter\?code="))
    voucher = main.locator("[data-test=voucher]")
    expect(voucher.get_by_role("heading", level=2)).to_have_text(CHEAPEST)
    expect(voucher.locator(".code")).to_have_text(code)
    expect(voucher.locator("[data-test=voucher-status]")).to_have_text("可使用")
    fulfil = voucher.locator("[data-test=fulfil]")
    expect(fulfil).to_have_text("核销：交付奖励")
    shoot("06-voucher-found", full_page=True)

    # A second counter tab (same staff) still shows the voucher as ready to fulfil.
    other = page.context.new_page()
    other.goto(page.url)
    expect(other.locator("main [data-test=fulfil]")).to_be_visible()

    # 5. Fulfil it: the counter shows it used, with no fulfil button any more.
    fulfil.click()
    expect(page).to_have_url(re.compile(r"/merchant/counter\?code="))
    expect(page.get_by_role("status")).to_have_text("兑换券已核销，请交付奖励。")
    expect(voucher.locator("[data-test=voucher-status]")).to_have_text("已使用")
    expect(voucher).to_contain_text("已核销")
    expect(voucher.locator("[data-test=fulfil]")).to_have_count(0)
    folder = shoot("07-fulfilled", full_page=True).parent

    # 6. Fulfilling again from the other tab is refused: already fulfilled.
    other.locator("main [data-test=fulfil]").click()
    expect(other).to_have_url(re.compile(r"/merchant/counter\?code="))
    expect(other.get_by_role("alert")).to_have_text("此兑换券已核销。")
    expect(other.locator("main [data-test=voucher-status]")).to_have_text("已使用")
    expect(other.locator("main [data-test=fulfil]")).to_have_count(0)
    other.screenshot(path=str(folder / "08-fulfil-again-refused.png"), animations="disabled")
    other.close()
