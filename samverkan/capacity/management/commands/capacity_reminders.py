from django.core.management.base import BaseCommand

from samverkan.capacity.models import ReportingSchedule
from samverkan.capacity.tasks import send_overdue_reminders


class Command(BaseCommand):
    help = (
        "Queue reminder e-mails for overdue capacity reports in every county with reminders on. "
        "Run it from cron or a systemd timer shortly after the due time; `manage.py db_worker` sends them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--county", help="Only this county (two-digit code).")

    def handle(self, *args, county=None, **options):
        schedules = ReportingSchedule.objects.filter(reminders_enabled=True)
        if county:
            schedules = schedules.filter(county_id=county)
        for schedule in schedules:
            result = send_overdue_reminders.enqueue(county_code=schedule.county_id)
            self.stdout.write(f"Queued reminders for {schedule.county} (task {result.id}).")
