"""Reads for capacity: the county overview, a unit's history, completeness and overdue units.

The overview reads one row per unit (unit, municipality, current state, latest report) in a
single query, plus one query each for the schedule, planned changes and category figures, so
its query count does not grow with the number of units."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext

from samverkan.capacity import schedule as sched
from samverkan.capacity.figures import UnitFigures, free_places, planned_changes, unit_figures
from samverkan.capacity.models import (
    BedCategory,
    CapacityReport,
    CapacityReportCategory,
    PlannedChange,
    ReportingSchedule,
    UnitCapacity,
)
from samverkan.organisations import policy
from samverkan.organisations.models import County, Unit
from samverkan.organisations.selectors import county_of_page

SORT_KEYS = {
    "municipality": lambda r: (r.municipality_name, r.unit_name),
    "unit": lambda r: r.unit_name.lower(),
    "free": lambda r: (-(r.free or 0), r.unit_name),
    "occupancy": lambda r: (-(r.occupancy_rate or 0), r.unit_name),
    "age": lambda r: (r.reported_at is not None, r.reported_at or datetime.datetime.min.replace(tzinfo=datetime.UTC)),
}


@dataclass(slots=True, kw_only=True)
class UnitRow(UnitFigures):
    """One unit on the overview: its figures in force (capacity/figures.py) and where it belongs."""

    unit_id: int
    unit_name: str
    unit_kind: str
    municipality_code: str
    municipality_name: str
    organisation_name: str
    stale: bool


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
        self.physical += row.physical or 0
        self.staffed += row.staffed
        self.occupied += row.occupied or 0
        self.reserved += row.reserved
        self.free += row.free or 0
        self.surge += row.surge or 0
        self.closed_units += row.open_for_admission is False

    def merge(self, other: Totals) -> None:
        for name in ("units", "reporting_units", "stale_units", "physical", "staffed", "occupied", "reserved",
                     "free", "surge", "closed_units"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))

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


NATIONAL = "SE"  # the county code that means every county (administrators only)


def _county_for(principal, county_code: str | None) -> County:
    if county_code == NATIONAL:
        policy.require(principal, "organisations.view_country")
        return County(code=NATIONAL, name=gettext("Sweden"), short_name=gettext("Sweden"))
    county = County.objects.filter(code=county_of_page(principal, county_code)).first()
    if county is None:
        raise PermissionDenied
    return county


def schedule_for(county: County) -> ReportingSchedule:
    return ReportingSchedule.objects.filter(county_id=county.code).first() or ReportingSchedule(county_id=county.code)


def _schedules(county: County) -> dict[str, ReportingSchedule]:
    """The schedule of each county in view (one for a county, all for the national view)."""
    if county.code != NATIONAL:
        return {county.code: schedule_for(county)}
    found = {s.county_id: s for s in ReportingSchedule.objects.all()}
    return {
        code: found.get(code) or ReportingSchedule(county_id=code)
        for code in County.objects.values_list("code", flat=True)
    }


def county_overview(
    principal,
    county_code: str | None = None,
    *,
    category: str | None = None,
    kind: str | None = None,
    sort: str = "municipality",
    now: datetime.datetime | None = None,
) -> Overview:
    """Every active unit of the county (or, for administrators, of the country: county "SE")
    with its current figures, per municipality and in total. Each unit is judged stale by its
    own county's schedule."""
    policy.require(principal, "capacity.view")
    county = _county_for(principal, county_code)
    now = now or timezone.now()
    schedules = _schedules(county)
    rules = {code: sched.Rule.of(s) for code, s in schedules.items()}
    units = Unit.objects.filter(is_active=True)
    if county.code != NATIONAL:
        units = units.filter(organisation__county_id=county.code)
    if kind:
        units = units.filter(kind=kind)
    else:
        units = units.filter(kind__in=set().union(*(s.kinds for s in schedules.values())))
    columns = (
        "pk",
        "name",
        "kind",
        "municipality_id",
        "municipality__name",
        "organisation__name",
        "organisation__county_id",
        "capacity__reserved",
        "capacity__latest_report_id",
    )
    # Plain tuples, not model instances: the national overview has 1 500 rows. The latest reports
    # come in a second query by primary key: with a join PostgreSQL hashes the whole report
    # history, by key it reads only the rows it needs.
    kinds = {code: schedule.kinds for code, schedule in schedules.items()}
    unit_list = [
        u for u in units.order_by("municipality__name", "name").values_list(*columns) if kind or u[2] in kinds[u[6]]
    ]
    no_report = (None, None, None, None, None, "", None)
    reports = _report_figures([u[8] for u in unit_list if u[8]])
    bed_category = (
        BedCategory.objects.filter(county_id=county.code, code=category).first()
        if category and county.code != NATIONAL
        else None
    )
    category_figures: dict[int, tuple[int, int]] = {}
    if bed_category is not None:
        report_ids = [u[8] for u in unit_list if u[8]]
        category_figures = {
            report_id: (staffed, occupied)
            for report_id, staffed, occupied in CapacityReportCategory.objects.filter(
                report_id__in=report_ids, category=bed_category
            ).values_list("report_id", "staffed", "occupied")
        }
    today = now.astimezone(sched.LOCAL).date()
    changes = planned_changes(units.values_list("pk", flat=True), today)

    current_since = {code: sched.current_since(now, rule) for code, rule in rules.items()}
    rows = []
    for (
        unit_id, name, unit_kind, municipality_code, municipality_name, organisation_name, county_code,
        reserved, report_id,
    ) in unit_list:  # fmt: skip
        physical, staffed, occupied, surge, open_for_admission, closure_reason, reported_at = reports.get(
            report_id, no_report
        )
        since = current_since[county_code]
        row = UnitRow(
            unit_id=unit_id,
            unit_name=name,
            unit_kind=unit_kind,
            municipality_code=municipality_code,
            municipality_name=municipality_name,
            organisation_name=organisation_name,
            physical=physical,
            staffed=staffed,
            occupied=occupied,
            reserved=reserved or 0,
            surge=surge,
            open_for_admission=open_for_admission,
            closure_reason=closure_reason or "",
            reported_at=reported_at,
            stale=reported_at is None or (since is not None and reported_at < since),
        )
        if bed_category is not None:
            figures = category_figures.get(report_id)
            if figures is None:
                continue
            row.physical = row.staffed = figures[0]
            row.occupied = figures[1]
            row.reserved = 0
            row.surge = 0
        if unit_id in changes:
            row.apply_planned(changes[unit_id], today, in_force=bed_category is None)
        rows.append(row)
    # The query already returns municipality order; other orders sort a copy.
    by_municipality = rows
    if sort in SORT_KEYS and sort != "municipality":
        rows = sorted(rows, key=SORT_KEYS[sort])

    groups: dict[str, MunicipalityGroup] = {}
    for row in by_municipality:
        group = groups.setdefault(
            row.municipality_code, MunicipalityGroup(row.municipality_code, row.municipality_name, [], Totals())
        )
        group.rows.append(row)
        group.totals.add(row)
    totals = Totals()
    for group in groups.values():
        totals.merge(group.totals)
    return Overview(
        county=county,
        generated_at=now,
        current_since=sched.current_since(now, rules.get(county.code, sched.DEFAULT_RULE)),
        rows=rows,
        municipalities=list(groups.values()),
        totals=totals,
        category=bed_category,
    )


