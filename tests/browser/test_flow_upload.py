"""The upload workflow in a browser: the column-mapping step, and a background import's page
following its progress by script (under the Content-Security-Policy) and announcing the end."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from samverkan.flow.imports import source_for
from samverkan.flow.models import ColumnLayout, Episode, ImportRun, ImportStatus
from tests.browser.test_accessibility import AXE, AXE_RUN, WCAG_TAGS, _report

pytestmark = pytest.mark.browser

SWEDISH = (
    "Vårdtillfälle-ID;Personnummer;Kommunkod;Vårdform;Inskrivningsdatum\r\n"
    "V1;19121212-1212;2080;somatic;2026-10-01 08:00\r\n"
    "V2;;2084;psychiatric;2026-10-02 09:30\r\n"
).encode("cp1252")


def _axe(page) -> str:
    page.add_script_tag(path=str(AXE))
    return _report(page.evaluate(AXE_RUN, WCAG_TAGS))


def test_a_file_in_another_layout_is_mapped_and_imported(world, open_page, csp_errors):
    page = open_page(world.region_coordinator)
    page.goto("/flode/import/")
    page.fill("#id_source", "Cosmic")
    page.set_input_files("#id_file", files=[{"name": "utdrag.csv", "mimeType": "text/csv", "buffer": SWEDISH}])
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").click()
    run = ImportRun.objects.get()
    assert page.url.endswith(f"/flode/import/{run.pk}/kolumner/")
    expect(page.locator("table").first).to_contain_text("V1")
    expect(page.locator("table").first).not_to_contain_text("19121212")
    for column, file_column in (
        ("source_id", "vårdtillfälle-id"),
        ("home_municipality", "kommunkod"),
        ("care_type", "vårdform"),
        ("admitted_at", "inskrivningsdatum"),
    ):
        page.select_option(f"#id_{column}", file_column)
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").first.click()
    assert page.url.endswith(f"/flode/import/{run.pk}/")
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE and Episode.objects.count() == 2
    assert ColumnLayout.objects.get().mapping["kommunkod"] == "home_municipality"
    assert csp_errors == []


def test_the_mapping_import_and_layout_pages_pass_axe(world, open_page):
    page = open_page(world.region_coordinator, bypass_csp=True)
    page.goto("/flode/import/")
    page.fill("#id_source", "Cosmic")
    page.set_input_files("#id_file", files=[{"name": "utdrag.csv", "mimeType": "text/csv", "buffer": SWEDISH}])
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").click()
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").first.click()  # nothing chosen: the errors show
    expect(page.locator(".field-error").first).to_be_visible()
    violations = _axe(page)
    assert not violations, violations
    for column, file_column in (
        ("source_id", "vårdtillfälle-id"),
        ("home_municipality", "kommunkod"),
        ("care_type", "vårdform"),
        ("admitted_at", "inskrivningsdatum"),
    ):
        page.select_option(f"#id_{column}", file_column)
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").first.click()
    layout = ColumnLayout.objects.get()
    # The finished import, the upload page with its saved layouts, and a layout's edit page.
    for path in ("", "/flode/import/", f"/flode/import/kolumnlayouter/{layout.pk}/"):
        if path:
            page.goto(path)
        violations = _axe(page)
        assert not violations, f"{page.url}: {violations}"


def test_a_background_import_shows_its_progress_and_announces_the_end(world, open_page, csp_errors):
    run = ImportRun.objects.create(
        source=source_for("20", "Cosmic"),
        filename="stor.csv",
        file_format="csv",
        status=ImportStatus.RUNNING,
        rows=5000,
        rows_estimate=20000,
        imported_by=world.region_coordinator,
    )
    page = open_page(world.region_coordinator)
    page.goto(f"/flode/import/{run.pk}/")
    bar = page.locator("#import-progress-bar")
    expect(bar).to_have_attribute("max", "20000")
    expect(bar).to_have_js_property("value", 5000)
    ImportRun.objects.filter(pk=run.pk).update(rows=15000)
    expect(bar).to_have_js_property("value", 15000, timeout=8000)
    ImportRun.objects.filter(pk=run.pk).update(rows=20000, created=20000, status=ImportStatus.DONE)
    done = page.locator("#import-progress-done")
    expect(done).to_have_attribute("aria-live", "polite")
    expect(done).to_contain_text("20", timeout=8000)
    expect(done.locator("a")).to_have_attribute("href", f"/flode/import/{run.pk}/")
    expect(page.locator("#import-status")).not_to_have_text("")
    assert csp_errors == []

    axe_page = open_page(world.region_coordinator, bypass_csp=True)
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING)
    axe_page.goto(f"/flode/import/{run.pk}/")
    violations = _axe(axe_page)
    assert not violations, violations
