"""A region coordinator uploads a file with an error, reads the error list, fixes the file,
uploads it again and sees the county's statistics change."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from samverkan.flow.models import Episode

pytestmark = pytest.mark.browser

HEADER = "source_id,home_municipality,care_type,admitted_at,ready_at,discharged_at,destination"
FALUN_ROWS = [
    "B1,2080,somatic,2026-10-05T08:00,2026-10-08T09:00,2026-10-09T12:00,short_term",
    "B2,2080,somatic,2026-10-06T10:00,,,",
]
BAD_ROW = "B3,9999,somatic,2026-10-07T11:00,,,"
GOOD_ROW = "B3,2081,somatic,2026-10-07T11:00,,,"


def _csv(*rows: str) -> dict:
    return {"name": "vardtillfallen.csv", "mimeType": "text/csv", "buffer": "\n".join([HEADER, *rows]).encode()}


def _admissions(page, municipality: str):
    """The admissions cell of a municipality's row in the statistics table."""
    row = page.locator("tr", has=page.get_by_role("rowheader", name=municipality, exact=True))
    return row.locator("td").first


def test_upload_with_an_error_fix_and_see_the_statistics_change(world, open_page):
    page = open_page(world.region_coordinator)
    statistics = "/flode/?county=20&from=2026-10-01&to=2026-10-31"
    page.goto(statistics)
    expect(_admissions(page, "Borlänge")).to_have_text("0")

    page.goto("/flode/import/?county=20")
    page.fill("#id_source", "Cosmic")
    page.set_input_files("#id_file", _csv(*FALUN_ROWS, BAD_ROW))
    page.get_by_role("button", name="Ladda upp").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("importerades inte")
    error_row = page.locator("tr", has=page.get_by_role("cell", name="home_municipality", exact=True))
    expect(error_row.locator("td").first).to_have_text("4")  # the header is row 1
    assert not Episode.objects.exists()

    page.fill("#id_source", "Cosmic")
    page.set_input_files("#id_file", _csv(*FALUN_ROWS, GOOD_ROW))
    page.get_by_role("button", name="Ladda upp").click()
    expect(page.locator(".message--success")).to_contain_text("3")
    assert Episode.objects.count() == 3

    page.goto(statistics)
    expect(_admissions(page, "Borlänge")).to_have_text("1")
    expect(_admissions(page, "Falun")).to_have_text("2")
