"""Background work for forecasting, run by the task worker (`manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from samverkan.forecasting import services
from samverkan.forecasting.models import ForecastRun
from samverkan.organisations import policy


@task()
def forecast_run(run_id: int) -> str:
    """Compute a queued forecast run (nightly or on demand); returns its status."""
    run = ForecastRun.objects.get(pk=run_id)
    return services.forecast_run_execute(run=run, by=policy.SYSTEM).status
