"""The stored monthly figures (`MonthFigures`): each municipality's indicator figures of every month
that has ended, so that the indicator report reads 13 months of a county as a few hundred rows
instead of counting some hundred thousand stays again, and the statements' totals of a month
one row per municipality (docs/decisions/liability-counting.md,
"Stored monthly figures"). They are counted by the same functions as ever
(`selectors.compute_months`, i.e. `indicators.month_figures` and `liability.month_statement`);
storing them adds no rule.

When they may be read (`selectors.county_months`, `selectors.liability_totals`): a month that ended before today (its figures no
longer depend on the day they are counted: a patient still in hospital is liable to the month's
end), stored for every municipality of the county, with the `basis` of the county's agreements and
day rates of now (`indicators.basis`). Any other month is counted from the episodes, so a stale or
missing row makes the report slower, never wrong.

How they are kept current:

- An import that creates or changes episodes (flow's `episodes_changed` signal, inside the import's
  transaction) deletes the stored months of the counties concerned from the month 31 days before
  the earliest admission it touched (a new admission can make an earlier discharge a readmission):
  the counties of the home municipalities touched, and the source's county (readmissions are found
  in its sources). After the commit, a task builds them again (`tasks.month_figures_build`).
- Saving an agreement or a day rate changes the basis: the county's stored months are no longer
  read, and a task builds them again after the commit.
- A month that ends is built by the next import's task or by `manage.py followup_figures_build`
  (nightly); until then it is counted from the episodes.

`build` and `forget` lock the county's row, so that a build and an import's deletion follow each
other: a build never stores figures from before an import that committed while it counted.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from samverkan.flow.models import Episode
from samverkan.followup import indicators, liability, selectors
from samverkan.followup.models import MonthFigures
from samverkan.organisations.models import County, Municipality


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _lock(county_code: str) -> None:
    list(County.objects.select_for_update().filter(code=county_code).values_list("code"))


def forget(county_code: str, since: datetime.date) -> None:
    """Delete the county's stored months from the month of `since` on (in the caller's transaction)."""
    _lock(county_code)
    MonthFigures.objects.filter(county_id=county_code, month__gte=month_of(since)).delete()


def build(county_code: str, *, today: datetime.date | None = None) -> int:
    """Store the county's figures of every month that has ended, from the month of its first
    admission on, where they are missing or stored with another basis; the months after the first
    of those are counted again too (one pass over the stays). A month with liable days in a year
    without a day rate is not stored. Returns the number of months stored."""
    today = today or timezone.localdate()
    with transaction.atomic():
        _lock(county_code)
        municipalities = dict(
            Municipality.objects.filter(county_id=county_code).values_list("code", "population_65_plus")
        )
        earliest = Episode.objects.filter(home_municipality_id__in=municipalities).aggregate(Min("admitted_at"))
        last = month_of(today) - datetime.timedelta(days=1)  # the last day of the last month that has ended
        if earliest["admitted_at__min"] is None:
            MonthFigures.objects.filter(county_id=county_code).delete()
            return 0
        months = []
        day = month_of(liability.local_date(earliest["admitted_at__min"]))
        while day <= last:
            months.append(day)
            day = (day + datetime.timedelta(days=31)).replace(day=1)
        agreements, rates = selectors.agreements_of(county_code), selectors.rates_of(county_code)
        basis = indicators.basis(agreements, rates)
        complete = set(
            MonthFigures.objects.filter(county_id=county_code, basis=basis)
            .values("month")
            .annotate(n=Count("municipality"))
            .filter(n=len(municipalities))
            .values_list("month", flat=True)
        )
        todo = [m for m in months if m not in complete]
        MonthFigures.objects.filter(county_id=county_code).exclude(month__in=months).delete()
        if not todo:
            return 0
        again = [m for m in months if m >= todo[0]]
        found = selectors.compute_months(
            county_code, again, municipalities, agreements=agreements, rates=rates, today=today, unpriced="skip"
        )
        MonthFigures.objects.filter(county_id=county_code, month__gte=todo[0]).delete()
        now = timezone.now()
        MonthFigures.objects.bulk_create(
            [
                MonthFigures(
                    county_id=county_code,
                    municipality_id=code,
                    month=month,
                    basis=basis,
                    days_ready=_histogram(figures.days_ready),
                    liable_days=str(figures.liable_days),
                    liable_amount=str(figures.liable_amount),
                    built_at=now,
                    **{name: getattr(figures, name) for name in selectors.FIGURE_FIELDS},
                )
                for month, per_municipality in found.items()
                for code, figures in per_municipality.items()
            ],
            batch_size=1000,
        )
        return len(found)


def _histogram(days: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for n in days:
        counts[str(n)] = counts.get(str(n), 0) + 1
    return counts