_FIGURES = ("physical", "staffed", "occupied", "surge", "open_for_admission", "closure_reason", "reported_at")


def _report_figures(report_ids: list[int]) -> dict[int, tuple]:
    """Figures of the given reports by id: (physical, staffed, occupied, surge, open, reason, reported_at).

    PostgreSQL fast path: one array parameter instead of a placeholder per id, and the time as
    epoch seconds (parsing 1 500 timestamps in Python costs more than the query). Elsewhere the
    ORM does the same portably."""
    if not report_ids:
        return {}
    if connection.vendor != "postgresql":
        return {
            pk: tuple(rest)
            for pk, *rest in CapacityReport.objects.filter(pk__in=report_ids).values_list("pk", *_FIGURES)
        }
    table = CapacityReport._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, physical, staffed, occupied, surge, open_for_admission, closure_reason,"  # noqa: S608 - our table name
            f" EXTRACT(EPOCH FROM reported_at)::float8 FROM {table} WHERE id = ANY(%s)",
            [report_ids],
        )
        return {
            pk: (
                physical,
                staffed,
                occupied,
                surge,
                open_,
                reason,
                datetime.datetime.fromtimestamp(epoch, datetime.UTC),
            )
            for pk, physical, staffed, occupied, surge, open_, reason, epoch in cursor.fetchall()
        }


