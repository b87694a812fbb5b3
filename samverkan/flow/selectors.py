"""Reads for patient flow: import history, episode lists (access-logged) and statistics."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from samverkan.audit.services import access_log_record
from samverkan.flow.models import ColumnLayout, Destination, Episode, ImportRun
from samverkan.organisations import policy
from samverkan.organisations.models import Municipality

SMALL = 5


def import_history(principal, county_code: str) -> QuerySet[ImportRun]:
    policy.require(principal, "flow.import", county_code=county_code)
    return ImportRun.objects.filter(source__county_id=county_code).select_related("source", "imported_by")


def episode_list(
    principal, *, county_code: str, municipality: str | None = None, reason: str, limit: int = 200
) -> list[Episode]:
    """Episodes the principal may see; every read is written to the access log (who, what, why)."""
    policy.require(principal, "flow.episodes")
    episodes = Episode.objects.visible_to(principal).filter(source__county_id=county_code)
    if municipality:
        episodes = episodes.filter(home_municipality_id=municipality)
    rows = list(episodes.select_related("home_municipality", "hospital_unit", "source")[:limit])
    access_log_record(
        actor=principal,
        resource=f"flow.episode_list county={county_code} municipality={municipality or '*'}",
        reason=reason,
        object_ids=[e.pk for e in rows],
    )
    return rows


@dataclass
class MunicipalityFigures:
    code: str
    name: str
    population: int
    admissions: int
    discharges: int
    ready_now: int
    destinations: dict[str, int]

    @property
    def admissions_per_1000(self) -> float | None:
        return self.admissions * 1000 / self.population if self.population else None


def statistics(
    principal, *, county_code: str, start: datetime.datetime, end: datetime.datetime
) -> list[MunicipalityFigures]:
    """Per municipality of the county: admissions and discharges in [start, end), patients ready
    for discharge and still in hospital at `end`, and discharges by destination. One query."""
    policy.require(principal, "flow.statistics", county_code=county_code)
    figures = (
        Episode.objects.filter(home_municipality__county_id=county_code)
        .values("home_municipality_id")
        .annotate(
            admissions=Count("id", filter=Q(admitted_at__gte=start, admitted_at__lt=end)),
            discharges=Count("id", filter=Q(discharged_at__gte=start, discharged_at__lt=end)),
            ready_now=Count(
                "id", filter=Q(ready_at__lt=end) & (Q(discharged_at__isnull=True) | Q(discharged_at__gte=end))
            ),
            **{
                f"dest_{d}": Count("id", filter=Q(discharged_at__gte=start, discharged_at__lt=end, destination=d))
                for d in Destination.values
            },
        )
    )
    by_code = {row["home_municipality_id"]: row for row in figures}
    result = []
    for municipality in Municipality.objects.filter(county_id=county_code).order_by("name"):
        row = by_code.get(municipality.code, {})
        result.append(
            MunicipalityFigures(
                code=municipality.code,
                name=municipality.name,
                population=municipality.population,
                admissions=row.get("admissions", 0),
                discharges=row.get("discharges", 0),
                ready_now=row.get("ready_now", 0),
                destinations={d: row.get(f"dest_{d}", 0) for d in Destination.values},
            )
        )
    return result


def shows_exact_counts(principal) -> bool:
    scope = policy.scope_of(principal)
    return scope.is_admin or bool(scope.roles & policy.EXACT_COUNT_ROLES)


def column_layouts(principal, county_code: str) -> QuerySet[ColumnLayout]:
    """The saved column layouts of the county's sources, for those who import."""
    policy.require(principal, "flow.import", county_code=county_code)
    return ColumnLayout.objects.filter(source__county_id=county_code).select_related("source", "saved_by")
