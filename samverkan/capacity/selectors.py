"""Reads for capacity: the county overview, a unit's history, completeness and overdue units.

The overview reads one row per unit (unit, municipality, current state, latest report) in a
single query, plus one query each for the schedule, planned changes and category figures, so
its query count does not grow with the number of units."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from samverkan.capacity import schedule as sched
from samverkan.capacity.models import (
    BedCategory,
    CapacityReport,
    CapacityReportCategory,
    PlannedChange,
    ReportingSchedule,
)
from samverkan.organisations import policy
from samverkan.organisations.models import County, Unit

SORT_KEYS = {
    "municipality": lambda r: (r.municipality_name, r.unit_name),
    "unit": lambda r: r.unit_name.lower(),
    "free": lambda r: (-(r.free or 0), r.unit_name),
    "occupancy": lambda r: (-(r.occupancy_rate or 0), r.unit_name),
    "age": lambda r: (r.reported_at is not None, r.reported_at or datetime.datetime.min.replace(tzinfo=datetime.UTC)),
}


@dataclass
class UnitRow:
    """One unit on the overview. Figures are None when the unit has never reported."""

    unit_id: int
    unit_name: str
    unit_kind: str
    municipality_code: str
    municipality_name: str
    organisation_name: str
    physical: int | None
    staffed: int | None
    occupied: int | None
    reserved: int
    surge: int | None
    open_for_admission: bool | None
    closure_reason: str
    reported_at: datetime.datetime | None
    stale: bool
    planned_staffed: int = 0  # planned changes in force since the latest report, included in staffed
    planned_physical: int = 0
    upcoming: list[PlannedChange] = field(default_factory=list)

    @property
    def free(self) -> int | None:
        if self.staffed is None:
            return None
        return max(self.staffed - self.occupied - self.reserved, 0)

    @property
    def occupancy_rate(self) -> float | None:
        if not self.staffed:
            return None
        return self.occupied / self.staffed

    @property
    def over_occupied(self) -> bool:
        return self.staffed is not None and self.occupied > self.staffed

    @property
    def surge_while_closed(self) -> bool:
        return bool(self.surge) and self.open_for_admission is False


@dataclass
class Totals:
    """Sums over rows that have reported; `stale_units` says how many of them are stale."""

    units: int = 0
    reporting_units: int = 0
    stale_units: int = 0
    physical: int = 0
    staffed: int = 0
    occupied: int = 0
    reserved: int = 0
    free: int = 0
    surge: int = 0
    closed_units: int = 0

    def add(self, row: UnitRow) -> None:
        self.units += 1
        if row.staffed is None:
            self.stale_units += 1
            return
        self.reporting_units += 1
        self.stale_units += row.stale
        self.physical += row.physical
        self.staffed += row.staffed
        self.occupied += row.occupied
        self.reserved += row.reserved
        self.free += row.free
        self.surge += row.surge
        self.closed_units += row.open_for_admission is False

    @property
    def occupancy_rate(self) -> float | None:
        return self.occupied / self.staffed if self.staffed else None


@dataclass
class MunicipalityGroup:
    code: str
    name: str
    rows: list[UnitRow]
    totals: Totals


@dataclass
class Overview:
    county: County
    generated_at: datetime.datetime
    current_since: datetime.datetime | None
    rows: list[UnitRow]
    municipalities: list[MunicipalityGroup]
    totals: Totals
    category: BedCategory | None


def _county_for(principal, county_code: str | None) -> County:
    scope = policy.scope_of(principal)
    if county_code is None:
        codes = sorted(scope.county_codes)
        if not codes:
            raise PermissionDenied
        county_code = codes[0]
    if not (scope.is_admin or county_code in scope.county_codes):
        raise PermissionDenied
    county = County.objects.filter(code=county_code).first()
    if county is None:
        raise PermissionDenied
    return county


def schedule_for(county: County) -> ReportingSchedule:
    return ReportingSchedule.objects.filter(county=county).first() or ReportingSchedule(county=county)


def county_overview(
    principal,
    county_code: str | None = None,
    *,
    category: str | None = None,
    kind: str | None = None,
    sort: str = "municipality",
    now: datetime.datetime | None = None,
) -> Overview:
    """Every active unit of the county with its current figures, per municipality and in total."""
    policy.require(principal, "capacity.view")
    county = _county_for(principal, county_code)
    now = now or timezone.now()
    schedule = schedule_for(county)
    rule = sched.Rule.of(schedule)
    units = Unit.objects.filter(organisation__county=county, is_active=True)
    units = units.filter(kind=kind) if kind else units.filter(kind__in=schedule.kinds)
    units = units.select_related("municipality", "organisation", "capacity", "capacity__latest_report").order_by(
        "municipality__name", "name"
    )
    bed_category = BedCategory.objects.filter(county=county, code=category).first() if category else None
    category_figures: dict[int, CapacityReportCategory] = {}
    changes: dict[int, list[PlannedChange]] = defaultdict(list)
    unit_list = list(units)
    unit_ids = [u.pk for u in unit_list]
    if bed_category is not None:
        report_ids = [
            u.capacity.latest_report_id for u in unit_list if hasattr(u, "capacity") and u.capacity.latest_report_id
        ]
        for figures in CapacityReportCategory.objects.filter(report_id__in=report_ids, category=bed_category):
            category_figures[figures.report_id] = figures
    today = now.astimezone(sched.LOCAL).date()
    for change in PlannedChange.objects.active().filter(
        unit_id__in=unit_ids, effective_from__lte=today + datetime.timedelta(days=90)
    ):
        changes[change.unit_id].append(change)

    rows = []
    for unit in unit_list:
        state = getattr(unit, "capacity", None)
        report = state.latest_report if state else None
        row = _row(unit, report, state.reserved if state else 0, now, rule)
        if bed_category is not None:
            figures = category_figures.get(report.pk) if report else None
            if figures is None:
                continue
            row.physical = row.staffed = figures.staffed
            row.occupied = figures.occupied
            row.reserved = 0
            row.surge = 0
        _apply_planned(row, changes.get(unit.pk, []), report, today)
        rows.append(row)
    rows.sort(key=SORT_KEYS.get(sort, SORT_KEYS["municipality"]))

    groups: dict[str, MunicipalityGroup] = {}
    totals = Totals()
    for row in sorted(rows, key=SORT_KEYS["municipality"]):
        group = groups.setdefault(
            row.municipality_code, MunicipalityGroup(row.municipality_code, row.municipality_name, [], Totals())
        )
        group.rows.append(row)
        group.totals.add(row)
        totals.add(row)
    return Overview(
        county=county,
        generated_at=now,
        current_since=sched.current_since(now, rule),
        rows=rows,
        municipalities=list(groups.values()),
        totals=totals,
        category=bed_category,
    )


def _row(unit: Unit, report: CapacityReport | None, reserved: int, now, rule) -> UnitRow:
    return UnitRow(
        unit_id=unit.pk,
        unit_name=unit.name,
        unit_kind=unit.kind,
        municipality_code=unit.municipality_id,
        municipality_name=unit.municipality.name,
        organisation_name=unit.organisation.name,
        physical=report.physical if report else None,
        staffed=report.staffed if report else None,
        occupied=report.occupied if report else None,
        reserved=reserved,
        surge=report.surge if report else None,
        open_for_admission=report.open_for_admission if report else None,
        closure_reason=report.closure_reason if report else "",
        reported_at=report.reported_at if report else None,
        stale=sched.is_stale(report.reported_at if report else None, now, rule),
    )


def _apply_planned(row: UnitRow, changes: list[PlannedChange], report: CapacityReport | None, today) -> None:
    """Changes in force since the latest report are added to its figures; later ones are listed."""
    report_day = report.reported_at.astimezone(sched.LOCAL).date() if report else None
    for change in changes:
        if change.effective_from > today:
            row.upcoming.append(change)
        elif report_day is None or change.effective_from > report_day:
            row.planned_staffed += change.staffed_change
            row.planned_physical += change.physical_change
    if row.planned_staffed or row.planned_physical:
        row.physical = max((row.physical or 0) + row.planned_physical, 0)
        row.staffed = min(max((row.staffed or 0) + row.planned_staffed, 0), row.physical)
        if row.occupied is None:
            row.occupied = 0
            row.surge = 0
            row.open_for_admission = True


@dataclass
class DailyPoint:
    day: datetime.date
    free: int
    staffed: int
    occupied: int
    reporting_units: int


def county_free_places_series(
    principal, county_code: str | None = None, *, days: int = 60, now=None
) -> list[DailyPoint]:
    """The county's free places at the end of each of the last `days` days, counting only units
    whose report was current then (stale reports are left out, never shown as current)."""
    policy.require(principal, "capacity.view")
    county = _county_for(principal, county_code)
    now = now or timezone.now()
    rule = sched.Rule.of(schedule_for(county))
    today = now.astimezone(sched.LOCAL).date()
    first_day = today - datetime.timedelta(days=days - 1)
    window_start = datetime.datetime.combine(
        first_day - datetime.timedelta(days=8), datetime.time(0), tzinfo=sched.LOCAL
    )
    reports = (
        CapacityReport.objects.filter(
            unit__organisation__county=county, unit__is_active=True, reported_at__gte=window_start
        )
        .order_by("reported_at", "id")
        .values_list("unit_id", "reported_at", "staffed", "occupied")
    )
    latest: dict[int, tuple[datetime.datetime, int, int]] = {}
    points = []
    iterator = iter(reports)
    pending = next(iterator, None)
    day = first_day
    while day <= today:
        end = min(
            datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(0), tzinfo=sched.LOCAL), now
        )
        while pending is not None and pending[1] < end:
            latest[pending[0]] = pending[1:]
            pending = next(iterator, None)
        free = staffed = occupied = units = 0
        for reported_at, s, o in latest.values():
            if sched.is_stale(reported_at, end, rule):
                continue
            units += 1
            staffed += s
            occupied += o
            free += max(s - o, 0)
        points.append(DailyPoint(day, free, staffed, occupied, units))
        day += datetime.timedelta(days=1)
    return points


def unit_detail(principal, unit_id: int) -> Unit:
    """The unit if the principal may see it; Unit.DoesNotExist otherwise (a 404, not a 403)."""
    policy.require(principal, "capacity.view")
    return Unit.objects.visible_to(principal).select_related("municipality", "organisation").get(pk=unit_id)


def unit_history(unit: Unit, *, days: int = 90, now=None) -> list[CapacityReport]:
    now = now or timezone.now()
    return list(
        CapacityReport.objects.filter(unit=unit, reported_at__gte=now - datetime.timedelta(days=days))
        .select_related("reported_by", "corrects")
        .prefetch_related("categories__category")
        .order_by("-reported_at", "-id")
    )


def unit_planned_changes(unit: Unit) -> list[PlannedChange]:
    return list(PlannedChange.objects.filter(unit=unit).select_related("created_by").order_by("effective_from", "id"))


@dataclass
class UnitCompleteness:
    unit_id: int
    unit_name: str
    municipality_code: str
    municipality_name: str
    statuses: dict[datetime.date, str | None]

    def count(self, status: str) -> int:
        return sum(1 for s in self.statuses.values() if s == status)

    @property
    def due(self) -> int:
        return sum(1 for s in self.statuses.values() if s is not None)

    @property
    def share_on_time(self) -> float | None:
        return self.count(sched.DayStatus.ON_TIME) / self.due if self.due else None


@dataclass
class Completeness:
    county: County
    days: list[datetime.date]
    units: list[UnitCompleteness]
    by_municipality: list[tuple[str, str, int, int, int, int]]  # code, name, due, on time, late, missing
    totals: tuple[int, int, int, int]
    overdue: list[UnitRow]


def reporting_completeness(principal, county_code: str | None = None, *, days: int = 14, now=None) -> Completeness:
    """On time / late / missing per unit and reporting day, per municipality and for the county."""
    policy.require(principal, "capacity.follow_up")
    county = _county_for(principal, county_code)
    now = now or timezone.now()
    schedule = schedule_for(county)
    rule = sched.Rule.of(schedule)
    today = now.astimezone(sched.LOCAL).date()
    day_list = sched.due_days(today - datetime.timedelta(days=days - 1), today, rule)
    units = list(
        Unit.objects.filter(organisation__county=county, is_active=True, kind__in=schedule.kinds)
        .select_related("municipality")
        .order_by("municipality__name", "name")
    )
    start = datetime.datetime.combine(today - datetime.timedelta(days=days), datetime.time(0), tzinfo=sched.LOCAL)
    times: dict[int, list[datetime.datetime]] = defaultdict(list)
    for unit_id, reported_at in CapacityReport.objects.filter(
        unit__in=[u.pk for u in units], created_at__gte=start
    ).values_list("unit_id", "created_at"):
        times[unit_id].append(reported_at)
    result_units = []
    municipality_counts: dict[tuple[str, str], list[int]] = {}
    totals = [0, 0, 0, 0]
    for unit in units:
        statuses = {day: sched.day_status(times.get(unit.pk, []), day, rule, now) for day in day_list}
        entry = UnitCompleteness(unit.pk, unit.name, unit.municipality_id, unit.municipality.name, statuses)
        result_units.append(entry)
        counts = municipality_counts.setdefault((unit.municipality_id, unit.municipality.name), [0, 0, 0, 0])
        for i, value in enumerate([entry.due, entry.count("on_time"), entry.count("late"), entry.count("missing")]):
            counts[i] += value
            totals[i] += value
    overview = county_overview(principal, county.code, now=now)
    overdue = [row for row in overview.rows if row.stale]
    return Completeness(
        county=county,
        days=day_list,
        units=result_units,
        by_municipality=[(code, name, *counts) for (code, name), counts in municipality_counts.items()],
        totals=tuple(totals),
        overdue=overdue,
    )