@dataclass
class DailyPoint:
    day: datetime.date
    free: int
    staffed: int
    occupied: int
    reporting_units: int


def county_free_places_series(
    principal,
    county_code: str | None = None,
    *,
    days: int = 60,
    kind: str | None = None,
    category: str | None = None,
    now=None,
) -> list[DailyPoint]:
    """The county's free places at the end of each of the last `days` days, counting only units
    whose report was current then (stale reports are left out, never shown as current). Like the
    overview, only the unit kinds that report (or only `kind`), and with a bed category only the
    reports' figures of that category (a report without it counts as no report). A day on which
    no unit had a current report has `reporting_units` 0: no figure, not zero free places."""
    policy.require(principal, "capacity.view")
    county = _county_for(principal, county_code)
    if county.code == NATIONAL:
        return []
    now = now or timezone.now()
    schedule = schedule_for(county)
    rule = sched.Rule.of(schedule)
    today = now.astimezone(sched.LOCAL).date()
    first_day = today - datetime.timedelta(days=days - 1)
    window_start = datetime.datetime.combine(
        first_day - datetime.timedelta(days=8), datetime.time(0), tzinfo=sched.LOCAL
    )
    in_window = CapacityReport.objects.filter(
        unit__organisation__county=county,
        unit__is_active=True,
        unit__kind__in=[kind] if kind else schedule.kinds,
        reported_at__gte=window_start,
    )
    # (unit, reported at, staffed, occupied): of the whole reports, or of one bed category's part
    reports: Iterable[tuple[int, datetime.datetime, int, int]] = in_window.order_by("reported_at", "id").values_list(
        "unit_id", "reported_at", "staffed", "occupied"
    )
    if category:
        reports = (
            CapacityReportCategory.objects.filter(
                report__in=in_window.values("pk"), category__county=county, category__code=category
            )
            .order_by("report__reported_at", "report_id")
            .values_list("report__unit_id", "report__reported_at", "staffed", "occupied")
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
            free += free_places(s, o)  # reservations are not kept per day: the reports' own figures
        points.append(DailyPoint(day, free, staffed, occupied, units))
        day += datetime.timedelta(days=1)
    return points


def unit_detail(principal, unit_id: int) -> Unit:
    """The unit if the principal may see it; Http404 otherwise (not a 403)."""
    policy.require(principal, "capacity.view")
    return (
        Unit.objects.visible_to(principal, "capacity.view")
        .select_related("municipality", "organisation")
        .get_or_404(pk=unit_id)
    )


def reportable_unit_ids(principal) -> frozenset[int]:
    """The units the principal may report for."""
    return frozenset(Unit.objects.visible_to(principal, "capacity.report").values_list("pk", flat=True))


def unit_free_places(unit: Unit) -> int:
    """The unit's free places in force now (0 before its first report)."""
    state = UnitCapacity.objects.select_related("latest_report").filter(unit=unit).first()
    if state is None:
        return 0
    return unit_figures(state).free or 0


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
    if county.code == NATIONAL:
        raise PermissionDenied("Completeness is followed up per county.")
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
        by_municipality=[(code, name, c[0], c[1], c[2], c[3]) for (code, name), c in municipality_counts.items()],
        totals=(totals[0], totals[1], totals[2], totals[3]),
        overdue=overdue,
    )


