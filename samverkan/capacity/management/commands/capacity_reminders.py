from django.core.management.base import BaseCommand

from samverkan.capacity.models import ReportingSchedule
from samverkan.capacity.tasks import send_overdue_reminders
from samverkan.organisations.models import County


class Command(BaseCommand):
    help = (
        "Queue reminder e-mails for overdue capacity reports in every county with reminders on. "
        "Run it from cron or a systemd timer shortly after the due time; `manage.py db_worker` sends them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--county", help="Only this county (two-digit code).")

    def handle(self, *args, county=None, **options):
        counties = County.objects.filter(organisations__units__is_active=True).distinct().order_by("code")
        if county:
            counties = counties.filter(code=county)
        disabled = set(ReportingSchedule.objects.filter(reminders_enabled=False).values_list("county_id", flat=True))
        for found in counties:
            if found.code in disabled:
                continue
            result = send_overdue_reminders.enqueue(county_code=found.code)
            self.stdout.write(f"Queued reminders for {found} (task {result.id}).")
