"""Writes for capacity: reports (append-only), planned changes and the reporting schedule.

Every write is atomic and audited. `capacity_report_create` is the one way figures get in,
whether from the quick-report form, the API or the demo data."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samverkan.accounts.models import ApiKey, User
from samverkan.audit.services import audit_record, snapshot
from samverkan.capacity.figures import UnitFigures, unit_figures
from samverkan.capacity.models import (
    BedCategory,
    CapacityReport,
    CapacityReportCategory,
    ClosureReason,
    PlannedChange,
    ReportingSchedule,
    UnitCapacity,
)
from samverkan.capacity.signals import capacity_changed
from samverkan.organisations import policy
from samverkan.organisations.models import Organisation, Unit
from samverkan.organisations.roles import OrganisationKind

MAX_PLACES = 5000  # no unit has more; larger figures are typing errors
FUTURE_TOLERANCE = datetime.timedelta(minutes=10)
MAX_BACKDATING = datetime.timedelta(days=31)


@dataclass
class ReportInput:
    """The figures of one report, as typed in a form or sent to the API."""

    unit: Unit
    physical: int
    staffed: int
    occupied: int
    surge: int = 0
    open_for_admission: bool = True
    closure_reason: str = ""
    comment: str = ""
    reported_at: datetime.datetime | None = None
    categories: dict[str, tuple[int, int]] = field(default_factory=dict)  # code -> (staffed, occupied)
    corrects: CapacityReport | None = None


def _validate(
    data: ReportInput, now: datetime.datetime, known_categories: dict[str, BedCategory]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(field_name: str, message: str) -> None:
        errors.setdefault(field_name, []).append(message)

    figures = {"physical": data.physical, "staffed": data.staffed, "occupied": data.occupied, "surge": data.surge}
    for name, value in figures.items():
        if value is None:
            add(name, _("Enter a number."))
        elif value < 0:
            add(name, _("Cannot be negative."))
        elif value > MAX_PLACES:
            add(name, _("%(value)d is more places than any unit has; check the figure.") % {"value": value})
    if errors:
        return errors
    if data.occupied > data.physical:
        add(
            "occupied",
            _("Occupied places (%(occupied)d) cannot be more than physical places (%(physical)d).")
            % {"occupied": data.occupied, "physical": data.physical},
        )
    if data.staffed > data.physical:
        add(
            "staffed",
            _("Staffed places (%(staffed)d) cannot be more than physical places (%(physical)d).")
            % {"staffed": data.staffed, "physical": data.physical},
        )
    if not data.open_for_admission and data.closure_reason not in ClosureReason.values:
        add("closure_reason", _("Say why the unit is closed for admission."))
    if data.open_for_admission and data.closure_reason:
        add("closure_reason", _("An open unit has no reason for closing; leave it empty."))
    if data.reported_at is not None:
        if data.reported_at > now + FUTURE_TOLERANCE:
            add("reported_at", _("The time is in the future."))
        elif data.reported_at < now - MAX_BACKDATING:
            add("reported_at", _("Reports can be back-dated at most 31 days."))
    if data.corrects is not None and data.corrects.unit_id != data.unit.id:
        add("corrects", _("A correction must concern the same unit."))
    total_staffed = total_occupied = 0
    for code, (staffed, occupied) in data.categories.items():
        if code not in known_categories:
            add("categories", _("Unknown bed category '%(code)s' for this county.") % {"code": code})
            continue
        if staffed < 0 or occupied < 0:
            add("categories", _("Category %(code)s: figures cannot be negative.") % {"code": code})
            continue
        total_staffed += staffed
        total_occupied += occupied
    if total_staffed > data.staffed or total_occupied > data.occupied:
        add("categories", _("The categories add up to more places than the report's totals."))
    return errors


def capacity_report_create(
    *, data: ReportInput, by: policy.Principal, received_at: datetime.datetime | None = None
) -> CapacityReport:
    """Validate and store one report; raises ValidationError (a message per field) or PermissionDenied."""
    return capacity_reports_create(items=[data], by=by, received_at=received_at)[0]


def capacity_reports_create(
    *, items: Sequence[ReportInput], by: policy.Principal, received_at: datetime.datetime | None = None
) -> list[CapacityReport]:
    """Store several reports all-or-nothing. Errors are keyed by field, or by `index.field` when
    more than one report is sent, so the sender knows which report and field to fix.

    `received_at` (default now) is when the reports arrived; only demo data and tests set it."""
    now = received_at or timezone.now()
    for data in items:
        if not policy.can(by, "capacity.report", data.unit):
            raise PermissionDenied(f"No right to report for unit {data.unit.pk}.")
    county_codes = {data.unit.municipality.county_id for data in items}
    categories_by_county: dict[str, dict[str, BedCategory]] = {code: {} for code in county_codes}
    for category in BedCategory.objects.filter(county_id__in=county_codes):
        categories_by_county[category.county_id][category.code] = category
    errors: dict[str, list[str]] = {}
    for index, data in enumerate(items):
        item_errors = _validate(data, now, categories_by_county[data.unit.municipality.county_id])
        for name, messages in item_errors.items():
            errors[name if len(items) == 1 else f"{index}.{name}"] = messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        reports = [_store(data, now=now, by=by) for data in items]
        for county_code in county_codes:
            transaction.on_commit(partial(capacity_changed.send, sender=CapacityReport, county_code=county_code))
    return reports


def _store(data: ReportInput, *, now: datetime.datetime, by: policy.Principal) -> CapacityReport:

    report = CapacityReport.objects.create(
        unit=data.unit,
        reported_at=data.reported_at or now,
        physical=data.physical,
        staffed=data.staffed,
        occupied=data.occupied,
        surge=data.surge,
        open_for_admission=data.open_for_admission,
        closure_reason="" if data.open_for_admission else data.closure_reason,
        comment=data.comment,
        corrects=data.corrects,
        reported_by=by if isinstance(by, User) else None,
        reported_via=f"{by.name} ({by.prefix})" if isinstance(by, ApiKey) else "",
        created_at=now,
    )
    if data.categories:
        county_categories = {c.code: c for c in BedCategory.objects.filter(county_id=data.unit.municipality.county_id)}
        CapacityReportCategory.objects.bulk_create(
            CapacityReportCategory(report=report, category=county_categories[code], staffed=s, occupied=o)
            for code, (s, o) in data.categories.items()
        )
    state, _created = UnitCapacity.objects.select_for_update().get_or_create(unit=data.unit)
    latest = state.latest_report
    if latest is None or (report.reported_at, report.pk) >= (latest.reported_at, latest.pk):
        state.latest_report = report
        state.save(update_fields=["latest_report", "updated_at"])
    after = snapshot(
        report,
        [
            "unit",
            "reported_at",
            "physical",
            "staffed",
            "occupied",
            "surge",
            "open_for_admission",
            "closure_reason",
            "comment",
            "corrects",
        ],
    )
    if data.categories:
        after["categories"] = {code: {"staffed": s, "occupied": o} for code, (s, o) in data.categories.items()}
    audit_record(
        by=by,
        event_type="capacity.report_corrected" if data.corrects else "capacity.report_created",
        obj=report,
        organisation=data.unit.organisation,
        before=snapshot(data.corrects, ["physical", "staffed", "occupied", "surge", "open_for_admission"])
        if data.corrects
        else None,
        after=after,
    )
    return report


def planned_change_create(
    *,
    unit: Unit,
    effective_from: datetime.date,
    physical_change: int,
    staffed_change: int,
    description: str,
    by: policy.Principal,
) -> PlannedChange:
    if not policy.can(by, "capacity.report", unit):
        raise PermissionDenied
    change = PlannedChange(
        unit=unit,
        effective_from=effective_from,
        physical_change=physical_change,
        staffed_change=staffed_change,
        description=description,
        created_by=by if isinstance(by, User) else None,
    )
    change.full_clean(exclude=["created_by"])
    with transaction.atomic():
        change.save()
        audit_record(
            by=by,
            event_type="capacity.planned_change_created",
            obj=change,
            organisation=unit.organisation,
            after=snapshot(change, ["unit", "effective_from", "physical_change", "staffed_change", "description"]),
        )
    return change


def planned_change_cancel(*, change: PlannedChange, by: policy.Principal) -> PlannedChange:
    if not policy.can(by, "capacity.report", change.unit):
        raise PermissionDenied
    with transaction.atomic():
        cancelled_at = (
            PlannedChange.objects.select_for_update().values_list("cancelled_at", flat=True).get(pk=change.pk)
        )
        if cancelled_at is not None:  # already cancelled: keep the first time, audit once
            change.cancelled_at = cancelled_at
            return change
        change.cancelled_at = timezone.now()
        change.save(update_fields=["cancelled_at"])
        audit_record(
            by=by,
            event_type="capacity.planned_change_cancelled",
            obj=change,
            organisation=change.unit.organisation,
            before={"cancelled_at": None},
            after={"cancelled_at": change.cancelled_at},
        )
    return change


def reporting_schedule_for(county_code: str) -> ReportingSchedule:
    """The county's schedule; weekdays by 10:00 for short-term units until someone changes it."""
    return ReportingSchedule.objects.get_or_create(county_id=county_code)[0]