@dataclass
class DailyPlaces:
    """Per municipality where the units are (code), one value per day from `start` on: the sum of
    its units' staffed, occupied and surge places in each unit's latest report by the end of the
    day; None before any of its units had reported. `planned_staffed`: per municipality, one value
    per day after `end` (`ahead` days): the change in staffed places by then from the active
    planned changes that take effect after their unit's latest report (as capacity's figures
    count them, samverkan/capacity/figures.py `apply_planned`)."""

    start: datetime.date
    days: int
    staffed: dict[str, list[int | None]]
    occupied: dict[str, list[int | None]]
    surge: dict[str, list[int | None]]
    planned_staffed: dict[str, list[int]]


def daily_places(
    principal, county_code: str, start: datetime.date, end: datetime.date, *, kind: str = "short_term", ahead: int = 0
) -> DailyPlaces:
    """The county's places of one unit kind per municipality and day, for the forecasts: a unit
    counts with its latest report (stale or not: the last figures known) from the day it was made;
    and the planned changes of staffed places over the `ahead` days after `end`."""
    policy.require(principal, "capacity.view", policy.Place(county=county_code))
    units = dict(
        Unit.objects.filter(organisation__county_id=county_code, kind=kind, is_active=True).values_list(
            "pk", "municipality_id"
        )
    )
    length = (end - start).days + 1
    codes = sorted(set(units.values()))
    staffed: dict[str, list[int | None]] = {code: [None] * length for code in codes}
    occupied: dict[str, list[int | None]] = {code: [None] * length for code in codes}
    surge: dict[str, list[int | None]] = {code: [None] * length for code in codes}
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(0), tzinfo=sched.LOCAL)
    reports = (
        CapacityReport.objects.filter(unit_id__in=units, reported_at__lt=until)
        .order_by("reported_at", "id")
        .values_list("unit_id", "reported_at", "staffed", "occupied", "surge")
    )
    latest: dict[int, tuple[int, int, int]] = {}
    reported_on: dict[int, datetime.date] = {}
    pending = iter(reports.iterator(chunk_size=5000))
    report = next(pending, None)
    for at in range(length):
        day_end = datetime.datetime.combine(
            start + datetime.timedelta(days=at + 1), datetime.time(0), tzinfo=sched.LOCAL
        )
        while report is not None and report[1] < day_end:
            latest[report[0]] = (report[2], report[3], report[4])
            reported_on[report[0]] = report[1].astimezone(sched.LOCAL).date()
            report = next(pending, None)
        for unit_id, (s, o, g) in latest.items():
            code = units[unit_id]
            staffed[code][at] = (staffed[code][at] or 0) + s
            occupied[code][at] = (occupied[code][at] or 0) + o
            surge[code][at] = (surge[code][at] or 0) + g
    planned: dict[str, list[int]] = {code: [0] * ahead for code in codes}
    changes = PlannedChange.objects.active().filter(
        unit_id__in=units, effective_from__lte=end + datetime.timedelta(days=ahead)
    )
    for unit_id, effective_from, change in changes.values_list("unit_id", "effective_from", "staffed_change"):
        if unit_id in reported_on and effective_from <= reported_on[unit_id]:
            continue  # the unit's latest report already counts it
        first = max((effective_from - end).days - 1, 0)  # day end + 1 + i is in force when i >= first
        row = planned[units[unit_id]]
        for i in range(first, ahead):
            row[i] += change
    return DailyPlaces(
        start=start, days=length, staffed=staffed, occupied=occupied, surge=surge, planned_staffed=planned
    )
