from django.core.management.base import BaseCommand, CommandError

from samverkan.followup import monthly
from samverkan.organisations.models import County


class Command(BaseCommand):
    help = (
        "Store the monthly follow-up figures of the months that have ended where they are missing or stale "
        "(imports and agreement changes queue this; run it nightly to store each month that ends)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--county", help="Two-digit county code (default: every county).")

    def handle(self, *args, county: str | None = None, **options):
        codes = [county] if county else list(County.objects.order_by("code").values_list("code", flat=True))
        if county and not County.objects.filter(code=county).exists():
            raise CommandError(f"Unknown county code {county!r}.")
        for code in codes:
            self.stdout.write(f"County {code}: {monthly.build(code)} months stored.")
