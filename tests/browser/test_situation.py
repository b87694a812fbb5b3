"""The forum secretary prepares a situation report, comments on it and publishes it; the
county's public page then shows it to a visitor without login."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from samverkan.capacity import services as capacity
from samverkan.situation.models import ReportStatus, SituationReport

pytestmark = pytest.mark.browser


def test_prepare_annotate_publish_and_the_public_page(world, open_page):
    capacity.capacity_report_create(
        data=capacity.ReportInput(unit=world.lunden, physical=40, staffed=34, occupied=17), by=world.lunden_staff
    )
    page = open_page(world.forum_secretary)
    page.goto("/lagesbild/?county=20")
    page.get_by_role("button", name="Förbered ett utkast nu").click()
    expect(page.locator("h1")).to_contain_text("Lägesbild under förberedelse")
    expect(page.locator(".kpis").first).to_contain_text("17")
    page.fill("#id_capacity", "Lunden kan växa från 34 till 40 platser.")
    page.get_by_role("button", name="Spara kommentarer").click()
    expect(page.locator(".message--success")).to_be_visible()
    page.get_by_role("button", name="Publicera").click()
    expect(page.locator(".message--success")).to_contain_text("Lägesbild 1 är publicerad")
    report = SituationReport.objects.get()
    assert (report.status, report.number) == (ReportStatus.PUBLISHED, 1)

    page.goto("/lagesbild/?county=20")
    page.check("#id_public")
    page.get_by_role("button", name="Spara inställningar").click()
    expect(page.get_by_role("link", name="Länets offentliga sida")).to_be_visible()

    visitor = open_page()
    visitor.goto("/lagesbild/offentlig/20/")
    expect(visitor.locator("h1")).to_contain_text("Lägesbild 1")
    expect(visitor.locator("main")).to_contain_text("Lunden kan växa från 34 till 40 platser.")
    expect(visitor.locator(".kpis").first).to_contain_text("17")
