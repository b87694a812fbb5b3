from django.core.management.base import BaseCommand

from samverkan.placements.escalation import escalation_check
from samverkan.placements.models import PlaceRequest
from samverkan.placements.services import requests_expire


class Command(BaseCommand):
    help = (
        "Expire place requests left unanswered past their time, and recompute each county's suggested "
        "escalation step (requests waiting long count). Run it every few minutes from cron or a timer."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{requests_expire()} requests expired.")
        for county_code in PlaceRequest.objects.values_list("county_id", flat=True).distinct():
            escalation_check(county_code)
