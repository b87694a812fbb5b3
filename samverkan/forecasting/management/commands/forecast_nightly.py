from django.core.management.base import BaseCommand, CommandParser

from samverkan.forecasting import services, tasks
from samverkan.forecasting.models import Trigger
from samverkan.organisations import policy
from samverkan.organisations.models import County


class Command(BaseCommand):
    help = (
        "Queue a forecast run for every county (or one) for the task worker (`manage.py db_worker`). "
        "Run it nightly from cron or a systemd timer, after the day's imports; --now runs them here instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--county", help="Only this county (two-digit code).")
        parser.add_argument("--now", action="store_true", help="Run here and wait, without the task worker.")

    def handle(self, *args: object, county: str | None = None, now: bool = False, **options: object) -> None:
        counties = County.objects.order_by("code")
        if county:
            counties = counties.filter(code=county)
        for found in counties:
            run = services.forecast_run_request(county_code=found.code, trigger=Trigger.NIGHTLY, by=policy.SYSTEM)
            if now:
                run = services.forecast_run_execute(run=run, by=policy.SYSTEM)
                self.stdout.write(f"{found}: forecast run {run.pk} {run.status}.")
            else:
                tasks.forecast_run.enqueue(run_id=run.pk)
                self.stdout.write(f"{found}: forecast run {run.pk} queued.")
