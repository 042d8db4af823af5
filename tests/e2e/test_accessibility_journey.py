"""Accessibility beyond what the conftest's axe-core check finds on every page: large text on a 360 px
phone without sideways scrolling, and the key pages again at a 1280x800 desktop (axe runs on each).

Screenshots go to tests/e2e/screenshots/<test name>/.
"""

from __future__ import annotations

import re

import pytest
from journeys import sign_in
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

RESIDENT = "13800000001"
OFFICIAL = "official@demo.dezhou.example"
PHONE_WIDTH = 360
DESKTOP = {"width": 1280, "height": 800}


def test_large_text_scales_pages_and_fits_a_phone(page: Page, shoot) -> None:
    sign_in(page, RESIDENT, "/me/profile")
    html = page.locator("html")
    expect(html).not_to_have_class(re.compile("large-text"))
    normal = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")

    toggle = page.locator("main [data-test=text-size]")
    expect(toggle).to_have_text("大字号")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(html).to_have_class(re.compile("large-text"))
    expect(toggle).to_have_attribute("aria-pressed", "true")
    # The root font grows by a quarter (once the stylesheet has applied to the new page).
    page.wait_for_function(f"parseFloat(getComputedStyle(document.documentElement).fontSize) >= {normal * 1.2}")
    shoot("01-profile-large-text")

    for path in ("/me/", "/me/ledger", "/me/actions", "/rewards/", "/methodology"):
        page.goto(path)
        expect(html).to_have_class(re.compile("large-text"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH, f"{path} is {width}px wide with large text on a {PHONE_WIDTH}px phone"
    shoot("02-home-large-text")


def test_key_pages_at_desktop_width(page: Page, shoot) -> None:
    """The journeys run at 360x640; axe-core checks these again where the layout differs."""
    page.set_viewport_size(DESKTOP)
    for path in ("/", "/auth/login", "/methodology"):
        page.goto(path)
    sign_in(page, RESIDENT, "/me/")
    for path in ("/me/profile", "/rewards/"):
        page.goto(path)
    page.locator("[data-test=logout]").click()
    sign_in(page, OFFICIAL, "/official/")
    expect(page.locator("main [data-test=district-table]")).to_be_visible()
    shoot("01-official-desktop")
