from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from samverkan.flow import daily
from samverkan.flow.models import DailyFlow
from samverkan.organisations.models import County


class Command(BaseCommand):
    help = "Build a county's daily flow rows again from all its episodes (imports keep them current)."

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True, help="Two-digit county code.")

    def handle(self, *args, county: str, **options):
        if not County.objects.filter(code=county).exists():
            raise CommandError(f"Unknown county code {county!r}.")
        with transaction.atomic():
            daily.rebuild(county)
        days = DailyFlow.objects.filter(municipality__county_id=county).count()
        self.stdout.write(f"County {county}: {days} municipality days built from its episodes.")
