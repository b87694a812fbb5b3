"""Reads for forecasting: the county's latest forecast, its series, runs and scenarios, narrowed
by the policy."""

from __future__ import annotations

from django.db.models import QuerySet

from samverkan.forecasting.models import ForecastRun, ForecastSeries, RunStatus, Scenario
from samverkan.organisations import policy


def runs(principal, county_code: str) -> QuerySet[ForecastRun]:
    policy.require(principal, "forecasting.view", policy.Place(county=county_code))
    return ForecastRun.objects.visible_to(principal, "forecasting.view").filter(county_id=county_code)


def latest_run(principal, county_code: str) -> ForecastRun | None:
    return runs(principal, county_code).filter(status=RunStatus.DONE).order_by("-finished_at", "-id").first()


def open_run(principal, county_code: str) -> ForecastRun | None:
    return runs(principal, county_code).filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first()


def run_detail(principal, run_id: int) -> ForecastRun:
    return ForecastRun.objects.visible_to(principal, "forecasting.view").get_or_404(pk=run_id)


def run_series(run: ForecastRun, *, area: str | None, kind: str) -> list[ForecastSeries]:
    """Every method's forecast of one series of one area (None: the county), the selected first.
    The run is one the caller has read through `runs` or `run_detail`."""
    rows = ForecastSeries.objects.filter(run=run, kind=kind)
    rows = rows.filter(municipality__isnull=True) if area is None else rows.filter(municipality_id=area)
    return sorted(rows, key=lambda s: (not s.selected, s.method))


def kinds_of(run: ForecastRun, area: str | None) -> list[str]:
    rows = ForecastSeries.objects.filter(run=run)
    rows = rows.filter(municipality__isnull=True) if area is None else rows.filter(municipality_id=area)
    return sorted(set(rows.values_list("kind", flat=True)))


def scenarios(principal, county_code: str) -> QuerySet[Scenario]:
    policy.require(principal, "forecasting.view", policy.Place(county=county_code))
    return (
        Scenario.objects.visible_to(principal, "forecasting.view")
        .filter(county_id=county_code)
        .select_related("outbreak_municipality", "created_by")
    )


def scenario_detail(principal, scenario_id: int) -> Scenario:
    return (
        Scenario.objects.visible_to(principal, "forecasting.view")
        .select_related("outbreak_municipality", "county")
        .get_or_404(pk=scenario_id)
    )
