"""Reads for patient flow: import history, episode lists (access-logged) and statistics."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Min, QuerySet, Sum
from django.utils import timezone

from samverkan.audit.services import access_log_record
from samverkan.flow import statistics as flow_statistics
from samverkan.flow.models import ColumnLayout, DailyFlow, Episode, ImportRun
from samverkan.organisations import policy
from samverkan.organisations import selectors as organisations
from samverkan.organisations.models import Municipality


def import_history(principal, county_code: str) -> QuerySet[ImportRun]:
    policy.require(principal, "flow.import", policy.Place(county=county_code))
    return (
        ImportRun.objects.visible_to(principal, "flow.import")
        .filter(source__county_id=county_code)
        .select_related("source", "imported_by")
    )


def import_run_detail(principal, run_id: int) -> ImportRun:
    """An import of a county the principal imports for (Http404 for another county's)."""
    policy.require(principal, "flow.import")
    return (
        ImportRun.objects.visible_to(principal, "flow.import")
        .select_related("source", "imported_by", "layout")
        .get_or_404(pk=run_id)
    )


def column_layout_detail(principal, layout_id: int) -> ColumnLayout:
    """A saved column layout of a county the principal imports for (Http404 for another county's)."""
    policy.require(principal, "flow.import")
    return (
        ColumnLayout.objects.visible_to(principal, "flow.import")
        .select_related("source", "saved_by")
        .get_or_404(pk=layout_id)
    )


class EpisodeStatus:
    """What the episode list can be narrowed to, by where the patient is in the stay."""

    IN_HOSPITAL = "in_hospital"
    WAITING = "waiting"  # ready for discharge, not yet discharged
    DISCHARGED = "discharged"


@dataclass(frozen=True)
class EpisodeFilters:
    municipality: str | None = None
    care_type: str | None = None
    status: str | None = None
    hospital_unit: int | None = None
    admitted_from: datetime.date | None = None
    admitted_to: datetime.date | None = None  # inclusive, local date

    def describe(self) -> str:
        """The filters as the access log records them."""
        return " ".join(f"{name}={value}" for name, value in vars(self).items() if value not in (None, ""))


@dataclass
class EpisodePage:
    rows: list[Episode]
    total: int
    number: int
    pages: int


def episode_list(
    principal,
    *,
    county_code: str,
    filters: EpisodeFilters = EpisodeFilters(),
    reason: str,
    page: int = 1,
    per_page: int = 100,
) -> EpisodePage:
    """One page of the episodes the principal may see, newest admission first; every read is
    written to the access log (who, which episodes, which filters, why)."""
    policy.require(principal, "flow.view_episodes", policy.Place(county=county_code))
    episodes = Episode.objects.visible_to(principal, "flow.view_episodes").filter(source__county_id=county_code)
    if filters.municipality:
        episodes = episodes.filter(home_municipality_id=filters.municipality)
    if filters.care_type:
        episodes = episodes.filter(care_type=filters.care_type)
    if filters.hospital_unit:
        episodes = episodes.filter(hospital_unit_id=filters.hospital_unit)
    if filters.admitted_from:
        episodes = episodes.filter(admitted_at__gte=flow_statistics.local_midnight(filters.admitted_from))
    if filters.admitted_to:
        episodes = episodes.filter(
            admitted_at__lt=flow_statistics.local_midnight(filters.admitted_to + datetime.timedelta(days=1))
        )
    if filters.status == EpisodeStatus.IN_HOSPITAL:
        episodes = episodes.filter(discharged_at__isnull=True)
    elif filters.status == EpisodeStatus.WAITING:
        # Those who have waited longest first: whom the municipality should take home next.
        episodes = episodes.filter(discharged_at__isnull=True, ready_at__isnull=False).order_by("ready_at", "id")
    elif filters.status == EpisodeStatus.DISCHARGED:
        episodes = episodes.filter(discharged_at__isnull=False)
    total = episodes.count()
    pages = max(1, -(-total // per_page))
    number = min(max(1, page), pages)
    start = (number - 1) * per_page
    rows = list(episodes.select_related("home_municipality", "hospital_unit", "source")[start : start + per_page])
    access_log_record(
        by=principal,
        resource=f"flow.episode_list county={county_code} {filters.describe()} page={number}".replace("  ", " "),
        reason=reason,
        object_ids=[e.pk for e in rows],
        # Stored with the acting organisation, so that the county's reviewers see the read.
        organisation=organisations.acting_organisation(principal, "flow.view_episodes", county_code),
    )
    return EpisodePage(rows=rows, total=total, number=number, pages=pages)


def waiting_for_discharge(principal) -> dict[str, int]:
    """Per home municipality whose episodes the principal may see: patients ready for discharge
    and not yet discharged (as far as the latest import knows). One query; an aggregate, so no
    access-log row."""
    rows = (
        Episode.objects.visible_to(principal, "flow.view_episodes")
        .filter(ready_at__isnull=False, discharged_at__isnull=True)
        .values("home_municipality_id")
        .annotate(count=Count("id"))
    )
    return {row["home_municipality_id"]: row["count"] for row in rows}


def waiting_by_municipality(principal, county_code: str) -> dict[str, tuple[int, int]]:
    """Per home municipality of the county whose episodes the principal may see: (patients ready
    for discharge and still in hospital, the longest wait in days: from the local date of the
    notice to today, as days ready are counted). One query; an aggregate, so no access-log row."""
    rows = (
        Episode.objects.visible_to(principal, "flow.view_episodes")
        .filter(home_municipality__county_id=county_code, ready_at__isnull=False, discharged_at__isnull=True)
        .values("home_municipality_id")
        .annotate(count=Count("id"), oldest=Min("ready_at"))
    )
    today = timezone.localdate()
    return {
        row["home_municipality_id"]: (row["count"], (today - timezone.localtime(row["oldest"]).date()).days)
        for row in rows
    }


def statistics(
    principal,
    *,
    county_code: str,
    start: datetime.date,
    end: datetime.date,
    granularity: str = flow_statistics.Granularity.WEEK,
    filters: flow_statistics.Filters | None = None,
    grace_days: int | None = None,
) -> flow_statistics.Statistics:
    """Patient-flow statistics of a county per home municipality and per day, ISO week or month
    over the local dates `start`..`end` (both included, cut at today: `up_to_today`, raising
    PeriodRefused for a period after today), with county totals. Exact for those who
    `shows_exact_counts`; for everyone else whole weeks or months that have ended, with rounded
    counts (`flow_statistics.whole_periods`, raising PeriodRefused, and `readers_figures`;
    docs/decisions/small-count-protection.md). A fixed number of queries (six); the definitions
    are in `samverkan.flow.statistics`."""
    exact = shows_exact_counts(principal, county_code)
    today = timezone.localdate()
    requested_end = end
    start, end = flow_statistics.up_to_today(start, end, today)
    if not exact:
        start, end = flow_statistics.whole_periods(start, end, granularity, today)
    stats = flow_statistics.statistics(
        principal,
        county_code=county_code,
        start=start,
        end=end,
        granularity=granularity,
        filters=filters,
        grace_days=grace_days,
    )
    if requested_end > today:
        stats.requested_end = requested_end
    return stats if exact else flow_statistics.readers_figures(stats, flow_statistics.Rounding.from_settings())


def shows_exact_counts(principal, county_code: str) -> bool:
    """Whether the principal sees the county's flow statistics exactly (a role with exact counts
    in that county), or as a reader."""
    return policy.can(principal, "flow.exact_counts", policy.Place(county=county_code))


def episode_municipalities(principal, county_code: str) -> list[Municipality]:
    """The county's municipalities whose residents' episodes the principal may list."""
    return [
        m
        for m in Municipality.objects.filter(county_id=county_code).order_by("name")
        if policy.can(principal, "flow.view_episodes", policy.Place(county=county_code, municipality=m.code))
    ]


def column_layouts(principal, county_code: str) -> QuerySet[ColumnLayout]:
    """The saved column layouts of the county's sources, for those who import."""
    policy.require(principal, "flow.import", policy.Place(county=county_code))
    return ColumnLayout.objects.filter(source__county_id=county_code).select_related("source", "saved_by")


@dataclass
class DailySeries:
    """Per home municipality (code), one value per day from `start` on: the daily rows' figures,
    and the opening stocks (admitted − discharged, ready − discharged after ready) before `start`."""

    start: datetime.date
    days: int
    figures: dict[str, dict[str, list[int]]]
    opening: dict[str, dict[str, int]]


DAILY_SERIES_FIELDS = ("admissions", "discharges", "ready_notices", "discharged_ready", "to_short_term")


def daily_series(principal, county_code: str, start: datetime.date, end: datetime.date) -> DailySeries:
    """The county's daily rows (samverkan/flow/daily.py) as series per home municipality, for the
    forecasts. Aggregates only, so no access-log row; days without a row are 0."""
    policy.require(principal, "flow.statistics", policy.Place(county=county_code))
    codes = list(Municipality.objects.filter(county_id=county_code).values_list("code", flat=True))
    length = (end - start).days + 1
    figures = {code: {field: [0] * length for field in DAILY_SERIES_FIELDS} for code in codes}
    rows = DailyFlow.objects.filter(municipality_id__in=codes, day__gte=start, day__lte=end).values_list(
        "municipality_id", "day", *DAILY_SERIES_FIELDS
    )
    for code, day, *values in rows.iterator(chunk_size=5000):
        at = (day - start).days
        for field, value in zip(DAILY_SERIES_FIELDS, values, strict=True):
            figures[code][field][at] = value
    opening = {code: {"in_hospital": 0, "ready": 0} for code in codes}
    for row in (
        DailyFlow.objects.filter(municipality_id__in=codes, day__lt=start)
        .values("municipality_id")
        .annotate(
            admitted=Sum("admissions"),
            discharged=Sum("discharges"),
            ready=Sum("ready_notices"),
            left=Sum("discharged_ready"),
        )
    ):
        opening[row["municipality_id"]] = {
            "in_hospital": (row["admitted"] or 0) - (row["discharged"] or 0),
            "ready": (row["ready"] or 0) - (row["left"] or 0),
        }
    return DailySeries(start=start, days=length, figures=figures, opening=opening)
