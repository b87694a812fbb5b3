"""A stock quick report turns the overview amber: Lunden's staff open the quick report, prefilled
from their last report (40 days of FFP2, green), change what is on hand, send it, and the county
overview shows Falun's FFP2 at 7–14 days (amber).

Elements are found by id, name and class rather than by text (the Swedish translations vary)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from samverkan.resources import services
from samverkan.resources.models import StockReport
from samverkan.resources.tests.helpers import catalogue, stock_row

pytestmark = pytest.mark.browser


def test_a_quick_report_turns_the_overview_amber(world, open_page):
    catalogue()
    services.stock_reports_submit(
        county_code="20",
        rows=[("2", stock_row("t-lunden", on_hand=400, used_7_days=70))],
        by=world.lunden_staff,
    )
    region = open_page(world.region_coordinator)
    region.goto("/resurser/forrad/?county=20")
    falun = region.locator("tr:has(th:text-is('Falun'))")
    expect(falun.locator(".supply--green")).to_have_count(1)

    lunden = open_page(world.lunden_staff)
    lunden.goto("/resurser/forrad/?county=20")
    lunden.click("a[href='/resurser/forrad/rapport/?county=20']")
    expect(lunden.locator("#ffp2-on_hand")).to_have_value("400")
    expect(lunden.locator("#ffp2-used_7_days")).to_have_value("70")
    lunden.fill("#ffp2-on_hand", "100")  # 10 days at 10 a day
    lunden.click("form:has(input[name=place]) button[type=submit]")
    expect(lunden.locator(".message--success")).to_be_visible()
    assert StockReport.objects.latest("pk").on_hand == 100

    region.reload()
    expect(falun.locator(".supply--amber")).to_have_count(1)
    expect(falun.locator(".supply--green")).to_have_count(0)
