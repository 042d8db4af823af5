"""An official opens the statistics dashboard, narrows it to 德城区 and downloads a CSV.

Screenshots go to tests/e2e/screenshots/test_official_filters_and_downloads_csv/.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "Green-Dezhou-2026"
OFFICIAL = "official@demo.dezhou.example"


def test_official_filters_and_downloads_csv(page: Page, shoot) -> None:
    main = page.locator("main")

    # 1. Sign in, straight to the dashboard.
    page.goto("/auth/login?next=/official/")
    expect(main.get_by_role("heading", level=1)).to_have_text("登录")
    main.get_by_label("手机号或电子邮箱").fill(OFFICIAL)
    main.get_by_label("密码").fill(PASSWORD)
    shoot("01-sign-in")
    main.get_by_role("button", name="登录").click()

    # 2. The dashboard, for every district.
    expect(page).to_have_url(re.compile(r"/official/$"))
    expect(main.get_by_role("heading", level=1)).to_have_text("官方统计")
    district = main.get_by_label("区县", exact=True)
    expect(district.locator("option:checked")).to_have_text("全部区县")
    expect(main.locator("[data-test=residents]")).not_to_be_empty()
    expect(main.locator("[data-test=district-table] tbody tr").first).to_be_visible()
    shoot("02-dashboard")

    # 3. Filter by 德城区.
    district.select_option(label="德城区")
    main.get_by_role("button", name="显示", exact=True).click()
    expect(page).to_have_url(re.compile(r"/official/\?.*district=371402"))
    expect(main.get_by_role("heading", level=1)).to_have_text("官方统计")
    expect(district.locator("option:checked")).to_have_text("德城区")
    expect(main.locator(".official-head p.small")).to_contain_text("德城区")
    csv_link = main.locator("[data-test=csv-types]")
    expect(csv_link).to_have_attribute("href", re.compile(r"/official/export/types\.csv\?.*district=371402"))
    shoot("03-filtered-decheng")

    # 4. Download the by-type table as CSV: a header row, then data.
    csv_link.scroll_into_view_if_needed()
    shoot("04-csv-link")
    with page.expect_download() as info:
        csv_link.click()
    download = info.value
    assert re.fullmatch(r"types-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    text = download.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) >= 2, text
    header = rows[0]
    assert header and all(cell.strip() for cell in header), f"no header row: {header}"
    assert not any(re.fullmatch(r"-?\d+(\.\d+)?", cell) for cell in header), f"header looks like data: {header}"
    assert header[:2] == ["type_code", "type_name"], header
    assert ["bus", "乘坐公交车"] in [row[:2] for row in rows[1:]], rows[:5]
    expect(page).to_have_url(re.compile(r"/official/\?.*district=371402"))
    shoot("05-after-download")
