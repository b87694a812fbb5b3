"""Print a month's liability statement lines (CSV or JSON), computed as on the page."""

from __future__ import annotations

import csv
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from samverkan import limits
from samverkan.followup import exports, liability, selectors
from samverkan.organisations import policy
from samverkan.organisations.models import County, Municipality


class Command(BaseCommand):
    help = "Print the payment-liability statement lines of a county's month (CSV or JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--county", required=True, help="County code, e.g. 20")
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--municipality", help="Municipality code, e.g. 2080")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: object, **options: str | None) -> None:
        county, municipality = options["county"] or "", options["municipality"]
        if not County.objects.filter(code=county).exists():
            raise CommandError(f"Unknown county {county!r}.")
        if municipality and not Municipality.objects.filter(code=municipality, county_id=county).exists():
            raise CommandError(f"Municipality {municipality!r} is not in county {county}.")
        chosen = limits.month(options["month"])
        if chosen is None:
            raise CommandError(f"--month {options['month']!r}: write a month as YYYY-MM.")
        try:
            months = selectors.statement(
                policy.SYSTEM,
                county,
                *chosen,
                municipality=municipality,
                reason="manage.py liability_statement",
            )
        except liability.MissingDayRate as missing:
            raise CommandError(f"No day rate for {missing.year}: add it before the month can be priced.") from None
        rows = list(exports.rows(months))
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        writer = csv.DictWriter(self.stdout, fieldnames=exports.COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
