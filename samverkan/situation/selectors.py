"""Reads for the situation report, narrowed by the policy: published reports for every member of
the county (private providers too), drafts for those who prepare them, epidemiology figures."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from samverkan.organisations import policy
from samverkan.situation import opendata
from samverkan.situation.models import (
    EpidemiologyFigure,
    Indicator,
    ReportDelivery,
    ReportStatus,
    SituationReport,
    SituationSettings,
)


def published_reports(principal: policy.Asker, county_code: str) -> QuerySet[SituationReport]:
    """The county's published reports, newest number and version first."""
    policy.require(principal, "situation.view", policy.Place(county=county_code))
    return (
        SituationReport.objects.visible_to(principal, "situation.view")
        .filter(county_id=county_code, status=ReportStatus.PUBLISHED)
        .order_by("-number", "-version")
    )


def latest_published(principal: policy.Asker, county_code: str) -> SituationReport | None:
    """The county's latest published report (the newest version of the highest number)."""
    return published_reports(principal, county_code).first()


def draft_of(principal: policy.Asker, county_code: str) -> SituationReport | None:
    """The county's report in preparation, for those who prepare reports there."""
    if not policy.can(principal, "situation.prepare", policy.Place(county=county_code)):
        return None
    return (
        SituationReport.objects.visible_to(principal, "situation.prepare")
        .filter(county_id=county_code, status=ReportStatus.DRAFT)
        .first()
    )


def report_detail(principal: policy.Asker, report_id: int) -> SituationReport:
    """One report: published ones for every member of its county, drafts for those who prepare
    them; Http404 for any other (so another county's reports are not even confirmed)."""
    readable = SituationReport.objects.visible_to(principal, "situation.view") | SituationReport.objects.visible_to(
        principal, "situation.prepare"
    )
    return readable.select_related("county", "previous", "corrects", "published_by", "prepared_by").get_or_404(
        pk=report_id
    )


def report_by_number(
    principal: policy.Asker, county_code: str, number: int, version: int | None = None
) -> SituationReport:
    """A published report by its number in the county: the latest version, or `version`."""
    reports = published_reports(principal, county_code).filter(number=number)
    if version is not None:
        reports = reports.filter(version=version)
    report = reports.select_related("county", "previous", "corrects").first()
    if report is None:
        raise Http404
    return report


def deliveries(principal: policy.Asker, report: SituationReport) -> QuerySet[ReportDelivery] | None:
    """Who was sent the published report (as the subscribers were when it was published), for
    those who manage the county's subscribers; None for everyone else."""
    if not policy.can(principal, "situation.manage_subscriptions", policy.Place(county=report.county_id)):
        return None
    return (
        ReportDelivery.objects.visible_to(principal, "situation.manage_subscriptions")
        .filter(report=report)
        .select_related("organisation")
    )


def newer_version(report: SituationReport) -> SituationReport | None:
    """The latest published correction of a published report, if any."""
    if not report.is_published:
        return None
    return (
        SituationReport.objects.filter(
            county_id=report.county_id,
            number=report.number,
            version__gt=report.version,
            status=ReportStatus.PUBLISHED,
        )
        .order_by("-version")
        .first()
    )


def indicators(principal: policy.Asker, county_code: str) -> QuerySet[Indicator]:
    policy.require(principal, "situation.view_epidemiology", policy.Place(county=county_code))
    return Indicator.objects.visible_to(principal, "situation.view_epidemiology").filter(county_id=county_code)


@dataclass
class FigureTable:
    """Epidemiology figures of a county per day (newest first), one column per indicator."""

    indicators: list[Indicator]
    rows: list[tuple[datetime.date, list[int | None]]]


def figure_table(principal: policy.Asker, county_code: str, *, start: datetime.date, end: datetime.date) -> FigureTable:
    """The county's figures between `start` and `end` (both included), two queries."""
    columns = list(indicators(principal, county_code).order_by("order", "name"))
    position = {indicator.pk: i for i, indicator in enumerate(columns)}
    by_day: dict[datetime.date, list[int | None]] = {}
    for indicator_id, day, value in (
        EpidemiologyFigure.objects.visible_to(principal, "situation.view_epidemiology")
        .filter(indicator__county_id=county_code, date__gte=start, date__lte=end)
        .values_list("indicator_id", "date", "value")
    ):
        by_day.setdefault(day, [None] * len(columns))[position[indicator_id]] = value
    return FigureTable(columns, sorted(by_day.items(), reverse=True))


def figures(
    principal: policy.Asker, county_code: str, *, start: datetime.date, end: datetime.date
) -> QuerySet[EpidemiologyFigure]:
    policy.require(principal, "situation.view_epidemiology", policy.Place(county=county_code))
    return (
        EpidemiologyFigure.objects.visible_to(principal, "situation.view_epidemiology")
        .filter(indicator__county_id=county_code, date__gte=start, date__lte=end)
        .select_related("indicator")
        .order_by("date", "indicator__order")
    )


# The public page -------------------------------------------------------------------------------
# Open to anyone, without login, by the county's own choice (SituationSettings.public), not by a
# role: so it asks no policy rule. It shows published reports only, with small counts hidden
# (opendata.py).


def public_reports(county_code: str) -> QuerySet[SituationReport]:
    """The county's published reports when it has chosen a public page; Http404 otherwise."""
    if not SituationSettings.objects.filter(county_id=county_code, public=True).exists():
        raise Http404
    return (
        SituationReport.objects.filter(county_id=county_code, status=ReportStatus.PUBLISHED)
        .select_related("county", "previous")
        .order_by("-number", "-version")
    )


def public_report(county_code: str, number: int | None = None) -> SituationReport:
    """The latest version of report `number` (or the latest report) on the county's public page."""
    reports = public_reports(county_code)
    if number is not None:
        reports = reports.filter(number=number)
    report = reports.first()
    if report is None:
        raise Http404
    return report


@dataclass
class Comparison:
    first: SituationReport
    second: SituationReport
    rows: list[tuple[str, str, object, object, float | int | None]]


def compare(principal: policy.Asker, first_id: int, second_id: int) -> Comparison:
    """Two published reports of one county side by side: every figure of either, with the
    difference where both are numbers."""
    first, second = report_detail(principal, first_id), report_detail(principal, second_id)
    if not (first.is_published and second.is_published) or first.county_id != second.county_id:
        raise Http404
    if (first.number or 0, first.version) > (second.number or 0, second.version):
        first, second = second, first
    a = {(section, field): value for section, field, value in opendata.flat(first.figures)}
    b = {(section, field): value for section, field, value in opendata.flat(second.figures)}
    rows = []
    for key in dict.fromkeys([*a, *b]):
        old, new = a.get(key), b.get(key)
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (old, new))
        difference = round(new - old, 1) if numbers else None  # type: ignore[operator]  # both numbers here
        rows.append((key[0], key[1], old, new, difference))
    return Comparison(first, second, rows)
