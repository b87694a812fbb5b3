"""A unit's figures in force: the one place where free places are computed.

free places = staffed − occupied − reserved, never below zero; occupancy = occupied / staffed.
The figures *in force* are the unit's latest report, plus the planned changes that took effect
after the day of that report (today's included), minus the places reserved by accepted
requests. The county overview, the report page, the free-places search, the escalation figures
and the acceptance of an offer all read them from here (docs/architecture.md, "Free places"), so
a place that is shown as free is a place that can be reserved.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from samverkan.capacity import schedule as sched
from samverkan.capacity.models import CapacityReport, PlannedChange, UnitCapacity

# Planned changes this far ahead are listed as upcoming; later ones are not shown.
UPCOMING_DAYS = 90


def free_places(staffed: int, occupied: int, reserved: int = 0) -> int:
    """Free places of figures that are known: staffed − occupied − reserved, never below zero."""
    return max(staffed - occupied - reserved, 0)


@dataclass(slots=True, kw_only=True)
class UnitFigures:
    """The figures in force for one unit. Figures are None when the unit has never reported
    (and no planned change has given it places)."""

    physical: int | None
    staffed: int | None
    occupied: int | None
    reserved: int = 0
    surge: int | None = None
    open_for_admission: bool | None = None
    closure_reason: str = ""
    reported_at: datetime.datetime | None = None
    planned_staffed: int = 0  # planned changes in force since the latest report, included in staffed
    planned_physical: int = 0
    upcoming: tuple[PlannedChange, ...] = ()

    @property
    def free(self) -> int | None:
        if self.staffed is None or self.occupied is None:
            return None
        return free_places(self.staffed, self.occupied, self.reserved)

    @property
    def occupancy_rate(self) -> float | None:
        if not self.staffed or self.occupied is None:
            return None
        return self.occupied / self.staffed

    @property
    def over_occupied(self) -> bool:
        return self.staffed is not None and self.occupied is not None and self.occupied > self.staffed

    @property
    def surge_while_closed(self) -> bool:
        return bool(self.surge) and self.open_for_admission is False

    def apply_planned(self, changes: Iterable[PlannedChange], today: datetime.date, *, in_force: bool = True) -> None:
        """Add the changes in force since the latest report; list the later ones as upcoming.
        With `in_force=False` (a bed category's figures: changes concern the whole unit) they are
        only listed."""
        report_day = self.reported_at.astimezone(sched.LOCAL).date() if self.reported_at else None
        for change in changes:
            if change.effective_from > today:
                self.upcoming = (*self.upcoming, change)
            elif in_force and (report_day is None or change.effective_from > report_day):
                self.planned_staffed += change.staffed_change
                self.planned_physical += change.physical_change
        if self.planned_staffed or self.planned_physical:
            self.physical = max((self.physical or 0) + self.planned_physical, 0)
            self.staffed = min(max((self.staffed or 0) + self.planned_staffed, 0), self.physical)
            if self.occupied is None:
                self.occupied = 0
                self.surge = 0
                self.open_for_admission = True


def figures_of(report: CapacityReport | None, reserved: int) -> UnitFigures:
    """The figures a report gives, before planned changes."""
    if report is None:
        return UnitFigures(physical=None, staffed=None, occupied=None, reserved=reserved)
    return UnitFigures(
        physical=report.physical,
        staffed=report.staffed,
        occupied=report.occupied,
        reserved=reserved,
        surge=report.surge,
        open_for_admission=report.open_for_admission,
        closure_reason=report.closure_reason,
        reported_at=report.reported_at,
    )


def planned_changes(unit_ids: Iterable[int], today: datetime.date) -> dict[int, list[PlannedChange]]:
    """The active planned changes of these units up to UPCOMING_DAYS ahead, per unit, in date order."""
    found: dict[int, list[PlannedChange]] = {}
    horizon = today + datetime.timedelta(days=UPCOMING_DAYS)
    for change in PlannedChange.objects.active().filter(unit_id__in=unit_ids, effective_from__lte=horizon):
        found.setdefault(change.unit_id, []).append(change)
    return found


def unit_figures(state: UnitCapacity, *, now: datetime.datetime | None = None) -> UnitFigures:
    """The figures in force now for the unit of `state` (lock the row first when acting on them)."""
    today = (now or timezone.now()).astimezone(sched.LOCAL).date()
    figures = figures_of(state.latest_report, state.reserved)
    figures.apply_planned(planned_changes([state.unit_id], today).get(state.unit_id, ()), today)
    return figures
