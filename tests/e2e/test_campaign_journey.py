"""The Publicity Department schedules a bus campaign (credits ×2, every district) starting now; a resident
then sees its banner on the carbon account and earns double credits for a bus trip.

No scheduler runs beside the e2e server, so the test runs one sweep (`flask scheduler once`) against the
server's database: that turns the campaign active and writes the start announcement the banner shows.
Screenshots go to tests/e2e/screenshots/test_campaign_doubles_bus_credits/.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from journeys import sign_in, sign_out
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]

PUBLICITY = "publicity@demo.dezhou.example"
RESIDENT = "13800000001"
CITY = ZoneInfo("Asia/Shanghai")
CAMPAIGN = "公交双倍周"


def test_campaign_doubles_bus_credits(page: Page, shoot, server_env: dict[str, str]) -> None:
    main = page.locator("main")

    # 1. The publicity officer signs in and lands on the campaign calendar.
    sign_in(page, PUBLICITY, "/publicity/")
    expect(page).to_have_url(re.compile(r"/publicity/$"))
    expect(main.get_by_role("heading", level=1)).to_have_text(re.compile(r"^\d{4}年活动日历$"))
    shoot("01-publicity-calendar")

    # 2. A new campaign: starting this minute (city time), for a week, bus credits ×2, no district ticked.
    main.locator("[data-test=new-campaign]").click()
    expect(page).to_have_url(re.compile(r"/publicity/campaigns/new$"))
    expect(main.get_by_role("heading", level=1)).to_have_text("新建活动")
    now = dt.datetime.now(CITY).replace(second=0, microsecond=0)
    main.get_by_label("名称（中文）").fill(CAMPAIGN)
    main.get_by_label("名称（英文）").fill("Double bus week")
    main.get_by_label("开始时间（北京时间）").fill(now.strftime("%Y-%m-%dT%H:%M"))
    main.get_by_label("结束时间（北京时间）").fill((now + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    expect(main.locator("input[name=districts]:checked")).to_have_count(0)  # every district
    bus_row = main.locator(".field", has=page.locator("input[type=hidden][value=bus]"))
    expect(bus_row.locator("label")).to_have_text("乘坐公交车")
    bus_row.locator("input[name$='-factor']").fill("2")
    shoot("02-new-campaign-filled", full_page=True)

    main.get_by_role("button", name="排期活动").click()
    expect(page).to_have_url(re.compile(r"/publicity/campaigns/\d+$"))
    expect(page.get_by_role("status")).to_contain_text(f"活动已排期：{CAMPAIGN}。")
    expect(main.get_by_role("heading", level=1)).to_contain_text(CAMPAIGN)
    campaign_url = page.url
    shoot("03-campaign-scheduled")

    # 3. Signs out.
    sign_out(page)
    shoot("04-publicity-signed-out")

    # The scheduler's sweep (one run, as cron would): the campaign starts and is announced.
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "once"],
        cwd=ROOT,
        env=server_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, f"scheduler once failed:\n{done.stdout}\n{done.stderr}"
    assert re.search(r"^campaigns\.activate: [1-9]", done.stdout, re.M), done.stdout

    # 4. The resident signs in: the campaign banner is on the carbon account.
    sign_in(page, RESIDENT)
    expect(page).to_have_url(re.compile(r"/me/$"))
    banner = main.locator(".campaign-banner")
    expect(banner).to_have_count(1)
    expect(banner).to_have_attribute("data-kind", "campaign_started")
    expect(banner.get_by_role("heading", level=2)).to_contain_text(CAMPAIGN)
    expect(banner).to_contain_text("2")
    balance_before = int(main.locator("[data-test=balance]").inner_text())
    shoot("05-resident-home-banner")

    # 5. Logs a 5 km bus trip with a quick-amount chip.
    main.locator('a.tile[data-type="bus"]').click()
    expect(page).to_have_url(re.compile(r"/me/log/bus$"))
    expect(main.get_by_role("heading", level=1)).to_have_text("乘坐公交车")
    shoot("06-log-bus")
    main.locator('button[data-chip="5"]').click()

    # 6. 52 g CO2e avoided, 104 credits: doubled by the campaign.
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("status")).to_have_text(f"已记录：减排 52 克，获得 104 积分。余额 {balance_before + 104}。")
    expect(main.locator("[data-test=balance]")).to_have_text(str(balance_before + 104))
    shoot("07-credits-doubled")

    # 7. The history shows the trip with its doubled credits.
    page.goto("/me/actions")
    expect(page).to_have_url(re.compile(r"/me/actions$"))
    latest = main.locator("li.row").first
    expect(latest.locator("strong")).to_have_text("乘坐公交车")
    expect(latest).to_contain_text("52 克二氧化碳当量，104 积分 (×2")
    shoot("08-history")

    # 8. The publicity officer cancels the campaign, so later journeys on this server earn normal credits.
    sign_out(page)
    sign_in(page, PUBLICITY, urlparse(campaign_url).path)
    expect(page).to_have_url(campaign_url)
    main.locator("[data-test=cancel]").click()
    expect(page).to_have_url(campaign_url)
    expect(page.get_by_role("status")).to_have_text("活动已取消。")
    expect(main.locator("[data-test=status]")).to_have_text("已取消")
    shoot("09-campaign-cancelled")
