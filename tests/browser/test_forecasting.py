"""The forecast page and a scenario through the browser: a coordinator starts a forecast run (the
task runs at once here), reads the chart and table of short-term places, switches to a
municipality's admissions, then computes an outbreak scenario and sees it beside the baseline.

Elements are found by id, name and address rather than by text, so the test does not depend on
the Swedish translations."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from samverkan.capacity.models import CapacityReport
from samverkan.capacity.schedule import LOCAL
from samverkan.flow.models import DailyFlow, DailyFlowCounty
from samverkan.forecasting.models import ForecastRun, RunStatus, Scenario

pytestmark = pytest.mark.browser

DAYS = 100


def _history(world) -> None:
    today = timezone.localdate()
    rows, reports = [], []
    for back in range(DAYS, 0, -1):
        day = today - datetime.timedelta(days=back)
        rows.append(
            DailyFlow(
                municipality_id="2080", day=day, admissions=5 + back % 3, discharges=5, to_short_term=1 + back % 2
            )
        )
        moment = datetime.datetime.combine(day, datetime.time(9), tzinfo=LOCAL)
        reports.append(
            CapacityReport(
                unit=world.lunden, reported_at=moment, physical=24, staffed=20, occupied=16 + back % 4, surge=2
            )
        )
    DailyFlow.objects.bulk_create(rows)
    DailyFlowCounty.objects.get_or_create(county_id="20")
    CapacityReport.objects.bulk_create(reports)


def test_forecast_page_and_a_scenario(world, open_page, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    _history(world)
    page = open_page(world.falun_coordinator)
    page.goto("/prognoser/?county=20")
    page.click("form[action='/prognoser/kor/'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/prognoser/\?county=20$"))
    run = ForecastRun.objects.get()
    assert run.status == RunStatus.DONE
    # The county's short-term places: a chart with bands, 28 days in the table, probabilities.
    expect(page.locator("svg.chart polygon.chart-band")).to_have_count(2)
    expect(page.locator("#days-caption")).to_be_visible()
    assert page.locator("#days-caption ~ tbody tr").count() == 28
    assert "%" in page.locator("#days-caption ~ tbody tr >> nth=0").inner_text()
    expect(page.locator("#accuracy-heading")).to_be_visible()

    # Falun's admissions with the last value instead.
    page.select_option("#id_area", "2080")
    page.select_option("#id_kind", "admissions")
    page.select_option("#id_method", "flat")
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"area=2080.*kind=admissions.*method=flat"))
    expect(page.locator("svg.chart polyline.series-1")).to_have_count(1)  # the observed days (a coordinator)

    # A scenario: an outbreak in Falun.
    page.goto("/prognoser/scenarier/?county=20")
    page.fill("#id_name", "Utbrott i Falun")
    page.fill("#id_start_date", (timezone.localdate() + datetime.timedelta(days=2)).isoformat())
    page.fill("#id_initial_cases", "30")
    page.fill("#id_doubling_time", "4")
    page.fill("#id_share_hospitalised", "6")
    page.fill("#id_hospital_los", "7")
    page.fill("#id_share_short_term", "30")
    page.fill("#id_short_term_los", "14")
    page.select_option("#id_outbreak_municipality", "2080")
    page.fill("#id_days", "28")
    page.click("main form.card button[type=submit]")
    scenario = Scenario.objects.get()
    expect(page).to_have_url(re.compile(rf"/prognoser/scenarier/{scenario.pk}/$"))
    expect(page.locator("svg.chart polyline.series-1")).not_to_have_count(0)  # the baseline
    expect(page.locator("svg.chart polyline.series-2")).not_to_have_count(0)  # baseline + scenario
    assert scenario.results["areas"]["2080"]["cases"][0] == 30
    page.click("a[href='?area=2080']")
    expect(page).to_have_url(re.compile(r"area=2080$"))
