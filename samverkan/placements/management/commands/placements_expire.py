from django.core.management.base import BaseCommand

from samverkan.placements.services import requests_expire


class Command(BaseCommand):
    help = "Expire place requests left unanswered past their time (run it every few minutes from cron or a timer)."

    def handle(self, *args, **options):
        self.stdout.write(f"{requests_expire()} requests expired.")
