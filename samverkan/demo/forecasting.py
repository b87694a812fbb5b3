"""Demo forecasts for Dalarna: one run over the demo's two years of patient flow and capacity
reports (as the nightly run would make it), and a scenario of an outbreak starting in Avesta,
so that the forecast page, its accuracy table and the scenario chart have something to show."""

from __future__ import annotations

import datetime

from django.utils import timezone

from samverkan.forecasting import services
from samverkan.forecasting.models import ForecastRun, RunStatus, Scenario, Trigger
from samverkan.organisations import policy
from samverkan.organisations.models import Municipality


def load(stdout) -> None:
    if ForecastRun.objects.filter(county_id="20", status=RunStatus.DONE).exists():
        stdout.write("Forecast demo data already present.")
        return
    run = services.forecast_run_request(county_code="20", trigger=Trigger.NIGHTLY, by=policy.SYSTEM)
    run = services.forecast_run_execute(run=run, by=policy.SYSTEM)
    stdout.write(f"Forecast demo data: a run for Dalarna ({run.status}, data up to {run.origin}).")
    if not Scenario.objects.filter(county_id="20").exists():
        services.scenario_create(
            county_code="20",
            values={
                "name": "Klusterutbrott i Avesta",
                "start_date": timezone.localdate() + datetime.timedelta(days=3),
                "initial_cases": 15,
                "doubling_time": 6,
                "share_hospitalised": 4,
                "hospital_los": 8,
                "share_short_term": 25,
                "short_term_los": 21,
                "outbreak_municipality": Municipality.objects.get(code="2084"),
                "days": 56,
            },
            by=policy.SYSTEM,
        )
