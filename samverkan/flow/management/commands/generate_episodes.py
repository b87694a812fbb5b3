import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from samverkan.flow import generator
from samverkan.organisations.models import Municipality


class Command(BaseCommand):
    help = "Write realistic, seeded synthetic episodes in the canonical CSV (fake personnummer with valid checksums)."

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True)
        parser.add_argument("--start", type=datetime.date.fromisoformat, required=True)
        parser.add_argument("--days", type=int, required=True)
        parser.add_argument("--count", type=int, help="Exactly this many episodes (default: from population rates).")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--out", type=Path, required=True)

    def handle(self, *args, county, start, days, count, seed, out, **options):
        municipalities = list(Municipality.objects.filter(county_id=county).values_list("code", "population"))
        if not municipalities:
            raise CommandError(f"No municipalities for county {county!r}; load the reference data first.")
        if start + datetime.timedelta(days=days) > timezone.localdate() + datetime.timedelta(days=1):
            raise CommandError("The period must end by today: the import rejects times in the future.")
        with out.open("w", encoding="utf-8", newline="") as handle:
            written = generator.write_csv(
                generator.episodes(
                    municipalities,
                    start=start,
                    days=days,
                    seed=seed,
                    count=count,
                    now=timezone.localtime().replace(tzinfo=None),
                ),
                handle,
            )
        self.stdout.write(f"Wrote {written} episodes to {out}.")