def reporting_schedule_update(
    *, schedule: ReportingSchedule, by: policy.Principal, **changes: object
) -> ReportingSchedule:
    if not policy.can(by, "capacity.manage_schedule", policy.Place(county=schedule.county_id)):
        raise PermissionDenied
    before = snapshot(schedule)
    for name, value in changes.items():
        setattr(schedule, name, value)
    schedule.full_clean()
    with transaction.atomic():
        schedule.save()
        audit_record(
            by=by,
            event_type="capacity.schedule_changed",
            obj=schedule,
            organisation=Organisation.objects.filter(
                kind=OrganisationKind.REGION, county_id=schedule.county_id
            ).first(),
            before=before,
            after=snapshot(schedule),
        )
    return schedule


class NotEnoughPlaces(Exception):
    """The unit has fewer free places in force than asked for (nothing was reserved)."""

    def __init__(self, unit: Unit, free: int, wanted: int):
        self.unit, self.free, self.wanted = unit, free, wanted
        super().__init__(f"{unit}: {free} free, {wanted} wanted")


def _locked_state(unit: Unit) -> UnitCapacity:
    state, _created = UnitCapacity.objects.select_for_update().get_or_create(unit=unit)
    return state


def _reserved_changed(state: UnitCapacity, *, before: int, by: policy.Principal, event_type: str, reason: str) -> None:
    state.save(update_fields=["reserved", "updated_at"])
    audit_record(
        by=by,
        event_type=event_type,
        obj=state.unit,
        organisation=state.unit.organisation,
        before={"reserved": before},
        after={"reserved": state.reserved, "reason": reason},
    )
    county_code = state.unit.organisation.county_id
    transaction.on_commit(lambda: capacity_changed.send(sender=UnitCapacity, county_code=county_code))


def places_reserve(*, unit: Unit, count: int, by: policy.Principal, reason: str) -> UnitFigures:
    """Hold `count` of the unit's free places (its figures in force, capacity/figures.py) under a
    row lock, so concurrent reservations never overbook; raises NotEnoughPlaces. Must run inside
    the caller's transaction, which it joins. Returns the unit's figures after the reservation."""
    if count < 1:
        raise ValueError("Reserve at least one place.")
    with transaction.atomic():
        state = _locked_state(unit)
        figures = unit_figures(state)
        free = figures.free or 0
        if free < count:
            raise NotEnoughPlaces(unit, free, count)
        before = state.reserved
        state.reserved += count
        figures.reserved = state.reserved
        _reserved_changed(state, before=before, by=by, event_type="capacity.places_reserved", reason=reason)
    return figures


def places_release(*, unit: Unit, count: int, by: policy.Principal, reason: str) -> None:
    """Give back `count` held places: the patients did not come (withdrawn) or did come (the
    places are then the unit's occupied ones, counted by its next report)."""
    with transaction.atomic():
        state = _locked_state(unit)
        before = state.reserved
        state.reserved = max(state.reserved - count, 0)
        _reserved_changed(state, before=before, by=by, event_type="capacity.places_released", reason=reason)
