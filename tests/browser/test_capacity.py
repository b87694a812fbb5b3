"""A unit member reports places from a phone, and the county overview shows the new figures."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from samverkan.capacity import services
from samverkan.capacity.models import CapacityReport

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_unit_member_reports_from_a_phone_and_the_overview_shows_it(world, open_page):
    services.capacity_report_create(
        data=services.ReportInput(unit=world.lunden, physical=40, staffed=34, occupied=30, surge=6),
        by=world.lunden_staff,
    )
    page = open_page(world.lunden_staff, viewport=PHONE)
    page.goto(f"/kapacitet/enheter/{world.lunden.pk}/rapportera/")
    # Prefilled with the last report: only what changed is typed.
    expect(page.locator("#id_staffed")).to_have_value("34")
    page.fill("#id_occupied", "25")
    page.fill("#id_comment", "Två utskrivna i morse")
    page.get_by_role("button", name="Skicka rapport").click()
    expect(page.locator(".message--success")).to_contain_text("9")
    assert CapacityReport.objects.filter(unit=world.lunden, occupied=25).count() == 1

    coordinator_page = open_page(world.region_coordinator)
    coordinator_page.goto("/kapacitet/")
    row = coordinator_page.locator("tr", has=coordinator_page.get_by_role("link", name="Lunden korttidsboende"))
    expect(row.locator("td").nth(1)).to_have_text("25")
    expect(row.locator("td").nth(3)).to_have_text("9")


def test_a_rejected_report_names_the_field_and_saves_nothing(world, open_page):
    page = open_page(world.lunden_staff, viewport=PHONE)
    page.goto(f"/kapacitet/enheter/{world.lunden.pk}/rapportera/")
    page.fill("#id_physical", "20")
    page.fill("#id_staffed", "20")
    page.fill("#id_occupied", "25")
    page.fill("#id_surge", "0")
    page.get_by_role("button", name="Skicka rapport").click()
    expect(page.locator("#id_occupied_error")).to_be_visible()
    assert not CapacityReport.objects.filter(unit=world.lunden).exists()
