"""Small helpers shared by the capacity tests: local times, reports, database snapshots."""

from __future__ import annotations

import datetime

import time_machine

from samverkan.audit.models import AuditEvent
from samverkan.capacity import services
from samverkan.capacity.models import CapacityReport, CapacityReportCategory, UnitCapacity
from samverkan.capacity.schedule import LOCAL


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime.datetime:
    """An aware Europe/Stockholm time."""
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=LOCAL)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=datetime.UTC)


def at(moment: datetime.datetime):
    """Freeze the clock at `moment`."""
    return time_machine.travel(moment, tick=False)


def report(unit, by, *, when: datetime.datetime | None = None, **figures) -> CapacityReport:
    """Store a report through the service (as `by`), made at `when` (default: now)."""
    values = {"physical": 20, "staffed": 16, "occupied": 12, **figures}
    data = services.ReportInput(unit=unit, **values)
    if when is None:
        return services.capacity_report_create(data=data, by=by)
    with at(when):
        return services.capacity_report_create(data=data, by=by)


def database_state() -> tuple[int, int, int, list]:
    """What a rejected report must leave untouched."""
    return (
        CapacityReport.objects.count(),
        CapacityReportCategory.objects.count(),
        AuditEvent.objects.count(),
        list(UnitCapacity.objects.order_by("pk").values_list("pk", "latest_report_id", "reserved")),
    )
